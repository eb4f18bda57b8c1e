"""`koppelbot db upgrade`: build or migrate the database schema."""

from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url

from bot.cli._common import echo, settings_with_logging
from storage import upgrade
from storage.db import normalise_url

HELP = "Database maintenance (upgrade: apply the schema migrations)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION", required=True)
    actions.add_parser("upgrade", help="Apply every migration (builds an empty database from scratch).")


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    settings = settings_with_logging()
    upgrade(settings.database_url)
    shown = make_url(normalise_url(settings.database_url)).render_as_string(hide_password=True)
    echo(f"Database schema is up to date: {shown}")
    return 0
