"""`koppelbot db current` and `koppelbot db backup`, and quiet one-shot commands, as an operator runs them."""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from storage import make_engine, upgrade
from storage.migrate import head_revision
from storage.models import Event
from tests.bot.test_cli import koppelbot


def add_event(url: str, code: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(Event(code=code, name=f"Event {code}"))
        session.commit()
    engine.dispose()


def event_codes(url: str) -> list[str]:
    engine = make_engine(url)
    with Session(engine) as session:
        codes = sorted(session.exec(select(Event.code)).all())
    engine.dispose()
    return codes


def libpq(url: str) -> str:
    """A URL as PostgreSQL's own programs read it (no SQLAlchemy driver name)."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_db_current_says_whether_the_schema_is_the_newest(tmp_path: Path, empty_database_url: str) -> None:
    env = {"DATABASE_URL": empty_database_url}
    if empty_database_url.startswith("sqlite"):  # an empty file is an empty SQLite database
        Path(empty_database_url.removeprefix("sqlite:///")).touch()
    empty = koppelbot("db", "current", cwd=tmp_path, env=env)
    assert empty.returncode == 1, empty.stderr
    assert "none yet (empty database); run `koppelbot db upgrade`" in empty.stdout
    upgraded = koppelbot("db", "upgrade", cwd=tmp_path, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    newest = head_revision()
    assert f"migrated from empty to {newest}, now up to date" in upgraded.stdout
    current = koppelbot("db", "current", cwd=tmp_path, env=env)
    assert current.returncode == 0, current.stderr
    assert f"Schema:   {newest} (the newest)" in current.stdout
    engine = make_engine(empty_database_url)  # as if an older version had left it behind
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    behind = koppelbot("db", "current", cwd=tmp_path, env=env)
    assert behind.returncode == 1
    assert f"Schema:   0001; the newest is {newest}: run `koppelbot db upgrade`" in behind.stdout


def test_one_shot_commands_print_no_alembic_lines(tmp_path: Path) -> None:
    for args in (("db", "upgrade"), ("export", "--out", str(tmp_path / "out.csv")), ("db", "upgrade")):
        result = koppelbot(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "alembic" not in result.stderr, result.stderr
        assert "Context impl" not in result.stderr + result.stdout


def test_sqlite_backup_is_a_consistent_copy_taken_while_another_connection_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'koppelbot.db'}"
    upgrade(url)
    add_event(url, "committed")
    writer = sqlite3.connect(tmp_path / "koppelbot.db")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO event (code, name, created_at) VALUES ('uncommitted', 'x', '2026-01-01 00:00:00')"
    )
    try:
        result = koppelbot("db", "backup", "backup.db", cwd=tmp_path, env={"DATABASE_URL": url})
    finally:
        writer.rollback()
        writer.close()
    assert result.returncode == 0, result.stderr
    assert "Backed up sqlite:///" in result.stdout and "backup.db" in result.stdout
    assert "personal data" in result.stdout
    copy = tmp_path / "backup.db"
    assert not (tmp_path / "backup.db-wal").exists()
    assert event_codes(f"sqlite:///{copy}") == ["committed"]
    with sqlite3.connect(copy) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # A backup is never overwritten, and a database that is not there is said so.
    again = koppelbot("db", "backup", "backup.db", cwd=tmp_path, env={"DATABASE_URL": url})
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        "koppelbot: backup.db already exists; choose a new file name (backups are never overwritten)"
    ]
    missing = koppelbot("db", "backup", "b2.db", cwd=tmp_path, env={"DATABASE_URL": "sqlite:///nothing.db"})
    assert missing.returncode == 1 and "there is no database at nothing.db" in missing.stderr
    assert not (tmp_path / "nothing.db").exists()


@pytest.mark.postgres
def test_postgresql_backup_with_pg_dump_restores_into_an_empty_database(
    tmp_path: Path, migrated_urls, empty_postgres_url: str
) -> None:
    database_url = migrated_urls("postgresql")
    code = f"ede-{secrets.token_hex(4)}"
    add_event(database_url, code)
    result = koppelbot("db", "backup", "k.dump", cwd=tmp_path, env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    assert "pg_restore --clean --if-exists --no-owner" in result.stdout
    restore = subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={libpq(empty_postgres_url)}", str(tmp_path / "k.dump")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert restore.returncode == 0, restore.stderr
    assert code in event_codes(empty_postgres_url)


def test_postgresql_backup_without_pg_dump_says_what_to_run(tmp_path: Path) -> None:
    url = "postgresql://koppel:hunter2-secret@db.example.org:5432/koppelbot"
    result = koppelbot(
        "db", "backup", "k.dump", cwd=tmp_path, env={"DATABASE_URL": url, "PATH": str(tmp_path)}
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "pg_dump is not installed here" in lines[0]
    assert (
        "pg_dump --format=custom --no-owner --file=k.dump "
        "--dbname=postgresql://koppel@db.example.org:5432/koppelbot" in lines[0]
    )
    assert "hunter2" not in result.stderr + result.stdout
    assert shutil.which("pg_dump", path=str(tmp_path)) is None
