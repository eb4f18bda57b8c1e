"""End to end: "Nog niet → de plannen zijn veranderd" reaches the organisers (#12), on SQLite and PostgreSQL.

The region's own organisers are told at once (through the outbox), else the global ones; the participant is
told truthfully who; the flag shows in /stats, in the weekly summary and in the export.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.services import followups
from bot.services.stats import planned_moment, send_weekly_summary
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.models import FollowUp, Introduction, OutboxMessage, Participant
from storage.organisers import add_organiser, record_organiser_chat
from storage.scope import Scope
from storage.suggestions import create_introduction, create_suggestion
from tests.factories import add_participant

ORGANISER = 900001
REGIONAL = 700001
INTRODUCED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _pair(engine, region: str) -> int:
    with session_scope(engine) as session:
        ids = [
            add_participant(
                session, telegram_id, name, organisation=f"{name} BV", region=region, completed_at=INTRODUCED
            ).id
            for telegram_id, name in ((21, "Anna"), (22, "Bob"))
        ]
        low, high = sorted(i for i in ids if i is not None)
        suggestion = create_suggestion(session, a_id=low, b_id=high, score=0.5, reasons={}, source="matches")
        suggestion.status = "introduced"
        introduction = create_introduction(session, suggestion=suggestion, now=INTRODUCED)
        assert introduction.id is not None
        return introduction.id


async def _plans_changed(standin: BotAPIStandIn, engine, settings: Settings) -> str:
    anna = standin.person(21, "Anna")
    standin.person(22, "Bob")
    followups.run_followups(engine, settings=settings, now=INTRODUCED + dt.timedelta(days=3, hours=2))
    await standin.wait_until(lambda: any(m.buttons for m in anna.messages), what="the contact check")
    question = next(m for m in anna.messages if m.buttons)
    anna.press("Nog niet", question)
    await standin.wait_until(lambda: "plannen" in " ".join(anna.last.button_texts), what="the why buttons")
    anna.press("De plannen zijn veranderd", anna.last)
    await standin.wait_until(lambda: "doorgegeven" in anna.last.plain_text, what="the answer")
    return anna.last.plain_text


async def test_a_flag_goes_to_the_regional_organisers_first(
    standin: BotAPIStandIn, bot: KoppelApplication, engine, settings: Settings
) -> None:
    introduction_id = _pair(engine, "achterhoek")
    with session_scope(engine) as session:
        add_organiser(session, telegram_id=REGIONAL, added_by=ORGANISER, scope=Scope(region="achterhoek"))
    regional = standin.person(REGIONAL, "Ria")
    org = standin.person(ORGANISER, "Olga")
    answer = await _plans_changed(standin, engine, settings)
    assert "Ik heb het doorgegeven aan de coördinator van je regio" in answer
    await standin.wait_until(lambda: bool(regional.messages), what="the notice to the regional organiser")
    notice = regional.last.plain_text
    assert f"kennismaking #{introduction_id}, Achterhoek" in notice
    assert "Anna · Anna BV zegt dat de plannen veranderd zijn" in notice and "Bob · Bob BV" in notice
    assert not org.messages  # the global organiser is not bothered when the region has its own
    regional.skip()
    regional.send("/stats")
    await regional.reply()  # the chart
    flagged = (await regional.reply()).plain_text
    assert (
        "Voor de coördinator (1)" in flagged
        and f"#{introduction_id} Anna · Anna BV × Bob · Bob BV" in flagged
    )
    regional.send("/export")
    document = await regional.reply()
    sheet = openpyxl.load_workbook(io.BytesIO(document.file_bytes))[
        "Kennismakingen"
    ]  # the workbook carries it
    header = [cell.value for cell in sheet[1]]
    (introduction,) = [
        dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    flagged_at = introduction["Gemeld bij coördinator op"]
    assert isinstance(flagged_at, dt.datetime) and flagged_at.year == dt.date.today().year


async def test_stats_name_both_sides_of_a_flag_as_the_notice_does(
    standin: BotAPIStandIn, bot: KoppelApplication, engine, settings: Settings
) -> None:
    introduction_id = _pair(engine, "achterhoek")
    with session_scope(engine) as session:
        bob = session.exec(select(Introduction)).one().participant_b_id
        row = session.get(Participant, bob)
        assert row is not None and row.name == "Bob"
        row.region = "foodvalley"  # Bob is outside the regional organiser's scope
        session.add(row)
        add_organiser(session, telegram_id=REGIONAL, added_by=ORGANISER, scope=Scope(region="achterhoek"))
    regional = standin.person(REGIONAL, "Ria")
    await _plans_changed(standin, engine, settings)
    await standin.wait_until(lambda: bool(regional.messages), what="the notice")
    assert "Bob · Bob BV" in regional.last.plain_text
    regional.skip()
    regional.send("/stats")
    await regional.reply()  # the chart
    flagged = (await regional.reply()).plain_text
    assert f"#{introduction_id} Anna · Anna BV × Bob · Bob BV" in flagged  # not "× —"


async def test_without_a_regional_organiser_the_global_ones_hear_it(
    standin: BotAPIStandIn, bot: KoppelApplication, engine, settings: Settings
) -> None:
    _pair(engine, "foodvalley")
    with session_scope(engine) as session:
        add_organiser(session, telegram_id=REGIONAL, added_by=ORGANISER, scope=Scope(region="achterhoek"))
    org = standin.person(ORGANISER, "Olga")
    regional = standin.person(REGIONAL, "Ria")
    answer = await _plans_changed(standin, engine, settings)
    assert "Ik heb het doorgegeven aan de organisatie" in answer and "regionale" not in answer
    await standin.wait_until(lambda: bool(org.messages), what="the notice to the global organiser")
    assert "FoodValley" in org.last.plain_text
    assert not regional.messages
    with Session(engine) as session:
        assert session.exec(select(FollowUp).where(FollowUp.answer_reason == "p")).one()


def test_the_weekly_summary_counts_flagged_introductions_per_scope(engine, settings: Settings) -> None:
    introduction_id = _pair(engine, "foodvalley")
    with session_scope(engine) as session:
        add_organiser(session, telegram_id=REGIONAL, added_by=ORGANISER, scope=Scope(region="achterhoek"))
        for telegram_id in (ORGANISER, REGIONAL):  # both started the bot
            record_organiser_chat(session, telegram_id=telegram_id, configured=[ORGANISER], now=INTRODUCED)
        introduction = session.get(Introduction, introduction_id)
        assert introduction is not None
        introduction.flagged_for_coordinator_at = INTRODUCED + dt.timedelta(days=4)
        session.add(introduction)
    _, planned = planned_moment(settings, dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC))
    assert send_weekly_summary(engine, settings, now=planned) == 2
    with Session(engine) as session:
        rows = {row.chat_id: row.payload["caption"] for row in session.exec(select(OutboxMessage)).all()}
    assert (
        "1 kennismaking wacht op de coördinator" in rows[ORGANISER] and "Deelnemers: <b>2" in rows[ORGANISER]
    )
    assert "coördinator" not in rows[REGIONAL] and "Deelnemers: <b>0" in rows[REGIONAL]
