"""Migrations under a lock: `koppelbot db upgrade` started by several processes at once, on an empty database.

To make four real processes reach the migration at the same moment, the test first holds the database back
(PostgreSQL: an uncommitted `alembic_version` table of its own, which every process's CREATE TABLE waits
for; SQLite: the write lock), starts the processes, waits until all four are waiting, and lets go. Without
the migration lock they then all create the schema at once, and all but one crash.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from storage import make_engine, upgrade
from storage.db import normalise_url
from storage.migrate import head_revision, schema_state
from tests.botprocess import ROOT

PROCESSES = 4


def start_upgrades(url: str, cwd: Path) -> list[subprocess.Popen[str]]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    environment |= {"PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            cwd=cwd,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]


def wait_until(predicate, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def finish(processes: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    results = []
    for process in processes:
        _out, err = process.communicate(timeout=120)
        results.append((process.returncode, err))
    return results


@pytest.mark.postgres
def test_four_upgrades_started_together_on_an_empty_postgresql_database_all_succeed(
    tmp_path: Path, empty_postgres_url: str
) -> None:
    url = empty_postgres_url
    name = make_url(normalise_url(url)).database
    engine = make_engine(url)
    holder = engine.connect()
    holder.begin()
    holder.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
    processes = start_upgrades(url, tmp_path)
    try:

        def all_waiting() -> bool:
            with engine.connect() as conn:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = :name "
                        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).scalar()
            return waiting == PROCESSES

        wait_until(all_waiting, "the four processes never all waited at the start line")
    finally:
        holder.rollback()  # go
        holder.close()
    results = finish(processes)
    assert [code for code, _ in results] == [0] * PROCESSES, "\n".join(err for _, err in results)
    assert schema_state(engine).current == head_revision()
    assert "participant" in inspect(engine).get_table_names()
    engine.dispose()


def test_four_upgrades_started_together_on_an_empty_sqlite_file_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    holder = engine.raw_connection()
    holder.execute("BEGIN IMMEDIATE")  # the file exists, in WAL mode, and its write lock is ours
    processes = start_upgrades(url, tmp_path)
    try:

        def all_opened_the_database() -> bool:
            opened = 0
            for process in processes:
                fds = Path(f"/proc/{process.pid}/fd")
                try:
                    targets = [os.readlink(fd) for fd in fds.iterdir()]
                except OSError:
                    continue
                opened += any(target.endswith("k.db-wal") for target in targets)
            return opened == PROCESSES

        wait_until(all_opened_the_database, "the four processes never opened the database")
        time.sleep(1.0)  # from opening the file to waiting for its lock is a few statements
    finally:
        holder.rollback()  # go
        holder.close()
    results = finish(processes)
    assert [code for code, _ in results] == [0] * PROCESSES, "\n".join(err for _, err in results)
    assert schema_state(engine).up_to_date
    engine.dispose()


def test_upgrade_reports_where_the_database_was_and_is(empty_database_url: str) -> None:
    head = head_revision()
    assert schema_state(empty_database_url).current is None
    assert upgrade(empty_database_url) == (None, head)
    assert upgrade(empty_database_url) == (head, head)
    assert schema_state(empty_database_url).up_to_date
