"""`koppelbot status`: one screen an operator reads, on both databases, while nothing else runs."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage import outbox, session_scope
from storage.migrate import head_revision
from storage.models import JobRun, OutboxMessage, OutboxState, Participant, ProcessedUpdate
from storage.status import last_round, record_round
from storage.types import utcnow
from tests.bot.test_cli import koppelbot


def status_lines(tmp_path: Path, url: str) -> dict[str, str]:
    result = koppelbot("status", cwd=tmp_path, env={"DATABASE_URL": url, "TIMEZONE": "UTC"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 8, result.stdout  # one screen, one fact a line
    return {line[:22].strip(): line[22:] for line in lines}


def test_status_of_a_fresh_database(tmp_path: Path, database_url: str) -> None:
    lines = status_lines(tmp_path, database_url)
    assert lines["Koppelbot"] == "0.1.0"
    assert lines["Schema"] == f"{head_revision()} (the newest)"
    assert lines["Participants"] == "0 active, 0 paused, 0 blocked, 0 deleted (0 in all)"
    assert lines["Outbox"] == "0 pending, 0 being sent, 0 parked; nothing due"
    assert lines["Last digest"] == "none yet"
    assert lines["Last follow-up round"] == "never"
    assert lines["Last update received"] == "none in the last 48 hours"


def test_status_of_a_bot_that_has_been_at_work(tmp_path: Path, engine: Engine, database_url: str) -> None:
    now = utcnow()
    with Session(engine) as session:
        for index, state in enumerate(["active"] * 3 + ["paused", "blocked"]):
            session.add(Participant(telegram_id=100 + index, chat_id=100 + index, status=state))
        session.add(JobRun(key="digest:2026-W47", started_at=now, finished_at=now - dt.timedelta(days=8)))
        session.add(
            JobRun(
                key="digest:2026-W48",
                started_at=now,
                finished_at=dt.datetime(2026, 11, 23, 9, 0, 3, tzinfo=dt.UTC),
            )
        )
        session.add(JobRun(key="digest:2026-W49", started_at=now))  # running, not finished
        session.add(ProcessedUpdate(update_id=7, processed_at=now - dt.timedelta(minutes=3)))
        session.commit()
    with session_scope(engine) as session:
        for index in range(3):
            outbox.enqueue(session, dedupe_key=f"t:{index}", chat_id=100, kind="test", text="hallo")
        record_round(session, name="followups", now=now - dt.timedelta(minutes=4), details={"queued": 0})
        record_round(session, name="followups", now=now - dt.timedelta(minutes=2), details={"queued": 1})
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        rows[0].state = OutboxState.PARKED
        for row in rows[1:]:  # queued a quarter of an hour ago
            row.created_at = now - dt.timedelta(minutes=15)
        session.add_all(rows)
        session.commit()
    lines = status_lines(tmp_path, database_url)
    assert lines["Participants"] == "3 active, 1 paused, 1 blocked, 0 deleted (5 in all)"
    assert (
        lines["Outbox"]
        == "2 pending, 0 being sent, 1 parked (see /outbox in Telegram); oldest due 15 min ago"
    )
    assert lines["Last digest"].startswith("2026-W48, finished 2026-11-23 09:00 UTC (")
    assert lines["Last follow-up round"].endswith("(120 s ago)") or lines["Last follow-up round"].endswith(
        "(2 min ago)"
    )
    assert lines["Last update received"].endswith("(3 min ago)")


def test_status_of_an_empty_database_says_what_to_run(tmp_path: Path) -> None:
    (tmp_path / "koppelbot.db").touch()  # an empty file is an empty SQLite database
    result = koppelbot("status", cwd=tmp_path)
    assert result.returncode == 1
    assert "Schema                none yet (empty database); run `koppelbot db upgrade`" in result.stdout
    assert not (tmp_path / "koppelbot.db.lock").exists()


async def test_the_running_bot_records_each_follow_up_round(bot, engine: Engine) -> None:
    """The round runs two seconds after start (and every five minutes): status can tell it is alive."""
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        with Session(engine) as session:
            round_ = last_round(session, name="followups")
        if round_ is not None:
            break
        assert asyncio.get_running_loop().time() < deadline, "no follow-up round was recorded"
        await asyncio.sleep(0.1)
    assert round_.details == {"planned": 0, "queued": 0, "cancelled": 0, "postponed": 0}
