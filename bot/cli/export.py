"""`koppelbot export --out FILE.xlsx|FILE.csv`: participants, suggestions, introductions and projects.

A `.xlsx` file is a workbook with one sheet per record kind; any other name gets the one-file CSV.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlmodel import Session

from bot.cli._common import echo, fail, settings_with_logging, write_private
from bot.cli._database import one_shot_database
from bot.services.exports import export_csv, export_xlsx
from storage import make_engine
from storage.exports import export_data
from storage.scope import Scope

HELP = "Export participants (with consent), suggestions, introductions and projects for Excel."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE.xlsx",
        help="where to write: FILE.xlsx (a workbook, one sheet per kind) or FILE.csv (UTF-8 with BOM, ';')",
    )


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    engine = make_engine(one_shot_database(settings))
    try:
        with Session(engine) as session:
            data = export_data(session, scope=Scope.everything())
    finally:
        engine.dispose()
    try:
        if args.out.suffix.lower() == ".xlsx":
            content = export_xlsx(data, tz=settings.tz, language=settings.default_language)
        else:
            content = export_csv(data, tz=settings.tz)
        write_private(args.out, content)
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc.strerror or exc}")
    echo(
        f"Wrote {args.out}: {len(data.participants)} participants, {len(data.suggestions)} suggestions, "
        f"{len(data.introductions)} introductions, {len(data.projects)} projects."
    )
    return 0
