"""The retention promise as a decision (pure, frozen times) and as a pass over a real database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.services.retention import (
    UNDELIVERED_KEEP,
    months_before,
    plan_retention,
    run_retention,
    run_retention_if_due,
)
from bot.settings import Settings
from storage import session_scope
from storage.invitations import create_invitation
from storage.models import (
    Invitation,
    ItemKind,
    JobRun,
    OutboxMessage,
    OutboxState,
    Participant,
    ParticipantStatus,
)
from storage.outbox import enqueue
from storage.participants import add_items, create_participant
from storage.privacy import find_values
from storage.retention import RetentionRow

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in Amsterdam
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC), 12, dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)),
        (dt.datetime(2026, 3, 31, tzinfo=dt.UTC), 1, dt.datetime(2026, 2, 28, tzinfo=dt.UTC)),
        (dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 2, dt.datetime(2025, 11, 15, tzinfo=dt.UTC)),
        (dt.datetime(2028, 3, 31, tzinfo=dt.UTC), 1, dt.datetime(2028, 2, 29, tzinfo=dt.UTC)),
        (dt.datetime(2025, 1, 31, tzinfo=dt.UTC), -1, dt.datetime(2025, 2, 28, tzinfo=dt.UTC)),  # later
        (dt.datetime(2025, 12, 5, tzinfo=dt.UTC), -12, dt.datetime(2026, 12, 5, tzinfo=dt.UTC)),
    ],
)
def test_months_before_counts_calendar_months(
    moment: dt.datetime, months: int, expected: dt.datetime
) -> None:
    assert months_before(moment, months) == expected


def row(pid: int, *, active: dt.datetime, warned: dt.datetime | None = None) -> RetentionRow:
    return RetentionRow(
        pid, chat_id=pid, language="nl", status="active", last_activity=active, warned_at=warned
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (row(1, active=NOW - dt.timedelta(days=200)), "nothing"),  # recently active
        (row(2, active=months_before(NOW, 11) - DAY), "warn"),  # a month before the 12 months are up
        (row(3, active=months_before(NOW, 11) + DAY), "nothing"),  # not yet
        (row(4, active=months_before(NOW, 30)), "warn"),  # long gone but never warned: warned first
        (row(5, active=months_before(NOW, 13), warned=NOW - 31 * DAY), "erase"),  # warned a month ago
        (row(6, active=months_before(NOW, 13), warned=NOW - 10 * DAY), "nothing"),  # warned, month not over
        (row(7, active=months_before(NOW, 11) - DAY, warned=NOW - 31 * DAY), "nothing"),  # 12 months not up
        # Active again after the warning: the warning is void and the clock starts again.
        (row(8, active=NOW - 5 * DAY, warned=NOW - 40 * DAY), "nothing"),
        # Active after an old warning, then inactive again for 11 months: a fresh warning.
        (row(9, active=months_before(NOW, 11) - DAY, warned=months_before(NOW, 14)), "warn"),
    ],
)
def test_plan_warns_a_month_ahead_and_erases_only_after_a_warning(case: RetentionRow, expected: str) -> None:
    plan = plan_retention([case], now=NOW, months=12)
    outcome = "warn" if plan.warn else "erase" if plan.erase else "nothing"
    assert outcome == expected


# -- the pass over a real database (SQLite and PostgreSQL) ----------------------------------------------
def person(engine, telegram_id: int, name: str, *, active: dt.datetime, **fields: object) -> int:
    with session_scope(engine) as session:
        p = create_participant(
            session, telegram_id=telegram_id, chat_id=telegram_id, language="nl", now=active - 30 * DAY
        )
        p.name, p.organisation, p.last_seen_at = name, f"{name} BV", active
        for key, value in fields.items():
            setattr(p, key, value)
        add_items(session, participant=p, kind=ItemKind.OFFER, texts=[(f"gastles van {name}", "gastles")])
        assert p.id is not None
        return p.id


def settings_for(database_url: str, **changes: object) -> Settings:
    return Settings(_env_file=None, database_url=database_url, **changes)  # type: ignore[call-arg]


def test_a_pass_warns_through_the_outbox_after_quiet_hours_and_erases_as_delete_does(
    engine, database_url: str
) -> None:
    settings = settings_for(database_url)
    late_evening = dt.datetime(2026, 3, 3, 22, 30, tzinfo=dt.UTC)  # 23:30 in Amsterdam: quiet hours
    fresh = person(engine, 601, "Frits Vers", active=late_evening - 20 * DAY)
    due = person(engine, 602, "Wendela Waarschuw", active=months_before(late_evening, 11) - DAY)
    gone = person(
        engine, 603, "Quirijn Vergeten", active=months_before(late_evening, 13), username="quirijn_v",
        retention_warned_at=late_evening - 31 * DAY,
    )  # fmt: skip
    report = run_retention(engine, settings=settings, now=late_evening)
    assert report.warned == [due] and report.erased == [gone] and report.warnings_queued == 1
    with Session(engine) as session:
        warning = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "retention")).one()
        assert warning.participant_id == due and warning.chat_id == 602
        assert (
            "Doe je nog mee" in warning.payload["text"] and "3-4-2026" in warning.payload["text"]
        )  # in Amsterdam
        buttons = warning.payload["reply_markup"]["inline_keyboard"]
        assert buttons == [[{"text": "Ik doe nog mee", "callback_data": "ret:keep"}]]
        # Quiet hours: not before 08:00 the next morning in Amsterdam.
        assert warning.not_before == dt.datetime(2026, 3, 4, 7, 0, tzinfo=dt.UTC)
        assert session.get(Participant, due).retention_warned_at == late_evening  # type: ignore[union-attr]
        assert session.get(Participant, fresh).retention_warned_at is None  # type: ignore[union-attr]
        tomb = session.get(Participant, gone)
        assert tomb is not None and tomb.status == ParticipantStatus.DELETED
        assert (
            find_values(session, needles=["Quirijn Vergeten", "quirijn_v", "gastles van Quirijn", 603]) == []
        )
        assert find_values(session, needles=["Wendela Waarschuw", "Frits Vers"])  # the others stay
    # The same day again: the warning is not queued twice, nobody else is erased.
    again = run_retention(engine, settings=settings, now=late_evening + dt.timedelta(minutes=5))
    assert again.warned == [] and again.erased == []
    # A month later, still inactive: erased.
    later = run_retention(engine, settings=settings, now=late_evening + 31 * DAY)
    assert later.erased == [due]


def test_a_dry_run_changes_nothing(engine, database_url: str) -> None:
    due = person(engine, 611, "Dirk Droog", active=months_before(NOW, 11) - DAY)
    report = run_retention(engine, settings=settings_for(database_url), now=NOW, dry_run=True)
    assert report.dry_run and report.warned == [due]
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []
        assert session.get(Participant, due).retention_warned_at is None  # type: ignore[union-attr]


def test_retention_months_is_a_setting(engine, database_url: str) -> None:
    due = person(engine, 621, "Sietske Snel", active=months_before(NOW, 5) - DAY)
    assert run_retention(engine, settings=settings_for(database_url), now=NOW, dry_run=True).warned == []
    six = settings_for(database_url, retention_months=6)
    assert run_retention(engine, settings=six, now=NOW, dry_run=True).warned == [due]


def test_the_daily_pass_runs_once_a_day_across_processes(engine, database_url: str) -> None:
    settings = settings_for(database_url)
    person(engine, 631, "Daan Dagelijks", active=months_before(NOW, 11) - DAY)
    first = run_retention_if_due(engine, settings=settings, now=NOW, owner="worker-1")
    assert first is not None and len(first.warned) == 1
    assert (
        run_retention_if_due(engine, settings=settings, now=NOW + dt.timedelta(hours=3), owner="w2") is None
    )
    assert run_retention_if_due(engine, settings=settings, now=NOW + DAY, owner="worker-2") is not None
    with Session(engine) as session:
        runs = session.exec(select(JobRun).order_by(JobRun.id)).all()  # type: ignore[arg-type]
    assert [run.key for run in runs] == ["retention:2026-03-03", "retention:2026-03-04"]
    assert runs[0].details["warned"] == 1 and runs[0].finished_at is not None


def test_a_pass_clears_expired_invitations_and_gives_up_undelivered_messages(
    engine, database_url: str
) -> None:
    with session_scope(engine) as session:
        create_invitation(
            session, name="Ingrid Uitgenodigd", email="ingrid@example.org", source_key="import:9:ingrid",
            prefill={"name": "Ingrid Uitgenodigd"}, ttl=dt.timedelta(days=60), now=NOW - 61 * DAY,
        )  # fmt: skip
        create_invitation(session, name="Nog Geldig", ttl=dt.timedelta(days=60), now=NOW - 10 * DAY)
        old = NOW - UNDELIVERED_KEEP - DAY
        for key, state in (("parked", OutboxState.PARKED), ("blocked", OutboxState.BLOCKED)):
            row = enqueue(
                session, dedupe_key=key, chat_id=1, kind="relay", text=f"bel me op 0612345678 {key}"
            )
            assert row is not None
            row.state, row.created_at = state, old
            session.add(row)
        recent = enqueue(session, dedupe_key="recent", chat_id=1, kind="relay", text="bel me 0687654321")
        assert recent is not None
        recent.state = OutboxState.PARKED
        session.add(recent)
    report = run_retention(engine, settings=settings_for(database_url), now=NOW)
    assert report.invitations_cleared == 1 and report.messages_given_up == 2
    with Session(engine) as session:
        assert find_values(session, needles=["Ingrid", "ingrid@example.org", "0612345678"]) == []
        assert find_values(session, needles=["Nog Geldig", "0687654321"])  # not expired, not given up yet
        states = {r.dedupe_key: r.state for r in session.exec(select(OutboxMessage)).all()}
        assert states == {"parked": "cancelled", "blocked": "blocked", "recent": "parked"}
        assert len(session.exec(select(Invitation)).all()) == 2


def test_cli_retention_dry_run_then_for_real(tmp_path: Path, database_url: str, engine) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    due = person(engine, 641, "Cornelis Commando", active=long_ago, username="cornelis_c")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    environment |= {"PYTHONPATH": str(ROOT), "DATABASE_URL": database_url}

    def retention(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot", "retention", *args]
        return subprocess.run(
            command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
        )

    dry = retention("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"1 would be warned (ids {due})" in dry.stdout and "0 would be erased" in dry.stdout
    assert "nothing changed" in dry.stdout
    real = retention()
    assert real.returncode == 0, real.stderr
    assert f"1 warned (ids {due}), 1 warnings queued" in real.stdout and "0 erased" in real.stdout
    for output in (dry.stdout + dry.stderr, real.stdout + real.stderr):  # no personal data printed
        assert "Cornelis" not in output and "cornelis_c" not in output and "641" not in output
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage.kind)).all() == ["retention"]
