"""The schema is built by Alembic from empty, on SQLite and PostgreSQL, and matches the SQLModel tables."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from storage import make_engine, session_scope, upgrade
from storage.models import Participant, ProfileItem

EXPECTED_TABLES = {
    "broadcast", "card_copy", "event", "follow_up", "introduction", "invitation", "job_run", "never_suggest",
    "organiser", "organiser_chat", "outbox", "participant", "participant_event", "processed_update",
    "profile_item", "suggestion",
}  # fmt: skip


def test_upgrade_builds_every_table_on_an_empty_sqlite_file(sqlite_file: str) -> None:
    upgrade(sqlite_file)
    engine = make_engine(sqlite_file)
    assert EXPECTED_TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1  # erased values are zeroed
    engine.dispose()


def test_upgrade_is_idempotent(sqlite_file: str) -> None:
    upgrade(sqlite_file)
    upgrade(sqlite_file)
    engine = make_engine(sqlite_file)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() is not None
    engine.dispose()


def test_migrations_match_the_models(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []


def test_timestamps_come_back_timezone_aware_in_utc(engine) -> None:
    moment = dt.datetime(2026, 3, 10, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with session_scope(engine) as session:
        session.add(Participant(telegram_id=1, name="Anna", consent_at=moment))
    with Session(engine) as session:
        stored = session.exec(select(Participant)).one()
    assert stored.consent_at == moment
    assert stored.consent_at is not None and stored.consent_at.utcoffset() == dt.timedelta(0)


def test_naive_timestamps_are_refused(engine) -> None:
    with pytest.raises(Exception, match="naive"), session_scope(engine) as session:
        session.add(Participant(telegram_id=2, consent_at=dt.datetime(2026, 1, 1)))


def test_foreign_keys_are_enforced(engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(ProfileItem(participant_id=424242, kind="offer", text="gastles"))


def test_profile_items_go_with_their_participant(engine) -> None:
    with session_scope(engine) as session:
        person = Participant(telegram_id=3, name="Ruud")
        session.add(person)
        session.flush()
        session.add(ProfileItem(participant_id=person.id, kind="offer", text="gastlessen warmtepompen"))
    with session_scope(engine) as session:
        session.delete(session.exec(select(Participant)).one())
    with Session(engine) as session:
        assert session.exec(select(ProfileItem)).all() == []


def test_telegram_ids_beyond_32_bits_fit(engine) -> None:
    with session_scope(engine) as session:
        session.add(Participant(telegram_id=8_123_456_789, name="Big"))
    with Session(engine) as session:
        assert session.exec(select(Participant.telegram_id)).one() == 8_123_456_789
