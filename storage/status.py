"""What an operator asks of the database: is the outbox flowing, what ran last, who is in which state.

Read by `koppelbot status`, by `/healthz` and by `/metrics` (bot/health.py). Cheap queries on indexed
columns or small tables, safe to run every few seconds.

The follow-up round runs every few minutes and finds nothing to do most of the time, so it leaves no trace
of its own; `record_round` keeps one `job_run` row per kind of round (`round:<name>`) with the moment it
last finished, which is what "is the scheduler alive?" needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage.models import JobRun, OutboxMessage, OutboxState, Participant, ProcessedUpdate
from storage.outbox import CHAT_NOT_FOUND

__all__ = [
    "LastRun",
    "OutboxHealth",
    "last_digest",
    "last_round",
    "last_update_at",
    "outbox_health",
    "participants_by_status",
    "record_round",
]

UNSENT = (OutboxState.PENDING, OutboxState.SENDING)


@dataclass(frozen=True)
class OutboxHealth:
    """The outbox at a glance: waiting and in-hand messages, parked ones, and since when the oldest is due."""

    pending: int  # waiting to be claimed (due now or later)
    sending: int  # claimed by a sender
    parked: int  # failed too often; an organiser can requeue them (/outbox)
    oldest_due_at: dt.datetime | None  # when the longest-waiting due message became due; None if none
    unreachable: int = 0  # skipped: Telegram knows no chat with the recipient (never started the bot)

    def backlog(self, now: dt.datetime) -> dt.timedelta:
        """How long the oldest due message has been waiting (zero when none is)."""
        if self.oldest_due_at is None:
            return dt.timedelta(0)
        return max(dt.timedelta(0), now - self.oldest_due_at)


def outbox_health(session: Session, *, now: dt.datetime) -> OutboxHealth:
    """Counts per state and the oldest due moment among the messages not sent yet."""
    counts = dict(
        session.exec(
            select(OutboxMessage.state, func.count())
            .where(col(OutboxMessage.state).in_([*UNSENT, OutboxState.PARKED]))
            .group_by(OutboxMessage.state)
        ).all()
    )
    held = or_(col(OutboxMessage.not_before).is_(None), col(OutboxMessage.not_before) <= now)
    # Never tried: due since it was queued (or since its quiet hours ended).
    fresh = session.exec(
        select(func.min(func.coalesce(OutboxMessage.not_before, OutboxMessage.created_at)))
        .where(col(OutboxMessage.state).in_(UNSENT))
        .where(col(OutboxMessage.last_error).is_(None))
        .where(held)
    ).one()
    # Tried before: due since its next attempt was planned.
    retried = session.exec(
        select(func.min(OutboxMessage.next_attempt_at))
        .where(col(OutboxMessage.state).in_(UNSENT))
        .where(col(OutboxMessage.last_error).is_not(None))
        .where(col(OutboxMessage.next_attempt_at) <= now)
        .where(held)
    ).one()
    moments = [moment for moment in (fresh, retried) if moment is not None]
    unreachable = session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(col(OutboxMessage.state) == OutboxState.CANCELLED)
        .where(col(OutboxMessage.last_error) == CHAT_NOT_FOUND)
    ).one()
    return OutboxHealth(
        pending=int(counts.get(OutboxState.PENDING, 0)),
        sending=int(counts.get(OutboxState.SENDING, 0)),
        parked=int(counts.get(OutboxState.PARKED, 0)),
        oldest_due_at=min(moments) if moments else None,
        unreachable=int(unreachable),
    )


def participants_by_status(session: Session) -> dict[str, int]:
    """How many participants are active, paused, blocked or deleted."""
    rows = session.exec(
        select(Participant.status, func.count()).group_by(Participant.status).order_by(Participant.status)
    ).all()
    return {status: int(count) for status, count in rows}


def last_update_at(session: Session) -> dt.datetime | None:
    """When the newest Telegram update was handled (updates are remembered for 48 hours)."""
    return session.exec(select(func.max(ProcessedUpdate.processed_at))).one()


@dataclass(frozen=True)
class LastRun:
    """A finished run of scheduled work: what (e.g. the week `2026-W48`) and when it finished."""

    name: str
    finished_at: dt.datetime
    details: dict[str, Any]


def last_digest(session: Session) -> LastRun | None:
    """The newest weekly digest that finished."""
    run = session.exec(
        select(JobRun)
        .where(col(JobRun.key).like("digest:%"))
        .where(col(JobRun.finished_at).is_not(None))
        .order_by(col(JobRun.key).desc())
        .limit(1)
    ).first()
    if run is None or run.finished_at is None:
        return None
    return LastRun(name=run.key.removeprefix("digest:"), finished_at=run.finished_at, details=run.details)


def _round_key(name: str) -> str:
    return f"round:{name}"


def record_round(session: Session, *, name: str, now: dt.datetime, details: dict[str, Any]) -> None:
    """Remember that the round `name` (e.g. `followups`) finished at `now`; one row per name."""
    values = {"key": _round_key(name), "claimed_by": None, "started_at": now, "finished_at": now}
    table = JobRun.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(**values, details=details)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"started_at": now, "finished_at": now, "details": details},
    )
    session.execute(statement)


def last_round(session: Session, *, name: str) -> LastRun | None:
    """When the round `name` last finished, or None when it never did."""
    run = session.exec(select(JobRun).where(JobRun.key == _round_key(name))).first()
    if run is None or run.finished_at is None:
        return None
    return LastRun(name=name, finished_at=run.finished_at, details=run.details)
