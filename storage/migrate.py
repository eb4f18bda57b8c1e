"""Alembic, driven from code: `upgrade()` brings any database to the newest schema, one process at a time.

Several processes may start together and each migrate first (the documented scale-out: webhook processes
plus workers on one PostgreSQL database). Without a lock two of them both see an empty database and both
create the tables, and one crashes (`UniqueViolation ... pg_type_typname_nsp_index`). So the whole upgrade
runs in one transaction that first takes a lock, and only then reads which revision the database is at:

- PostgreSQL: a transaction-level advisory lock (`pg_advisory_xact_lock`), released at commit or rollback,
  also when the process dies;
- SQLite: SQLite's own write lock on the file (`BEGIN EXCLUSIVE`), which also makes the migration atomic.

The processes that waited then find the schema up to date and do nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from storage.db import SQLITE_BUSY_TIMEOUT_MS, make_engine, normalise_url
from storage.locks import lock_key

__all__ = [
    "MIGRATION_LOCK",
    "SchemaState",
    "alembic_config",
    "head_revision",
    "schema_state",
    "upgrade",
]

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = lock_key("koppelbot", "migrations")
SQLITE_MIGRATION_WAIT_MS = 120_000  # how long a waiting process waits for another's migration on SQLite


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url` using the migrations shipped inside this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    # Percent signs in passwords must be escaped for ConfigParser interpolation.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migrations found"
    return head


@contextmanager
def _engine_for(target: str | Engine) -> Iterator[Engine]:
    if isinstance(target, Engine):
        yield target
        return
    engine = make_engine(target)
    try:
        yield engine
    finally:
        engine.dispose()


def _lock_for_migration(connection: Connection) -> None:
    """Take the database-wide migration lock inside the connection's transaction (held until its end)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        # The driver opens no transaction before DDL on its own; this one also holds SQLite's write lock.
        connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_MIGRATION_WAIT_MS}")
        connection.exec_driver_sql("BEGIN EXCLUSIVE")


def upgrade(target: str | Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply every migration up to `revision` (default: the newest) under the migration lock.

    Returns the revision before and after (equal when there was nothing to do).
    """
    with _engine_for(target) as engine, engine.connect() as connection:
        with connection.begin():
            _lock_for_migration(connection)
            before = MigrationContext.configure(connection).get_current_revision()
            config = alembic_config(engine.url.render_as_string(hide_password=False))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            after = MigrationContext.configure(connection).get_current_revision()
        if connection.dialect.name == "sqlite":  # the connection goes back to the pool: its usual patience
            connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            connection.commit()
    if before != after:
        logger.info("database schema migrated from %s to %s", before or "empty", after)
    return before, after


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision (None when empty) and the newest this code knows."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_state(target: str | Engine) -> SchemaState:
    """The database's schema revision (None for an empty database) and the newest one."""
    with _engine_for(target) as engine, engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return SchemaState(current, head_revision())
