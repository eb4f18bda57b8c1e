"""Engines and sessions: SQLite (WAL, foreign keys on, busy timeout) by default, PostgreSQL via URL."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

__all__ = [
    "is_database_locked",
    "is_sqlite",
    "make_engine",
    "normalise_url",
    "session_scope",
    "sqlite_path",
    "transaction",
]

T = TypeVar("T")

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the common way (`postgresql://` or `postgres://`)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(engine_or_url: Engine | str) -> bool:
    """True when the database is SQLite."""
    if isinstance(engine_or_url, Engine):
        return engine_or_url.dialect.name == "sqlite"
    return make_url(normalise_url(engine_or_url)).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The database file of an SQLite URL (None for PostgreSQL or an in-memory database)."""
    if not is_sqlite(url):
        return None
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        return None
    return Path(database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten content is zeroed instead of left in free space: an erased name must not stay
    # readable in the file (storage.privacy checkpoints the WAL after an erasure for the same reason).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine for a database URL with Koppelbot's connection settings."""
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,  # SQL parameters hold personal data: keep them out of errors and logs
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url, echo=echo, hide_parameters=True, pool_pre_ping=True, pool_size=5, max_overflow=10
    )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back on an exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_database_locked(error: BaseException) -> bool:
    """True for SQLite's "database is locked" / "database table is locked" (another writer holds the lock)."""
    return isinstance(error, OperationalError) and "locked" in str(error.orig or error).lower()


def transaction(
    engine: Engine, work: Callable[[Session], T], *, attempts: int = 5, backoff: float = 0.05
) -> T:
    """Run `work(session)` in one transaction, retrying the whole transaction when SQLite says "locked".

    The busy timeout makes most writers wait, but not all: a transaction that read first and then wants to
    write, after another connection wrote in between, fails at once with "database is locked" (SQLite
    cannot upgrade a stale snapshot). Starting over is the fix, so `work` must be safe to run again
    (no Telegram calls inside). Other errors, and the last failed attempt, are raised.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return work(session)
        except OperationalError as exc:
            if attempt == attempts or not is_database_locked(exc):
                raise
            logger.warning("database is locked; retrying the transaction (%d of %d)", attempt, attempts)
            time.sleep(backoff * attempt)
    raise AssertionError("unreachable")  # pragma: no cover
