"""Health on day one: an organiser in ORGANISER_IDS who never sent /start. Their weekly summary is not queued
until they do; a message that still reaches the outbox for them (e.g. the notice that they were made an
organiser) gets "chat not found" from Telegram and is skipped (counted by `koppelbot status`), not parked,
so /healthz stays healthy. Nobody could fix it by retrying."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from bot.services.stats import planned_moment, send_weekly_summary
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.outbox import enqueue
from storage.types import utcnow
from tests.bot.test_cli import koppelbot
from tests.bot.test_health_e2e import eventually, get, make_settings, running, states

NEVER_STARTED = 900_777


async def test_a_message_to_an_organiser_who_never_started_the_bot_is_skipped_and_health_stays_ok(
    tmp_path: Path, standin: BotAPIStandIn, database_url: str, engine: Engine
) -> None:
    settings = make_settings(standin, database_url, organiser_ids=[NEVER_STARTED])
    async with running("polling", settings, engine) as (_application, port, _):
        assert await get(port, "/healthz") == (200, "ok")
        _week, planned = planned_moment(settings, utcnow())
        assert send_weekly_summary(engine, settings, now=planned) == 0  # not to a chat that was never started
        with session_scope(engine) as session:
            enqueue(session, dedupe_key="added", chat_id=NEVER_STARTED, kind="organiser", text="Hoi")

        async def settled() -> bool:
            return states(engine) == ["cancelled"]

        await eventually("the summary was not skipped", settled)
        assert standin.calls_to("sendMessage")  # Telegram was asked, and said "chat not found"
        assert await get(port, "/healthz") == (200, "ok")
    result = koppelbot("status", cwd=tmp_path, env={"DATABASE_URL": database_url, "TIMEZONE": "UTC"})
    outbox_line = next(line for line in result.stdout.splitlines() if line.startswith("Outbox"))
    assert (
        outbox_line[22:]
        == "0 pending, 0 being sent, 0 parked, 1 skipped (never started the bot); nothing due"
    )
