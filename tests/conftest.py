"""Fixtures that build real things: SQLite and PostgreSQL databases, the Bot API stand-in, a running bot.

PostgreSQL tests run when TEST_DATABASE_URL points at a server (e.g. postgresql://postgres@127.0.0.1:5432/
postgres); each test session creates its own uniquely named database there and drops it at the end. With
KOPPELBOT_REQUIRE_POSTGRES=1 (as in CI) a missing or unreachable server is an error, not a skip.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table)
from bot.app import KoppelApplication, build_application
from bot.runner import polling
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import make_engine, upgrade
from storage.db import normalise_url
from tests.factories import ALWAYS_AWAKE

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without TEST_DATABASE_URL, skip the PostgreSQL variants before any of their fixtures start."""
    if os.environ.get("TEST_DATABASE_URL") or os.environ.get("KOPPELBOT_REQUIRE_POSTGRES") == "1":
        return
    skip = pytest.mark.skip(reason="TEST_DATABASE_URL is not set")
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(skip)


def _postgres_admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("KOPPELBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail("KOPPELBOT_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("TEST_DATABASE_URL is not set")
    return url


@pytest.fixture(scope="session")
def migrated_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Lazily created, migrated databases per backend for this test session (dropped at the end)."""
    created: dict[str, str] = {}
    cleanups: list[tuple[str, str]] = []

    def get(backend: str) -> str:
        if backend in created:
            return created[backend]
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'koppelbot.db'}"
        else:
            admin = make_url(normalise_url(_postgres_admin_url()))
            name = f"koppelbot_test_{secrets.token_hex(4)}"
            admin_engine = make_engine(admin.render_as_string(hide_password=False))
            try:
                with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
            except Exception as exc:  # pragma: no cover - depends on the machine
                if os.environ.get("KOPPELBOT_REQUIRE_POSTGRES") == "1":
                    pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {type(exc).__name__}")
                pytest.skip(f"PostgreSQL unreachable: {type(exc).__name__}")
            finally:
                admin_engine.dispose()
            url = admin.set(database=name).render_as_string(hide_password=False)
            cleanups.append((admin.render_as_string(hide_password=False), name))
        upgrade(url)
        created[backend] = url
        return url

    yield get  # type: ignore[misc]
    for admin_url, name in cleanups:
        admin_engine = make_engine(admin_url)
        with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, migrated_urls) -> str:  # type: ignore[no-untyped-def]
    """The URL of an empty, fully migrated database: SQLite, and PostgreSQL when available."""
    url: str = migrated_urls(request.param)
    engine = make_engine(url)
    _empty_all_tables(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty, migrated database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def standin() -> Iterator[BotAPIStandIn]:
    """A fresh Bot API stand-in listening on loopback."""
    with BotAPIStandIn() as server:
        yield server


@pytest.fixture
def settings(database_url: str, standin: BotAPIStandIn) -> Settings:
    """Production settings pointed at the stand-in and the test database (no .env file read)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=standin.token,
        telegram_api_base_url=standin.base_url,
        database_url=database_url,
        organiser_ids=[900001],
        # No catch-up digest because of today's real date in unrelated tests; digest tests set their own.
        digest_grace_hours=0,
        # No quiet hours: end-to-end tests run at any real hour (a "ja" at night would wait for the morning).
        # Tests of quiet hours set them (tests.factories.QUIET_NIGHTS).
        **ALWAYS_AWAKE,
    )


@pytest.fixture
async def bot(settings: Settings, engine: Engine) -> AsyncIterator[KoppelApplication]:
    """The real bot, built and run exactly as `koppelbot run` does, polling the stand-in."""
    application = build_application(settings, engine=engine)
    async with polling(application, poll_timeout=1.0):
        yield application


@contextlib.contextmanager
def _new_postgres_database() -> Iterator[str]:
    admin = make_url(normalise_url(_postgres_admin_url()))
    admin_url = admin.render_as_string(hide_password=False)
    name = f"koppelbot_empty_{secrets.token_hex(4)}"
    admin_engine = make_engine(admin_url)
    try:
        with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a brand-new database without any table: an SQLite file, and a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with _new_postgres_database() as url:
        yield url


@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """The URL of a brand-new PostgreSQL database without any table (dropped after the test)."""
    with _new_postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_file(tmp_path: Path) -> str:
    """A path for a brand-new SQLite database file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'fresh.db'}"
