"""The database as the subcommands open it: refuse a missing SQLite file, name it, fail in one line."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.cli._common import echo
from bot.settings import Settings
from storage import upgrade
from storage.db import normalise_url, sqlite_path

__all__ = [
    "DatabaseUnavailable",
    "check_database",
    "database_failure",
    "one_shot_database",
    "shown_url",
]

NO_DATABASE = "no database at {path}; run `koppelbot db upgrade` first or set DATABASE_URL"


class DatabaseUnavailable(Exception):
    """The database cannot be used; the message says why in one line, without a password."""


def shown_url(url: str) -> str:
    """The database URL as it may be printed: without the password."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def check_database(url: str, *, create: bool) -> None:
    """Raise DatabaseUnavailable when an SQLite database file is missing (`create=False`: only `run`,
    `worker`, `db upgrade` and the demo create one) or its folder is (`create=True`)."""
    path = sqlite_path(url)
    if path is None:
        return
    if not create and not path.is_file():
        raise DatabaseUnavailable(NO_DATABASE.format(path=path.resolve()))
    if create and not path.parent.is_dir():
        raise DatabaseUnavailable(
            f"cannot create the database {path}: the folder {path.parent} does not exist"
        )


def one_shot_database(settings: Settings) -> str:
    """The URL of the existing database, brought to the newest schema; prints which database it is."""
    url = settings.database_url
    check_database(url, create=False)
    upgrade(url)
    echo(f"Database: {shown_url(url)}")
    return url


def database_failure(error: BaseException, url: str) -> str | None:
    """One line for an error that says the database cannot be reached or opened (None for other errors)."""
    if isinstance(error, DatabaseUnavailable):
        return str(error)
    if not isinstance(error, OperationalError | InterfaceError):
        return None
    reason = " ".join(str(error.orig or error).split())
    password = make_url(normalise_url(url)).password
    if password:
        reason = reason.replace(str(password), "***")
    return f"cannot use the database {shown_url(url)}: {reason}"
