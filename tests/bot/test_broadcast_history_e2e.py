"""End to end: the segment "niet actief sinds N weken" and the history of broadcasts (/broadcasts)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine

from bot.app import KoppelApplication
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.broadcasts import (
    broadcast_history,
    count_recipients,
    create_draft,
    open_draft,
    start_broadcast,
)
from storage.models import Participant
from storage.scope import Scope
from storage.types import utcnow
from tests.bot.organiser_data import person

ORGANISER = 900001


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Progress edits every 0.3 s instead of 5 s, so the tests stay fast."""
    return settings.model_copy(update={"broadcast_progress_seconds": 0.3})


def _seen(
    engine: Engine, participant_id: int, *, weeks_ago: float | None, created_weeks_ago: float = 1
) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        row = session.get(Participant, participant_id)
        assert row is not None
        row.last_seen_at = None if weeks_ago is None else now - dt.timedelta(weeks=weeks_ago)
        row.created_at = now - dt.timedelta(weeks=created_weeks_ago)
        session.add(row)


def _people(engine: Engine, standin: BotAPIStandIn) -> dict[str, int]:
    ids = {
        "anna": person(engine, 100, region="achterhoek"),
        "bram": person(engine, 101, region="achterhoek"),
        "carla": person(engine, 102, region="foodvalley"),
        "dirk": person(engine, 103, region="foodvalley"),
    }
    for telegram_id in (100, 101, 102, 103):
        standin.person(telegram_id, f"P{telegram_id}")
    _seen(engine, ids["anna"], weeks_ago=6, created_weeks_ago=20)
    _seen(engine, ids["bram"], weeks_ago=5, created_weeks_ago=20)
    _seen(engine, ids["carla"], weeks_ago=0.1, created_weeks_ago=20)  # seen yesterday or so
    _seen(engine, ids["dirk"], weeks_ago=None, created_weeks_ago=10)  # imported, never seen since
    return ids


async def test_a_broadcast_to_inactive_people_and_its_history(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    _people(engine, standin)
    standin.block(101)
    org = standin.person(ORGANISER, "Olga")
    org.send("/broadcasts")
    assert "nog geen bericht verstuurd" in (await org.reply()).plain_text
    org.send("/broadcast")
    await org.reply()
    org.send("We missen je! Kom je weer eens kijken?")
    assert "Naar wie" in (await org.reply()).plain_text
    org.press("Niet actief sinds …")
    await standin.wait_until(lambda: "hoeveel weken" in org.last.plain_text, what="the week buttons")
    org.press("4 weken")
    await standin.wait_until(lambda: "Ontvangers" in org.last.plain_text, what="the preview")
    assert "niet actief sinds 4 weken" in org.last.plain_text and "Ontvangers: 3" in org.last.plain_text
    org.press("Versturen naar 3")
    await standin.wait_until(lambda: "Verstuurd" in org.last.plain_text, what="the progress message")
    progress = org.last
    await standin.wait_until(lambda: "Klaar" in progress.plain_text, what="the final report")
    assert not standin.bot_messages(102)  # active yesterday: not in the segment
    await org.replies_until_idle()  # the preview, the progress message and the organiser's copy

    org.send("/broadcasts")
    history = (await org.reply()).plain_text
    assert "Verstuurde berichten" in history
    assert "niet actief sinds 4 weken" in history and "„We missen je! Kom je weer eens kijken?”" in history
    assert "Ontvangers: 3 · afgeleverd: 2 · geblokkeerd: 1 · mislukt: 0 · wachtend: 0" in history


async def test_a_forged_week_count_chooses_nothing(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    org = standin.person(ORGANISER, "Olga")
    org.send("/broadcast")
    await org.reply()
    org.send("Hallo")
    await org.reply()
    with session_scope(engine) as session:
        draft = open_draft(session, created_by=ORGANISER)
        assert draft is not None
        draft_id = draft.id
    before = len(standin.calls_to("editMessageText"))
    callback_id = org.press_data(f"bc:set:{draft_id}:inactive:5")  # 5 weeks is not on offer
    await standin.wait_until(lambda: callback_id in standin.callback_answers, what="the answer")
    assert len(standin.calls_to("editMessageText")) == before  # no preview: nothing was chosen


def test_inactive_segment_and_history_keep_to_the_scope(engine, standin: BotAPIStandIn) -> None:
    _people(engine, standin)
    with session_scope(engine) as session:
        assert count_recipients(session, segment={"inactive_weeks": 4}) == 3
        assert count_recipients(session, segment={"inactive_weeks": 12}) == 0
        assert count_recipients(session, segment={"inactive_weeks": 4, "region": "foodvalley"}) == 1
        draft = create_draft(session, created_by=ORGANISER, text="<b>Hoi</b> &amp; welkom", segment={})
        assert start_broadcast(session, broadcast=draft) == 4
    with session_scope(engine) as session:
        everything = broadcast_history(session, scope=Scope.everything())
        foodvalley = broadcast_history(session, scope=Scope(region="foodvalley"))
        elsewhere = broadcast_history(session, scope=Scope(region="rivierenland"))
    assert [line.recipients for line in everything] == [4]
    assert [line.recipients for line in foodvalley] == [2] and foodvalley[0].counts["pending"] == 2
    assert elsewhere == []
