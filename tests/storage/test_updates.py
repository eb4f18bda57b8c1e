"""Processed update ids: recorded once, recognised when replayed, pruned after Telegram forgets them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, select

from storage import session_scope
from storage.models import ProcessedUpdate
from storage.types import utcnow
from storage.updates import prune_processed_updates, record_processed, was_processed


def test_an_update_is_recorded_once_and_recognised(engine) -> None:
    with session_scope(engine) as session:
        assert not was_processed(session, update_id=41)
        assert record_processed(session, update_id=41)
    with session_scope(engine) as session:
        assert was_processed(session, update_id=41)
        assert not record_processed(session, update_id=41)  # a concurrent replay: no error, no second row
        assert not was_processed(session, update_id=42)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ProcessedUpdate)).one() == 1


def test_old_rows_are_pruned_and_recent_ones_kept(engine) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        session.add(ProcessedUpdate(update_id=1, processed_at=now - dt.timedelta(days=3)))
        session.add(ProcessedUpdate(update_id=2, processed_at=now - dt.timedelta(hours=47)))
        session.add(ProcessedUpdate(update_id=3, processed_at=now))
    with session_scope(engine) as session:
        assert prune_processed_updates(session, now=now) == 1
    with Session(engine) as session:
        assert sorted(session.exec(select(ProcessedUpdate.update_id)).all()) == [2, 3]
