"""End to end over HTTP: suggestions with reasons, double opt-in, declines, forged buttons, relay, pause,
/mydata and /delete."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from bot.standin.server import Person
from storage.models import (
    Introduction,
    NeverSuggest,
    OutboxMessage,
    Participant,
    ParticipantStatus,
    Suggestion,
    SuggestionStatus,
)
from storage.privacy import find_values
from tests.factories import participant

NOW = dt.datetime.now(dt.UTC)


def seed(
    engine,
    telegram_id: int,
    name: str,
    *,
    organisation: str,
    role: str,
    region: str,
    offers: tuple[str, ...],
    needs: tuple[str, ...],
    username: str | None = None,
    language: str = "nl",
) -> int:
    """A participant who finished onboarding earlier (as stored by the bot)."""
    return participant(
        engine, telegram_id, name, organisation=organisation, role=role, region=region, offers=offers,
        needs=needs, themes=("energietransitie",), completed_at=NOW, username=username, language=language,
    )  # fmt: skip


def school_and_installer(engine, *, installer_username: str | None = "ruud_installeert") -> tuple[int, int]:
    sanne = seed(
        engine, 3001, "Sanne de Vries", organisation="Het Streek", role="school", region="foodvalley",
        offers=("leerlingen voor een praktijkopdracht",), needs=("gastlessen over warmtepompen",),
    )  # fmt: skip
    ruud = seed(
        engine, 3002, "Ruud Jansen", organisation="Jansen Installatietechniek", role="company",
        region="achterhoek", offers=("gastlessen warmtepomp-installatie",),
        needs=("stagiairs installatietechniek",), username=installer_username,
    )  # fmt: skip
    return sanne, ruud


async def card_for(person: Person, name: str) -> None:
    await person.standin.wait_until(
        lambda: any(name in m.plain_text and m.buttons for m in person.messages), what=f"a card about {name}"
    )


async def introduced(
    standin: BotAPIStandIn, engine, *, ruud_username: str | None = None
) -> tuple[Person, Person]:
    """Sanne (school) and Ruud (installer) both say yes through /matches; returns their chats once Ruud has
    the introduction, Ruud's press is handled in full and Sanne has her introduction too."""
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", username=ruud_username, language_code="nl")
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    sanne.press("Ja, stel me voor")
    await card_for(ruud, "Sanne de Vries")
    ruud.press("Ja, stel me voor")
    await card_for(ruud, "Kennismaking: Sanne de Vries")
    # Ruud's press is handled in full once Sanne's card no longer says it waits for him; the pair is
    # introduced once Sanne's introduction (through the outbox, at her chat's pace) has arrived too.
    await standin.wait_until(
        lambda: any("Ruud Jansen zei ook ja" in m.plain_text for m in sanne.messages),
        what="Sanne's card edited",
    )
    await standin.wait_until(
        lambda: any("Kennismaking: Ruud Jansen" in m.plain_text for m in sanne.messages),
        timeout=30,
        what="Sanne's introduction",
    )
    return sanne, ruud


def outbox(engine, key_prefix: str) -> list[OutboxMessage]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        return [row for row in rows if row.dedupe_key.startswith(key_prefix)]


async def test_mutual_yes_introduces_both_with_contact_details(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne_id, ruud_id = school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", username="ruud_installeert", language_code="nl")
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    card = next(m for m in sanne.messages if "Ruud Jansen" in m.plain_text)
    text = card.plain_text
    assert "Jansen Installatietechniek" in text and "bedrijf" in text and "Achterhoek" in text
    assert "warmtepomp" in text  # a reason, rendered by bot.reasons
    assert "ruud_installeert" not in text and "t.me" not in text  # no contact before both said yes
    assert card.button_texts == ["Ja, stel me voor", "Nee, bedankt", "Later", "Nooit meer voorstellen"]
    sanne.press("Ja, stel me voor", card)
    await standin.wait_until(lambda: "Zodra Ruud Jansen ook ja zegt" in card.plain_text)
    # Ruud is asked through the outbox: the card only, still no contact details.
    await card_for(ruud, "Nieuwe suggestie voor je: Sanne de Vries")
    ask = next(m for m in ruud.messages if "Sanne de Vries" in m.plain_text)
    assert "t.me" not in ask.plain_text and "Het Streek" in ask.plain_text
    ruud.press("Ja, stel me voor", ask)
    await standin.wait_until(lambda: ask.plain_text.startswith("Jullie willen allebei!"))
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
        assert suggestion.status == SuggestionStatus.INTRODUCED
        assert session.exec(select(Introduction)).one().suggestion_id == suggestion.id
    # Both are introduced by delivered messages.
    await standin.wait_until(lambda: any("Kennismaking: Ruud Jansen" in m.plain_text for m in sanne.messages))
    await card_for(ruud, "Kennismaking: Sanne de Vries")
    to_sanne = next(m for m in sanne.messages if "Kennismaking" in m.plain_text).plain_text
    assert "Ruud Jansen" in to_sanne and "https://t.me/ruud_installeert" in to_sanne
    assert "Eerste stap" in to_sanne and "warmtepomp" in to_sanne
    # Sanne has no username: Ruud gets a button to have the bot relay his first message.
    to_ruud = next(m for m in ruud.messages if "Kennismaking" in m.plain_text)
    assert "geen Telegram-gebruikersnaam" in to_ruud.plain_text
    ruud.press("Stuur Sanne de Vries een bericht", to_ruud)
    await standin.wait_until(lambda: "Typ je bericht" in ruud.last.plain_text)
    ruud.send("Hoi Sanne, zullen we donderdag <b>bellen</b>?")
    await standin.wait_until(lambda: "Ik stuur het door" in ruud.last.plain_text)
    await standin.wait_until(lambda: "donderdag <b>bellen</b>" in sanne.last.plain_text)
    assert "https://t.me/ruud_installeert" in sanne.last.plain_text
    await standin.wait_until(lambda: {row.state for row in outbox(engine, "")} == {"sent"})
    # Ruud's card, Sanne's introduction, one relayed message: Ruud's card became his introduction.
    assert len(outbox(engine, "")) == 3
    del sanne_id, ruud_id


async def test_a_decline_is_never_shown_to_the_other_side(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    ruud.send("/matches")
    await card_for(ruud, "Sanne de Vries")
    ruud.press("Nee, bedankt")
    await standin.wait_until(lambda: "hoort hier niets over" in ruud.last.plain_text)
    assert ruud.last.button_texts == ["Ongedaan maken"]
    sanne.send("/matches")
    await standin.wait_until(lambda: bool(sanne.messages))
    await standin.wait_idle()
    assert all("Ruud" not in m.plain_text for m in sanne.messages)
    assert outbox(engine, "") == []
    # "Nooit meer voorstellen" after undo: blocked for good.
    ruud.press("Ongedaan maken")
    await card_for(ruud, "Sanne de Vries")
    await standin.wait_until(lambda: "Nooit meer voorstellen" in ruud.last.button_texts)
    ruud.press("Nooit meer voorstellen")
    await standin.wait_until(lambda: "nooit meer" in ruud.last.plain_text)
    with Session(engine) as session:
        assert len(session.exec(select(NeverSuggest)).all()) == 1
    sanne.skip()
    sanne.send("/matches")
    await standin.wait_until(lambda: "geen nieuwe suggesties" in sanne.last.plain_text)


async def test_matches_lists_whom_one_said_yes_to_without_telling_their_answer(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    seed(engine, 3004, "Kees Bakker", organisation="Bakker Klimaattechniek", role="company",
         region="foodvalley", offers=("gastlessen over warmtepompen en ventilatie",),
         needs=("stagiairs installatietechniek",), username="kees_bakker")  # fmt: skip
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", username="ruud_installeert", language_code="nl")
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    await card_for(sanne, "Kees Bakker")
    await standin.wait_idle()
    assert all("Je zei ja" not in m.plain_text for m in sanne.messages)  # no yes yet: nothing listed
    sanne.press("Ja, stel me voor", next(m for m in sanne.messages if "Ruud Jansen" in m.plain_text))
    await standin.wait_until(
        lambda: any("Zodra Ruud Jansen ook ja zegt" in m.plain_text for m in sanne.messages)
    )

    async def matches(expect: str = "Je zei ja") -> str:
        """Sanne's /matches, all of it (the cards and what follows them)."""
        count = len(sanne.messages)
        sanne.send("/matches")
        await standin.wait_until(lambda: any(expect in m.plain_text for m in sanne.messages[count:]))
        await standin.wait_idle()
        return "\n".join(m.plain_text for m in sanne.messages[count:])

    # Besides the card still to answer (Kees), whom she said yes to: waiting for Ruud's answer.
    said = await matches()
    assert "Kees Bakker" in said and "Wil je kennismaken?" in said
    waiting = sanne.last
    assert waiting.plain_text.startswith("Je zei ja tegen 1 persoon:")
    assert "• Ruud Jansen (Jansen Installatietechniek)" in waiting.plain_text
    assert waiting.buttons == [] and "t.me" not in said and "ruud_installeert" not in said
    # Kees is answered too: no new cards, and the list comes with that news.
    sanne.press("Nooit meer voorstellen", next(m for m in sanne.messages if "Kees Bakker" in m.plain_text))
    await standin.wait_until(lambda: any("nooit meer" in m.plain_text for m in sanne.messages))
    before = await matches()
    assert "geen nieuwe suggesties" in before and "• Ruud Jansen" in before
    assert "Kees" not in before
    # Ruud says "Later", then "Nee": what Sanne reads does not change (a decline is never told).
    await card_for(ruud, "Nieuwe suggestie voor je: Sanne de Vries")
    ask = next(m for m in ruud.messages if "Sanne de Vries" in m.plain_text)
    ruud.press("Later", ask)
    await standin.wait_until(lambda: "bewaar" in ask.plain_text)
    assert await matches() == before
    ruud.press("Nee, bedankt", ask)
    await standin.wait_until(lambda: "hoort hier niets over" in ask.plain_text)
    assert await matches() == before
    # Ruud changes his mind and says yes: now they are introduced, and nobody is waited for any more.
    ruud.press("Ongedaan maken", ask)
    await standin.wait_until(lambda: "Ja, stel me voor" in ask.button_texts)
    ruud.press("Ja, stel me voor", ask)
    await standin.wait_until(lambda: any("Kennismaking: Ruud Jansen" in m.plain_text for m in sanne.messages))
    assert "Je zei ja" not in await matches(expect="geen nieuwe suggesties")


async def test_forged_and_foreign_buttons_are_refused(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    seed(engine, 3003, "Mallory", organisation="Nergens", role="other", region="outside",
         offers=("niets",), needs=("alles",))  # fmt: skip
    sanne = standin.person(3001, "Sanne", language_code="nl")
    mallory = standin.person(3003, "Mallory", language_code="nl")
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
    callbacks: list[str] = []
    mallory.send("/help")
    await standin.wait_until(lambda: bool(mallory.messages))
    for data in (f"sg:{suggestion.id}:y", f"relay:{suggestion.id}", f"sg:{suggestion.id + 50}:y", "sg:x:y",
                 "pf:rm:1", "zz:1"):  # fmt: skip
        callbacks.append(mallory.press_data(data))
    await standin.wait_idle()
    with Session(engine) as session:
        after = session.get(Suggestion, suggestion.id)
        assert after is not None and after.answer_a is None and after.answer_b is None
        assert after.status == SuggestionStatus.PENDING
        assert session.exec(select(Introduction)).all() == []
    assert outbox(engine, "") == []
    # Refusals of a press are popups, never new messages.
    assert len(mallory.messages) == 1
    popups = [(standin.callback_answers.get(c) or {}).get("text") for c in callbacks]
    assert popups.count("Deze knop is niet van jou of niet meer geldig.") >= 3
    assert all(popups), popups


async def test_pause_and_resume(standin: BotAPIStandIn, bot: KoppelApplication, engine) -> None:
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    sanne.send("/pause")
    await standin.wait_until(lambda: bool(sanne.messages) and "Je staat op pauze" in sanne.last.plain_text)
    sanne.send("/matches")
    await standin.wait_until(lambda: "op pauze" in sanne.last.plain_text)
    ruud = standin.person(3002, "Ruud", language_code="nl")
    ruud.send("/matches")
    await standin.wait_until(
        lambda: "geen nieuwe suggesties" in ruud.last.plain_text if ruud.messages else False
    )
    sanne.send("/resume")
    await standin.wait_until(lambda: "Welkom terug" in sanne.last.plain_text)
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    with Session(engine) as session:
        assert (
            session.exec(select(Participant).where(Participant.telegram_id == 3001)).one().status == "active"
        )


async def test_mydata_sends_everything_as_json(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    sanne.send("/mydata")
    await standin.wait_until(lambda: sanne.last.kind == "document")
    document = sanne.last
    assert document.file_name == "koppelbot-mydata.json"
    data = json.loads(document.file_bytes or b"{}")
    assert data["participant"]["name"] == "Sanne de Vries"
    assert data["participant"]["telegram_id"] == 3001
    assert {item["text"] for item in data["profile_items"]} >= {"gastlessen over warmtepompen"}
    assert data["suggestions"][0]["your_answer"] is None and data["suggestions"][0]["introduced"] is False


async def test_delete_leaves_no_personal_data_anywhere(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne_id, _ = school_and_installer(engine, installer_username="ruud_installeert")
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", username="ruud_installeert", language_code="nl")
    ruud.send("/matches")
    await card_for(ruud, "Sanne de Vries")
    ruud.press("Ja, stel me voor")
    await standin.wait_until(lambda: "Zodra" in ruud.last.plain_text)
    ruud.send("/delete")
    await standin.wait_until(lambda: "Weet je het zeker" in ruud.last.plain_text)
    ruud.press("Nee, toch niet")
    await standin.wait_until(lambda: "ik heb niets gewist" in ruud.last.plain_text)
    ruud.send("/delete")
    await standin.wait_until(lambda: "Weet je het zeker" in ruud.last.plain_text)
    ruud.press("Ja, verwijder alles")
    await standin.wait_until(lambda: "Ik heb al je gegevens gewist" in ruud.last.plain_text)
    needles: list[str | int] = ["Ruud Jansen", "ruud_installeert", "Jansen Installatietechniek", 3002]
    needles += ["gastlessen warmtepomp-installatie", "stagiairs installatietechniek"]
    with Session(engine) as session:
        assert find_values(session, needles=needles) == []
        tomb = session.exec(select(Participant).where(Participant.status == ParticipantStatus.DELETED)).one()
        assert tomb.name is None and tomb.telegram_id is None
        assert session.exec(select(Suggestion)).one().status == SuggestionStatus.WITHDRAWN
    # Sanne's old card about Ruud now says he left.
    sanne.send("/matches")
    await standin.wait_until(
        lambda: "geen nieuwe suggesties" in sanne.last.plain_text if sanne.messages else False
    )
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
    callback = sanne.press_data(f"sg:{suggestion.id}:y")
    await standin.wait_until(
        lambda: "doet niet meer mee" in (standin.callback_answers.get(callback) or {}).get("text", "")
    )
    # Ruud is unknown now: /start begins again from consent.
    ruud.send("/start")
    await standin.wait_until(lambda: "Welkom bij Koppelbot" in ruud.last.plain_text)
    del sanne_id
