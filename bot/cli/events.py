"""`koppelbot events add CODE --name NAME [--date YYYY-MM-DD] [--rename] | list`: events, names, dates."""

from __future__ import annotations

import argparse
import datetime as dt

from sqlmodel import Session

from bot.cli._common import echo, fail, settings_with_logging
from bot.services import events as service
from storage import make_engine, session_scope, upgrade

HELP = "Events (meetings in a series): add one with a name and a date, or list them."


def _date(text: str) -> dt.date:
    parsed = service.parse_date(text)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use 2022-03-10)")
    return parsed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="events_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="Add an event (an existing code is refused unless --rename).")
    add.add_argument("code", metavar="CODE", help="letters, digits, - and _ (in the invitation link)")
    add.add_argument("--name", required=True, help='its name, e.g. "Netwerkmiddag Ede"')
    add.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="the day it is held")
    add.add_argument(
        "--rename",
        action="store_true",
        help="the code exists: give it this name (and this date, when --date is given)",
    )
    actions.add_parser("list", help="Every event with its date and how many joined through it.")


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    if args.events_action == "add":
        if not service.valid_code(args.code):
            return fail(f"not an event code: {args.code!r} (letters, digits, - and _, at most 64)")
        name = " ".join(args.name.split())
        if not name or len(name) > service.MAX_NAME:
            return fail(f"a name has 1 to {service.MAX_NAME} characters")
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        if args.events_action == "list":
            with Session(engine) as session:
                lines = service.listing(session, limit=1000)
            for line in lines:
                date = line.held_on.isoformat() if line.held_on else "-"
                echo(f"{line.code}\t{date}\t{line.name}\t{line.participants} participants")
            if not lines:
                echo(
                    'No events yet: add one with `koppelbot events add CODE --name "..." --date YYYY-MM-DD`.'
                )
            return 0
        with session_scope(engine) as session:
            line, created = service.add(
                session, code=args.code, name=name, held_on=args.date, rename=args.rename
            )
        date = line.held_on.isoformat() if line.held_on else "no date"
        if not created and not args.rename:
            return fail(
                f"event {line.code} exists already ({line.name}, {date}): nothing changed; "
                "add --rename to give it this name and date"
            )
        echo(f"{'Added' if created else 'Updated'} event {line.code}: {line.name} ({date}).")
        return 0
    finally:
        engine.dispose()
