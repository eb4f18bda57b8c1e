"""The organisers' weekly summary: due once a week, queued via the outbox, delivered as a chart."""

from __future__ import annotations

import base64
import datetime as dt

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.services.charts import PNG_SIGNATURE
from bot.services.stats import send_weekly_summary
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.models import OutboxMessage
from storage.organisers import record_organiser_chat
from tests.bot.organiser_data import person

MONDAY_0930 = dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC)  # 09:30 in Amsterdam, DIGEST_TIME is 09:00


def test_summary_is_queued_once_a_week_to_every_organiser(engine, database_url: str) -> None:
    settings = Settings(_env_file=None, database_url=database_url, organiser_ids=[900001, 900002, 900003])  # type: ignore[call-arg]
    with session_scope(engine) as session:  # 900001 sent the bot something; 900003 never did
        assert record_organiser_chat(session, telegram_id=900001, configured=[900001], now=MONDAY_0930)
    person(engine, 900002, offers=("stages",))  # an organiser who is also a participant
    assert send_weekly_summary(engine, settings, now=MONDAY_0930 - dt.timedelta(hours=1)) == 0  # too early
    assert send_weekly_summary(engine, settings, now=MONDAY_0930) == 2
    assert send_weekly_summary(engine, settings, now=MONDAY_0930 + dt.timedelta(hours=3)) == 0  # once
    assert (
        send_weekly_summary(engine, settings, now=MONDAY_0930 + dt.timedelta(days=7, hours=49)) == 0
    )  # late
    assert send_weekly_summary(engine, settings, now=MONDAY_0930 + dt.timedelta(days=8)) == 2  # caught up
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.dedupe_key for r in rows] == [
        "organiser-summary:2026-W48:900001",
        "organiser-summary:2026-W48:900002",
        "organiser-summary:2026-W49:900001",
        "organiser-summary:2026-W49:900002",
    ]
    first = rows[0]
    assert first.method == "sendPhoto" and first.kind == "stats"
    assert base64.b64decode(first.payload["photo_b64"]).startswith(PNG_SIGNATURE)
    assert "Weekoverzicht" in first.payload["caption"] and "Deelnemers: <b>1</b>" in first.payload["caption"]


async def test_the_summary_reaches_the_organiser_as_a_chart(
    standin: BotAPIStandIn, bot: KoppelApplication, engine, settings: Settings
) -> None:
    org = standin.person(900001, "Olga")
    org.send("/start")
    await org.reply()
    person(engine, 11, offers=("gastlessen",))
    on_time = MONDAY_0930 - dt.timedelta(minutes=30)  # the test settings allow no grace period
    assert send_weekly_summary(engine, settings, now=on_time) == 1
    photo = await org.reply()
    assert photo.kind == "photo" and photo.file_bytes.startswith(PNG_SIGNATURE)
    assert "Weekoverzicht" in photo.plain_text and "Vraag zonder aanbod" in photo.button_texts


async def test_the_summary_waits_until_the_organiser_has_started_the_bot(
    standin: BotAPIStandIn, bot: KoppelApplication, engine, settings: Settings
) -> None:
    person(engine, 11, offers=("gastlessen",))
    first_week = MONDAY_0930 - dt.timedelta(minutes=30)
    assert send_weekly_summary(engine, settings, now=first_week) == 0  # never sent /start: not queued
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []
    org = standin.person(900001, "Olga")
    org.send("/start")
    assert "organisator" in (await org.reply()).plain_text
    assert send_weekly_summary(engine, settings, now=first_week + dt.timedelta(days=7)) == 1
    photo = await org.reply()
    assert photo.kind == "photo" and "Weekoverzicht" in photo.plain_text
