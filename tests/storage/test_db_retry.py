"""SQLite "database is locked" is retried, not fatal.

The busy timeout (storage/db.py) makes a writer wait for another's lock; when the lock is held longer than
that (a big import, a backup, another tool), the transaction fails with "database is locked" and
`storage.db.transaction` starts it over.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from storage import make_engine, upgrade
from storage.db import is_database_locked, transaction
from storage.models import ProcessedUpdate


@pytest.fixture
def sqlite_path(tmp_path: Path) -> str:
    path = str(tmp_path / "k.db")
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def impatient(sqlite_path: str) -> Iterator[Engine]:
    """An engine whose busy timeout (100 ms) is shorter than the lock the test holds."""
    engine = make_engine(f"sqlite:///{sqlite_path}")
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA busy_timeout=100"))
    yield engine
    engine.dispose()


def hold_write_lock(path: str, seconds: float) -> threading.Event:
    """Another connection takes SQLite's write lock now and releases it after `seconds`."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Event()

    def release() -> None:
        time.sleep(seconds)
        holder.execute("COMMIT")
        holder.close()
        released.set()

    threading.Thread(target=release, daemon=True).start()
    return released


def write(update_id: int):  # type: ignore[no-untyped-def]
    def work(session) -> None:  # type: ignore[no-untyped-def]
        session.add(ProcessedUpdate(update_id=update_id))
        session.flush()

    return work


def test_without_retrying_a_held_write_lock_is_fatal(sqlite_path: str, impatient: Engine) -> None:
    released = hold_write_lock(sqlite_path, 0.6)
    with pytest.raises(OperationalError) as raised:
        transaction(impatient, write(1), attempts=1)
    assert is_database_locked(raised.value)
    released.wait(5)


def test_a_held_write_lock_is_waited_out_by_retrying(sqlite_path: str, impatient: Engine) -> None:
    released = hold_write_lock(sqlite_path, 0.6)
    transaction(impatient, write(7), attempts=20, backoff=0.05)
    assert released.is_set()
    with impatient.connect() as conn:
        assert conn.execute(text("SELECT update_id FROM processed_update")).scalars().all() == [7]


def test_other_errors_are_not_retried(impatient: Engine) -> None:
    calls: list[int] = []

    def broken(session) -> None:  # type: ignore[no-untyped-def]
        calls.append(1)
        session.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(OperationalError):
        transaction(impatient, broken, attempts=5)
    assert calls == [1]
