"""Processed Telegram updates: each update id is handled once, even when Telegram (or a crash) replays it.

An update is recorded after it was handled, not before: a process killed mid-update has not recorded it, so
the redelivered update is handled again (the one in-flight repeat the design allows) instead of being lost.
Telegram keeps undelivered updates for 24 hours, so rows older than that are pruned.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql import Executable
from sqlmodel import Session, select

from storage.models import ProcessedUpdate
from storage.types import utcnow

__all__ = ["KEEP_PROCESSED_FOR", "prune_processed_updates", "record_processed", "was_processed"]

KEEP_PROCESSED_FOR = dt.timedelta(hours=48)


def was_processed(session: Session, *, update_id: int) -> bool:
    """True when the update with this id was handled before."""
    found = session.exec(select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id))
    return found.first() is not None


def record_processed(session: Session, *, update_id: int) -> bool:
    """Record that the update was handled; False when it was recorded already (a concurrent replay)."""
    dialect = session.get_bind().dialect.name
    values = {"update_id": update_id, "processed_at": utcnow()}
    statement: Executable
    table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        statement = pg_insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        statement = insert(table).values(**values)
    return session.execute(statement.returning(table.c.update_id)).first() is not None  # type: ignore[attr-defined]


def prune_processed_updates(
    session: Session, *, older_than: dt.timedelta = KEEP_PROCESSED_FOR, now: dt.datetime | None = None
) -> int:
    """Forget updates handled longer ago than `older_than`; returns how many rows went."""
    cutoff = (now or utcnow()) - older_than
    result = session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff))  # type: ignore[arg-type]
    return int(result.rowcount)  # type: ignore[attr-defined]
