"""`koppelbot db upgrade | current | backup FILE`: the database schema and its backups."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli._common import echo, fail, settings_with_logging
from bot.cli._database import check_database, shown_url
from storage import upgrade
from storage.backup import BackupError, backup_sqlite, pg_dump
from storage.db import is_sqlite
from storage.migrate import schema_state

HELP = "Database maintenance: upgrade (apply the migrations), current (which revision), backup FILE."

NOT_UP_TO_DATE = "run `koppelbot db upgrade` (`koppelbot run` does it on start)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    actions.add_parser(
        "upgrade",
        help="Apply every migration (builds an empty database from scratch). Safe to start several at once.",
    )
    actions.add_parser(
        "current", help="Show the database's schema revision; exit code 1 when it is not the newest."
    )
    backup = actions.add_parser(
        "backup",
        help="Copy the database to FILE while the bot runs (SQLite: online backup; PostgreSQL: pg_dump).",
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="the new backup file (never overwritten)")


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    url = settings.database_url
    if args.db_action == "current":
        check_database(url, create=False)
        return _current(url)
    if args.db_action == "backup":
        return _backup(url, args.file)
    check_database(url, create=True)
    before, after = upgrade(url)
    if before == after:
        echo(f"Database schema is up to date ({after}): {shown_url(url)}")
    else:
        echo(
            f"Database schema migrated from {before or 'empty'} to {after}, now up to date: {shown_url(url)}"
        )
    return 0


def _current(url: str) -> int:
    state = schema_state(url)
    echo(f"Database: {shown_url(url)}")
    if state.up_to_date:
        echo(f"Schema:   {state.current} (the newest)")
        return 0
    if state.current is None:
        echo(f"Schema:   none yet (empty database); {NOT_UP_TO_DATE}")
    else:
        echo(f"Schema:   {state.current}; the newest is {state.head}: {NOT_UP_TO_DATE}")
    return 1


def _backup(url: str, target: Path) -> int:
    try:
        size = backup_sqlite(url, target) if is_sqlite(url) else pg_dump(url, target)
    except BackupError as exc:
        return fail(str(exc), code=1)
    echo(f"Backed up {shown_url(url)} to {target} ({_size(size)}).")
    if is_sqlite(url):
        echo("Restore: stop the bot, copy this file over the database file, delete its -wal and -shm, start.")
    else:
        echo(f"Restore: pg_restore --clean --if-exists --no-owner --dbname=DATABASE_URL {target}")
    echo("It holds personal data: keep it encrypted and delete it when it is no longer needed.")
    return 0


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
