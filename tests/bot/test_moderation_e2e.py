"""End to end: /participant (look up, pause, correct, erase) and /introduce, forged buttons included."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import KoppelApplication, build_application
from bot.clock import Clock
from bot.runner import polling
from bot.services.retention import run_retention
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage.models import Introduction, OutboxMessage, Participant, Suggestion
from storage.privacy import ERASURE_NOTICE, find_values
from storage.types import utcnow
from tests.bot.organiser_data import NOW, delete
from tests.factories import QUIET_NIGHTS, participant

ORGANISER = 900001
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STRANGER = 1234


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """An organiser at work presses and types faster than the flood guard's burst of 8 allows a stranger."""
    return settings.model_copy(update={"flood_burst": 40})


def _someone(engine: Engine, telegram_id: int, name: str, **fields: object) -> int:
    values: dict[str, object] = {
        "organisation": f"Org {telegram_id}", "role": "school", "region": "achterhoek", "reach": "anywhere",
        "offers": ("gastlessen",), "completed_at": NOW, "now": NOW,
    }  # fmt: skip
    return participant(engine, telegram_id, name, **{**values, **fields})


def _row(engine: Engine, participant_id: int) -> Participant:
    with Session(engine) as session:
        row = session.get(Participant, participant_id)
        assert row is not None
        return row


async def test_participant_card_pause_correct_and_erase(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    anna = _someone(engine, 100, "Anna de Vries", organisation="Het Assink", username="anna_dv")
    org = standin.person(ORGANISER, "Olga")
    org.send("/participant assink")
    card = await org.reply()
    assert f"Anna de Vries (nr {anna})" in card.plain_text
    assert "Rol: vmbo / school" in card.plain_text and "Regio: Achterhoek" in card.plain_text
    assert "Telegram: @anna_dv" in card.plain_text and "Status: actief" in card.plain_text

    org.press("Pauzeren", card)
    await standin.wait_until(lambda: "Status: gepauzeerd" in card.plain_text, what="the paused card")
    assert _row(engine, anna).status == "paused"
    org.press("Weer laten meedoen", card)
    await standin.wait_until(lambda: "Status: actief" in card.plain_text, what="the resumed card")
    assert _row(engine, anna).status == "active"

    org.press("Corrigeren", card)
    await standin.wait_until(lambda: "Wat wil je corrigeren" in card.plain_text)
    org.press("Regio", card)
    await standin.wait_until(lambda: "nieuwe waarde" in card.plain_text)
    org.press("FoodValley", card)
    await standin.wait_until(lambda: "Regio: FoodValley" in card.plain_text, what="the corrected card")
    assert _row(engine, anna).region == "foodvalley"

    org.send(f"/participant {anna} naam Anna van Dijk")
    fixed = await org.reply()
    assert "Aangepast." in fixed.plain_text and "Anna van Dijk" in fixed.plain_text
    assert _row(engine, anna).name == "Anna van Dijk"
    org.send(f"/participant {anna} naam {'x' * 101}")
    assert "100" in (await org.reply()).plain_text  # the chat's own limit, nothing stored
    assert _row(engine, anna).name == "Anna van Dijk"

    org.press("Wissen", fixed)
    await standin.wait_until(lambda: "niet ongedaan" in fixed.plain_text, what="the confirmation")
    org.press("Ja, wis alles", fixed)
    await standin.wait_until(lambda: "zijn gewist" in fixed.plain_text, what="the erasure")
    assert _row(engine, anna).status == "deleted" and _row(engine, anna).name is None
    org.send("/participant @anna_dv")
    assert "Niemand gevonden" in (await org.reply()).plain_text


NEEDLES = ["Ben Bakker", "Bakker BV", "ben_qx", 770101]


def _notice(engine: Engine) -> OutboxMessage:
    with Session(engine) as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.kind == ERASURE_NOTICE)).one()


async def test_the_participant_is_told_of_a_pause_and_of_an_erasure_which_leaves_only_their_chat_id(
    standin: BotAPIStandIn, bot: KoppelApplication, engine, settings: Settings
) -> None:
    anna = _someone(engine, 100, "Anna de Vries", organisation="Het Assink")
    ben = _someone(engine, 770101, "Ben Bakker", organisation="Bakker BV", language="en", username="ben_qx")
    anna_chat = standin.person(100, "Anna")
    ben_chat = standin.person(770101, "Ben", language_code="en")
    org = standin.person(ORGANISER, "Olga")
    org.send("/participant assink")
    card = await org.reply()
    org.press("Pauzeren", card)
    told = await anna_chat.reply()  # through the outbox
    assert "Een organisator van Koppelbot heeft je deelname gepauzeerd" in told.plain_text
    assert "Stuur /resume" in told.plain_text and "Vragen?" in told.plain_text

    org.send(f"/participant {ben}")
    card = await org.reply()
    org.press("Wissen", card)
    await standin.wait_until(lambda: "niet ongedaan" in card.plain_text, what="the confirmation")
    org.press("Ja, wis alles", card)
    told = await ben_chat.reply()
    assert "An organiser of Koppelbot has erased your data" in told.plain_text and "/start" in told.plain_text
    assert _row(engine, ben).status == "deleted"
    await standin.wait_until(lambda: _notice(engine).state == "sent", what="the notice marked as delivered")
    notice = _notice(engine)
    assert notice.chat_id == 770101 and notice.participant_id is None and notice.payload == {}  # text dropped
    with Session(engine) as session:
        assert find_values(session, needles=NEEDLES) == [("outbox", "chat_id")]  # until the daily pass
    run_retention(engine, settings=settings, now=utcnow())
    with Session(engine) as session:
        assert find_values(session, needles=NEEDLES) == []
    assert _row(engine, anna).status == "paused"


async def test_at_night_the_erasure_notice_waits_for_the_morning(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    ben = _someone(engine, 770101, "Ben Bakker", language="en")
    ben_chat = standin.person(770101, "Ben", language_code="en")
    org = standin.person(ORGANISER, "Olga")
    quiet = settings.model_copy(update=QUIET_NIGHTS | {"privacy_contact": "privacy@gelderland.example"})
    day = dt.datetime.now(AMSTERDAM).date() + dt.timedelta(days=1)
    while day.weekday() not in (1, 2, 3):  # a Tuesday to Thursday night, followed by a working morning
        day += dt.timedelta(days=1)
    night = dt.datetime.combine(day, dt.time(23), tzinfo=AMSTERDAM)
    clock = Clock(night.astimezone(dt.UTC))
    async with polling(build_application(quiet, engine=engine, clock=clock), poll_timeout=0.5):
        org.send(f"/participant {ben}")
        card = await org.reply()
        org.press("Wissen", card)
        await standin.wait_until(lambda: "niet ongedaan" in card.plain_text, what="the confirmation")
        org.press("Ja, wis alles", card)
        await standin.wait_until(lambda: "zijn gewist" in card.plain_text, what="the erasure")
        await standin.wait_idle()
        assert ben_chat.messages == []  # not at night
        morning = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8, 5), tzinfo=AMSTERDAM)
        clock.set(morning.astimezone(dt.UTC))
        told = await ben_chat.reply()
        assert (
            "erased your data" in told.plain_text
            and "Questions? privacy@gelderland.example" in told.plain_text
        )


async def test_a_popup_naming_someone_with_a_long_name_is_cut_not_lost(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    # Telegram refuses a popup of more than 200 characters; the name fills most of it.
    long_name = "Maria " + "van der Berg-" * 13 + "Jansen"
    someone = _someone(engine, 101, long_name)
    org = standin.person(ORGANISER, "Olga")
    org.send(f"/participant {someone}")
    card = await org.reply()
    before = set(standin.callback_answers)
    org.press("Pauzeren", card)
    await standin.wait_until(lambda: "Status: gepauzeerd" in card.plain_text, what="the paused card")
    await standin.wait_until(lambda: set(standin.callback_answers) - before, what="the popup")
    (answer,) = [standin.callback_answers[c] for c in set(standin.callback_answers) - before]
    assert answer["text"].startswith("Gepauzeerd: Maria van der Berg")
    assert len(answer["text"]) == 200 and answer["text"].endswith("…")


async def test_several_found_and_forged_buttons_are_refused(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    jan = _someone(engine, 100, "Jan Smit")
    _someone(engine, 101, "Jan Bakker", organisation="Bakkerij")
    gone = _someone(engine, 102, "Weg")
    delete(engine, gone)
    org = standin.person(ORGANISER, "Olga")
    org.send("/participant jan")
    listing = await org.reply()
    assert "meerdere mensen" in listing.plain_text and len(listing.buttons) == 2
    org.press("Jan Smit", listing)
    await standin.wait_until(lambda: f"(nr {jan})" in listing.plain_text, what="Jan's card")
    org.send("/participant")
    assert "Gebruik" in (await org.reply()).plain_text

    for data in (
        "pp:pause:999999",  # nobody
        f"pp:show:{gone}",  # erased
        f"pp:set:{jan}:region:atlantis",  # a value not on offer
        f"pp:set:{jan}:status:deleted",  # a field not on offer
        f"pp:f:{jan}:email",
        f"pp:delok:{gone}",
        "pp:show:x",
    ):
        callback_id = org.press_data(data, listing)
        await standin.wait_until(lambda cid=callback_id: cid in standin.callback_answers, what=data)
        answer = standin.callback_answers[callback_id]
        assert answer["show_alert"] is True and "verlopen" in answer["text"], data
    assert _row(engine, jan).region == "achterhoek" and _row(engine, jan).status == "active"

    stranger = standin.person(STRANGER, "Sanne")
    stranger.send("/start")
    await stranger.reply()
    callback_id = stranger.press_data(f"pp:delok:{jan}")
    await standin.wait_until(lambda: callback_id in standin.callback_answers, what="the refusal")
    assert "organisatoren" in standin.callback_answers[callback_id]["text"]
    assert _row(engine, jan).status == "active"


async def test_introduce_goes_through_the_double_opt_in(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    anna = _someone(engine, 100, "Anna", organisation="Het Assink")
    _someone(engine, 101, "Bram", role="company", username="bram_bouw")
    paused = _someone(engine, 102, "Piet", status="paused")
    people = {100: standin.person(100, "Anna"), 101: standin.person(101, "Bram")}
    org = standin.person(ORGANISER, "Olga")

    org.send(f"/introduce {anna} @bram_bouw")
    assert "Verstuurd. Anna en Bram" in (await org.reply()).plain_text
    for telegram_id, other in ((100, "Bram"), (101, "Anna")):
        card = await people[telegram_id].reply()
        assert f"suggestie voor je: {other}" in card.plain_text
        assert "Olga van de organisatie denkt dat jullie iets aan elkaar hebben" in card.plain_text
    people[100].press("Ja, stel me voor")
    people[101].press("Ja, stel me voor")
    await standin.wait_until(
        lambda: any("Kennismaking" in m.plain_text for m in people[101].messages), what="the introduction"
    )
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
        assert suggestion.source == "organiser" and suggestion.status == "introduced"
        assert session.exec(select(Introduction)).one().suggestion_id == suggestion.id

    org.send(f"/introduce @bram_bouw {anna}")
    assert "al een open suggestie" in (await org.reply()).plain_text
    org.send(f"/introduce {anna} {paused}")
    assert "Piet doet nu niet mee" in (await org.reply()).plain_text
    org.send(f"/introduce {anna} {anna}")
    assert "twee verschillende" in (await org.reply()).plain_text
    org.send(f"/introduce {anna} @niemand")
    assert "Niemand gevonden voor „@niemand”" in (await org.reply()).plain_text
    org.send("/introduce Anna")
    assert "Gebruik" in (await org.reply()).plain_text
