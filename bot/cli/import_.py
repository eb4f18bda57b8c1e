"""`koppelbot import --profiles FILE.csv`: participants and personal invitations from a CSV file."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from bot.cli._common import echo, fail, settings_with_logging
from bot.cli._database import one_shot_database
from bot.services.imports import ImportFileError, import_profiles, read_profiles
from storage import make_engine

HELP = "Import participants (telegram_id + consent=yes) and personal invitations (the rest) from a CSV file."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profiles",
        required=True,
        type=Path,
        metavar="FILE.csv",
        help="id,name,organisation,role,region,offers,needs,interests[,reach,telegram_id,consent,language,"
        "email,event]; lists separated by ';' (see docs/organisers.md)",
    )


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    path: Path = args.profiles
    try:
        data = path.read_bytes()
    except OSError as exc:
        return fail(f"cannot read {path}: {exc.strerror or exc}")
    try:
        text, encoding = read_profiles(data)
    except ImportFileError as exc:
        echo(f"{path.name}: {exc}")
        echo("Nothing was imported.")
        return 1
    engine = make_engine(one_shot_database(settings))
    try:
        report = import_profiles(engine, text, invite_ttl=dt.timedelta(days=settings.invite_ttl_days))
    finally:
        engine.dispose()
    echo(f"Read {path.name} as {encoding}.")
    echo(
        f"Participants: {report.participants_created} new, {report.participants_existing} already there. "
        f"Invitations: {report.invitations_created} new, {report.invitations_existing} already there."
    )
    for line, message in report.errors:
        echo(f"{path.name}:{line}: {message}")
    echo(report.summary())
    return 1 if report.errors else 0
