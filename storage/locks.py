"""Locks that keep several processes from stepping on each other.

- `AdvisoryLocks`: PostgreSQL session-level advisory locks on one dedicated connection, so a person's
  updates are never handled by two processes at once and scheduled work runs once. Non-blocking
  (`try_lock`), so an asyncio caller can wait without blocking its event loop.
- `SingleProcessLock`: SQLite supports one Koppelbot process per database file. An exclusive lock on a file
  next to the database makes a second `koppelbot run`/`worker` refuse to start instead of corrupting
  delivery guarantees (two senders could both claim a row: SQLite ignores `FOR UPDATE SKIP LOCKED`).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.db import sqlite_path

__all__ = ["AdvisoryLocks", "AlreadyRunning", "SingleProcessLock", "lock_key", "sqlite_lock_path"]

logger = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """Another Koppelbot process already uses this SQLite database."""


def lock_key(namespace: str, value: int | str) -> int:
    """A stable signed 64-bit advisory lock key for (`namespace`, `value`)."""
    digest = hashlib.blake2b(f"{namespace}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLocks:
    """PostgreSQL advisory locks held on one dedicated connection (released if the process dies)."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("advisory locks need PostgreSQL")
        self.engine = engine
        self._connection: Any = None

    def _conn(self) -> Any:
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    def try_lock(self, key: int) -> bool:
        """Take the lock `key` if nobody else holds it; True when taken."""
        try:
            return bool(self._conn().execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        except Exception:
            self.close()  # a dead connection: the next call opens a new one (its locks died with it)
            raise

    def unlock(self, key: int) -> None:
        """Release the lock `key` (taken by `try_lock`)."""
        if self._connection is None or self._connection.closed:
            return
        self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})

    def close(self) -> None:
        """Close the connection, releasing every lock it held."""
        if self._connection is not None:
            try:
                # Not back into the pool: a pooled connection would keep holding the locks.
                self._connection.invalidate()
                self._connection.close()
            except Exception:  # pragma: no cover - closing a broken connection
                logger.debug("closing the advisory lock connection failed", exc_info=True)
            self._connection = None


def sqlite_lock_path(url: str) -> Path | None:
    """The lock file next to an SQLite database file (None for PostgreSQL or an in-memory database)."""
    database = sqlite_path(url)
    if database is None:
        return None
    return database.resolve().with_name(database.name + ".lock")


class SingleProcessLock:
    """An exclusive, non-blocking lock on `<database>.lock`; the OS releases it when the process dies."""

    def __init__(self, url: str) -> None:
        self.path = sqlite_lock_path(url)
        self._handle: IO[str] | None = None

    def acquire(self) -> SingleProcessLock:
        """Take the lock, or raise AlreadyRunning naming the database file."""
        if self.path is None:
            return self
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory file locks, no check
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            database = self.path.name.removesuffix(".lock")
            raise AlreadyRunning(
                f"another Koppelbot process is already using {database}; SQLite serves one process "
                "(run the bot alone, or use PostgreSQL via DATABASE_URL to run several)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        """Let go of the lock."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> SingleProcessLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
