"""Backups while the bot runs: SQLite through SQLite's own online backup, PostgreSQL through `pg_dump`.

- SQLite: Python's `sqlite3` backup API copies a consistent snapshot (WAL included, uncommitted writes
  excluded) page by page while other connections go on reading and writing; no `sqlite3` program needed.
  The copy is written next to the target and renamed into place, so a crash never leaves half a backup
  under the final name, and it is checked (`PRAGMA integrity_check`) before that.
- PostgreSQL: `pg_dump --format=custom`, restored with `pg_restore`. The password goes to `pg_dump` in
  its environment (PGPASSWORD), not on its command line where other users of the machine could read it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storage.db import normalise_url, sqlite_path

__all__ = ["BackupError", "PgDump", "backup_sqlite", "pg_dump", "pg_dump_plan"]


class BackupError(Exception):
    """The backup could not be made; the message says why in one line."""


def _partial(target: Path) -> Path:
    """The file the backup is written to before it is renamed to `target`: new, readable by us only."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # It holds personal data: mode 0600 from the first byte (SQLite and pg_dump keep an existing file's mode).
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    os.chmod(partial, 0o600)  # whatever the umask
    return partial


def _refuse_existing(target: Path) -> None:
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name (backups are never overwritten)")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")


def backup_sqlite(url: str, target: Path) -> int:
    """Copy the SQLite database of `url` to `target` while it is in use; returns the size in bytes."""
    source_path = sqlite_path(url)
    if source_path is None:
        raise BackupError("not an SQLite database file")
    if not source_path.is_file():
        raise BackupError(f"there is no database at {source_path}")
    _refuse_existing(target)
    partial = _partial(target)
    source = sqlite3.connect(source_path, timeout=15)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            check = copy.execute("PRAGMA integrity_check").fetchone()
        finally:
            copy.close()
    finally:
        source.close()
    if not check or check[0] != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check ({check[0] if check else 'no answer'})")
    partial.rename(target)
    return target.stat().st_size


@dataclass(frozen=True)
class PgDump:
    """How to dump a PostgreSQL database: the command line (no password in it) and the password, if any."""

    argv: list[str]
    password: str | None

    def shell_line(self) -> str:
        """The command for a person to run elsewhere (no password: pg_dump asks, or reads PGPASSWORD)."""
        return shlex.join(self.argv)


def pg_dump_plan(url: str, target: Path, *, program: str = "pg_dump") -> PgDump:
    """The `pg_dump` call that writes a custom-format dump of `url` to `target`."""
    parsed: URL = make_url(normalise_url(url))
    without_password = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    libpq = without_password.render_as_string(hide_password=False)
    argv = [program, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={libpq}"]
    return PgDump(argv=argv, password=parsed.password)


def pg_dump(url: str, target: Path) -> int:
    """Dump the PostgreSQL database of `url` to `target` with `pg_dump`; returns the size in bytes.

    Raises BackupError when pg_dump is missing (say what to run instead) or fails.
    """
    _refuse_existing(target)
    program = shutil.which("pg_dump")
    plan = pg_dump_plan(url, target)
    if program is None:
        raise BackupError(
            "pg_dump is not installed here (Debian/Ubuntu: apt install postgresql-client). "
            f"Or run on a machine that has it: {plan.shell_line()}"
        )
    partial = _partial(target)
    plan = pg_dump_plan(url, partial, program=program)
    environment = dict(os.environ)
    if plan.password is not None:
        environment["PGPASSWORD"] = plan.password
    result = subprocess.run(plan.argv, env=environment, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        lines = result.stderr.strip().splitlines() or [f"exit code {result.returncode}"]
        raise BackupError(f"pg_dump failed: {lines[-1]}")
    partial.rename(target)
    return target.stat().st_size
