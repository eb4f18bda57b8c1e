"""End to end over HTTP: the promises of /privacy hold. /privacy says who is responsible; /mydata is complete
and shows only one's own answers; a relayed text is kept only until it is delivered; after /delete nothing
personal is readable in the database files; control characters never reach the database."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.app import KoppelApplication, build_application
from bot.runner import polling
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage.models import ItemKind, OutboxMessage, OutboxState, Participant, ProfileItem
from storage.privacy import find_values
from tests.bot.test_matches_e2e import card_for, introduced, school_and_installer
from tests.bot.test_onboarding_e2e import consent, said
from tests.bot.test_retention_e2e import daily_pass, readable_in_database_files


async def test_privacy_names_the_controller_and_contact_and_what_organisers_see(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    sanne = standin.person(3101, "Sanne", language_code="nl")
    async with polling(build_application(settings, engine=engine), poll_timeout=0.5):
        sanne.send("/privacy")
        await said(sanne, "Wat ik bewaar")
    plain = sanne.last.plain_text
    assert "12 maanden" in plain and "/export" in plain and "e-mailadres" in plain
    assert "Verantwoordelijk" not in plain and "Vragen of bezwaar" not in plain
    named = settings.model_copy(
        update={
            "privacy_controller": "Stichting Techniekpact Gelderland",
            "privacy_contact": "privacy@techniekpact.example",
            "retention_months": 18,
        }
    )
    async with polling(build_application(named, engine=engine), poll_timeout=0.5):
        sanne.send("/privacy")
        await said(sanne, "privacy@techniekpact.example")
    plain = sanne.last.plain_text
    assert "Verantwoordelijk voor je gegevens: Stichting Techniekpact Gelderland" in plain
    assert "Vragen of bezwaar? privacy@techniekpact.example" in plain and "18 maanden" in plain


async def test_mydata_shows_ones_own_answers_never_the_other_sides_decline(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", username="ruud_installeert", language_code="nl")
    ruud.send("/matches")
    await card_for(ruud, "Sanne de Vries")
    ruud.press("Ja, stel me voor")
    await card_for(sanne, "Ruud Jansen")
    sanne.press("Nee, bedankt")
    await standin.wait_until(lambda: "hoort hier niets over" in sanne.last.plain_text)
    ruud.send("/mydata")
    await standin.wait_until(lambda: ruud.last.kind == "document")
    raw = (ruud.last.file_bytes or b"").decode()
    (suggestion,) = json.loads(raw)["suggestions"]
    assert suggestion["your_answer"] == "yes" and suggestion["introduced"] is False
    assert suggestion["other"]["name"] == "Sanne de Vries"
    assert "declined" not in raw and '"no"' not in raw and "status" not in suggestion
    sanne.send("/mydata")
    await standin.wait_until(lambda: sanne.last.kind == "document")
    assert json.loads(sanne.last.file_bytes or b"{}")["suggestions"][0]["your_answer"] == "no"


async def test_relayed_messages_are_in_mydata_and_their_text_is_kept_only_until_delivered(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne, ruud = await introduced(standin, engine, ruud_username="ruud_installeert")
    intro = next(m for m in ruud.messages if "Kennismaking" in m.plain_text)
    ruud.press("Stuur Sanne de Vries een bericht", intro)
    await standin.wait_until(lambda: "Typ je bericht" in ruud.last.plain_text)
    ruud.send("Bel me op 06-11223344 over de stage")
    await standin.wait_until(lambda: "06-11223344" in sanne.last.plain_text)

    def relays() -> list[OutboxMessage]:
        with Session(engine) as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "relay")).all()
            return sorted(rows, key=lambda row: row.id or 0)

    await standin.wait_until(lambda: relays()[0].state == OutboxState.SENT)
    assert relays()[0].payload == {} and relays()[0].telegram_message_id is not None  # bookkeeping stays
    with Session(engine) as session:
        assert find_values(session, needles=["06-11223344"]) == []
    # Sanne blocks the bot: the next relay cannot be delivered and keeps its text for now.
    standin.block(3001)
    ruud.press("Stuur Sanne de Vries een bericht", intro)
    await standin.wait_until(lambda: "Typ je bericht" in ruud.last.plain_text)
    ruud.send("Of mail naar ruud@jansen.example")
    await standin.wait_until(lambda: len(relays()) == 2 and relays()[1].state == OutboxState.BLOCKED)
    ruud.send("/mydata")
    await standin.wait_until(lambda: ruud.last.kind == "document")
    delivered, undelivered = json.loads(ruud.last.file_bytes or b"{}")["relayed_messages"]
    assert delivered["text"] is None and delivered["delivered_at"] and delivered["state"] == "sent"
    assert delivered["to"]["name"] == "Sanne de Vries"
    assert "ruud@jansen.example" in undelivered["text"] and undelivered["state"] == "blocked"


async def test_after_delete_nothing_personal_is_readable_in_the_database_files(
    standin: BotAPIStandIn, bot: KoppelApplication, engine, database_url: str
) -> None:
    school_and_installer(engine)  # others share the pages
    zeb = standin.person(3201, "Zebulon", username="zebulon_qx", language_code="nl")
    await consent(zeb)
    zeb.send("Zebulon Quaxwortel")
    await said(zeb, "organisatie")
    zeb.send("Quaxwortel Gereedschapmakerij")
    await said(zeb, "Wat past het best")
    needles = ["Zebulon Quaxwortel", "Quaxwortel Gereedschapmakerij", "zebulon_qx"]
    assert readable_in_database_files(engine, database_url, needles) == needles  # the check can fail
    if engine.dialect.name == "sqlite":  # as a busy bot's automatic checkpoint would: into the main file
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    zeb.send("/delete")
    await said(zeb, "Weet je het zeker")
    zeb.press("Ja, verwijder alles")
    await said(zeb, "Ik heb al je gegevens gewist")
    with Session(engine) as session:
        assert find_values(session, needles=needles) == []  # no row version is visible any more
    if engine.dialect.name == "postgresql":
        # PostgreSQL may keep a removed row version's bytes in a page's free space (VACUUM does not zero
        # it): the next daily pass rewrites the tables an erasure touched. SQLite zeroes them at once.
        assert readable_in_database_files(engine, database_url, needles)
        await daily_pass(bot)
    assert readable_in_database_files(engine, database_url, needles) == []


async def test_control_characters_never_reach_the_database(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    zoe = standin.person(3301, "Zoë", language_code="nl")
    await consent(zoe)
    zoe.send("Zoë\x00 de\x07 Bakker\x1b")
    await said(zoe, "organisatie")
    zoe.send("Bakkerij\u0000 Zoet\ud800")
    await said(zoe, "Wat past het best")
    with Session(engine) as session:
        person = session.exec(select(Participant).where(Participant.telegram_id == 3301)).one()
        assert (person.name, person.organisation) == ("Zoë de Bakker", "Bakkerij Zoet")
        person.conversation_state = "ob:offers"  # straight to the offers question
        session.add(person)
        session.commit()
    zoe.send("lasrobot\x00 demonstratie\nbrood\x08bakken\tvoor klassen")
    await said(zoe, "• broodbakken voor klassen")
    with Session(engine) as session:
        offers = session.exec(
            select(ProfileItem.text).where(ProfileItem.kind == ItemKind.OFFER).order_by(ProfileItem.position)
        ).all()
    assert offers == ["lasrobot demonstratie", "broodbakken voor klassen"]
