"""End to end: the scheduler inside the running bot sends a missed digest after a restart, once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, col, select

from bot.app import build_application
from bot.clock import Clock
from bot.runner import polling
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage.models import JobRun, OutboxMessage
from tests.factories import participant

ROOT = Path(__file__).resolve().parents[2]
MONDAY_9 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # 09:00 Amsterdam


def two_who_fit(engine) -> None:
    profiles = [
        (31, "Sanne", "Het Streek", "school", "foodvalley", ("leerlingen voor een praktijkopdracht",),
         ("gastlessen over warmtepompen",)),
        (32, "Ruud", "Jansen Installatietechniek", "company", "achterhoek",
         ("gastlessen warmtepomp-installatie",), ("stagiairs installatietechniek",)),
    ]  # fmt: skip
    for telegram_id, name, organisation, role, region, offers, needs in profiles:
        participant(
            engine, telegram_id, name, organisation=organisation, role=role, region=region, offers=offers,
            needs=needs, themes=("energietransitie",), completed_at=MONDAY_9 - dt.timedelta(days=3),
        )  # fmt: skip


async def test_missed_digest_is_sent_after_restart_and_only_once(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    sanne, ruud = standin.person(31, "Sanne"), standin.person(32, "Ruud")
    two_who_fit(engine)
    settings = settings.model_copy(update={"digest_grace_hours": 48})
    # The bot was down on Monday 09:00; it comes back on Monday 14:00 (within DIGEST_GRACE_HOURS).
    clock = Clock(MONDAY_9 + dt.timedelta(hours=5))
    application = build_application(settings, engine=engine, clock=clock)
    async with polling(application, poll_timeout=0.5):
        header = await sanne.reply(timeout=15)
        assert "weekoverzicht" in header.plain_text
        assert "Ruud" in header.plain_text and "Ruud" in header.button_texts[0]  # one message, a button each
        assert "weekoverzicht" in (await ruud.reply()).plain_text
        await application.bot_data.sender.idle()
    # Restart again the same week: the catch-up check finds this week's digest done and sends nothing.
    clock.advance(dt.timedelta(hours=1))
    application = build_application(settings, engine=engine, clock=clock)
    async with polling(application, poll_timeout=0.5):
        # The catch-up check, run now as its timer would run it shortly after start-up, then a drained outbox.
        assert application.job_queue is not None
        checks = application.job_queue.get_jobs_by_name("digest-catch-up")
        assert len(checks) == 1
        await checks[0].run(application)
        await application.bot_data.sender.idle()
    assert len(sanne.messages) == 1 and len(ruud.messages) == 1
    with Session(engine) as session:
        # One digest run (the follow-up round keeps a `round:followups` row of its own beside it).
        digest_runs = session.exec(select(JobRun).where(col(JobRun.key).startswith("digest:"))).all()
        assert len(digest_runs) == 1 and digest_runs[0].finished_at is not None
        assert {row.state for row in session.exec(select(OutboxMessage))} == {"sent"}


def test_cli_digest_now(tmp_path: Path, database_url: str, engine) -> None:
    two_who_fit(engine)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    environment |= {"PYTHONPATH": str(ROOT), "DATABASE_URL": database_url}
    run = [sys.executable, "-m", "bot", "digest", "--now"]
    first = subprocess.run(run, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "2 people, 1 new suggestions" in first.stdout and "2 messages queued" in first.stdout
    second = subprocess.run(run, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and "0 messages queued" in second.stdout
    with Session(engine) as session:
        assert len(session.exec(select(OutboxMessage)).all()) == 2
