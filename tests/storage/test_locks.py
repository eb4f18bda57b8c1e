"""Locks between processes: one process per SQLite file; PostgreSQL advisory locks exclude other sessions."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from storage import make_engine
from storage.locks import AdvisoryLocks, AlreadyRunning, SingleProcessLock, lock_key, sqlite_lock_path

ROOT = Path(__file__).resolve().parents[2]


def test_the_lock_file_sits_next_to_the_sqlite_database(tmp_path: Path) -> None:
    assert sqlite_lock_path(f"sqlite:///{tmp_path}/k.db") == tmp_path / "k.db.lock"
    assert sqlite_lock_path("sqlite://") is None
    assert sqlite_lock_path("postgresql://u@h/db") is None


def test_a_second_process_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.db"
    with SingleProcessLock(url):
        probe = textwrap.dedent(f"""
            from storage.locks import AlreadyRunning, SingleProcessLock
            try:
                SingleProcessLock({url!r}).acquire()
            except AlreadyRunning as exc:
                print("refused:", exc)
            else:
                print("acquired")
        """)
        result = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}
        )
        assert result.stdout.startswith("refused: another Koppelbot process is already using k.db"), result
    # Released: the next process may start.
    with SingleProcessLock(url):
        pass


def test_the_same_process_cannot_take_it_twice_either(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/k.db"
    with SingleProcessLock(url), pytest.raises(AlreadyRunning):
        SingleProcessLock(url).acquire()


def test_lock_keys_are_stable_signed_64_bit_and_distinct() -> None:
    keys = {lock_key("person", n) for n in range(10_000)}
    assert len(keys) == 10_000
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert lock_key("person", 5) == lock_key("person", 5) != lock_key("job", 5)


@pytest.mark.postgres
def test_advisory_locks_exclude_other_sessions_and_die_with_the_connection(migrated_urls) -> None:
    url = migrated_urls("postgresql")
    first, second = AdvisoryLocks(make_engine(url)), AdvisoryLocks(make_engine(url))
    key = lock_key("person", 1001)
    try:
        assert first.try_lock(key)
        assert not second.try_lock(key)
        assert second.try_lock(lock_key("person", 1002))  # other people are not held up
        first.unlock(key)
        assert second.try_lock(key)
        second.close()  # a crashed process: its locks go with its connection
        # PostgreSQL releases them when the server process of that connection has ended, a moment after
        # the socket closed (longer on a busy machine), so wait for it rather than expect it at once.
        deadline = time.monotonic() + 10
        while not first.try_lock(key):
            assert time.monotonic() < deadline, "the closed connection's lock was never released"
            time.sleep(0.02)
    finally:
        first.close()
        second.close()


def test_advisory_locks_refuse_sqlite(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        AdvisoryLocks(make_engine(f"sqlite:///{tmp_path}/k.db"))
