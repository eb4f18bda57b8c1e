"""`koppelbot import --profiles FILE.csv|FILE.xlsx`: participants and personal invitations from a file.

A `.xlsx` file is read as a workbook (its first sheet); anything else as a CSV file.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from bot.cli._common import echo, fail, settings_with_logging
from bot.cli._database import one_shot_database
from bot.services.imports import (
    ImportFileError,
    ImportReport,
    import_profiles,
    import_workbook,
    read_profiles,
)
from storage import make_engine

HELP = (
    "Import participants (telegram_id + consent=yes) and personal invitations (the rest) from a CSV file "
    "or an Excel workbook (.xlsx)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profiles",
        required=True,
        type=Path,
        metavar="FILE.csv",
        help="a CSV file or an .xlsx workbook (first sheet) with the columns id,name,organisation,role,"
        "region,offers,needs,interests[,reach,telegram_id,consent,language,email,event] (Dutch names too); "
        "lists separated by ';' (see docs/organisers.md)",
    )


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    path: Path = args.profiles
    try:
        data = path.read_bytes()
    except OSError as exc:
        return fail(f"cannot read {path}: {exc.strerror or exc}")
    ttl = dt.timedelta(days=settings.invite_ttl_days)
    workbook = path.suffix.lower() == ".xlsx" or data.startswith(b"PK\x03\x04")  # .xlsx is a zip file
    text, encoding = "", "an Excel workbook (first sheet)"
    if not workbook:
        try:
            text, encoding = read_profiles(data)
        except ImportFileError as exc:
            echo(f"{path.name}: {exc}")
            echo("Nothing was imported.")
            return 1
    engine = make_engine(one_shot_database(settings))
    try:
        report: ImportReport = (
            import_workbook(engine, data, invite_ttl=ttl)
            if workbook
            else import_profiles(engine, text, invite_ttl=ttl)
        )
    except ImportFileError as exc:
        echo(f"{path.name}: {exc}")
        echo("Nothing was imported.")
        return 1
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
