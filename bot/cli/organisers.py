"""`koppelbot organisers add ID [--region R] [--event CODE] | list`: organisers and their scope."""

from __future__ import annotations

import argparse

from sqlmodel import Session

from bot.cli._common import echo, fail, settings_with_logging
from bot.services import organisers as service
from matching import REGIONS
from storage import make_engine, session_scope, upgrade

HELP = "Organisers: add one by Telegram id (optionally for one region and/or event), or list them."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="organisers_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="Make a Telegram user an organiser (global unless scoped).")
    add.add_argument("telegram_id", type=int, metavar="ID", help="their Telegram user id")
    add.add_argument("--region", choices=REGIONS, help="only this region's participants")
    add.add_argument(
        "--event", metavar="CODE", help="only the participants of this event (see `events list`)"
    )
    actions.add_parser("list", help="Every organiser with their name and scope.")


def _scope_text(line: service.OrganiserLine) -> str:
    parts = []
    if line.scope.region is not None:
        parts.append(f"region {line.scope.region}")
    if line.scope.event_code is not None:
        parts.append(f"event {line.scope.event_code}")
    return ", ".join(parts) or "everything"


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    configured = settings.organiser_ids
    try:
        if args.organisers_action == "list":
            with Session(engine) as session:
                lines = service.listing(session, configured=configured)
            for line in lines:
                name = line.name or (f"@{line.username}" if line.username else "")
                fixed = " (ORGANISER_IDS)" if line.configured else ""
                echo(f"{line.telegram_id}\t{name}\t{_scope_text(line)}{fixed}")
            if not lines:
                echo("No organisers yet: set ORGANISER_IDS or add one with `koppelbot organisers add ID`.")
            return 0
        if not 0 < args.telegram_id < 2**53:
            return fail(f"not a Telegram user id: {args.telegram_id}")
        if args.telegram_id in configured:
            return fail(f"{args.telegram_id} is in ORGANISER_IDS: a global organiser already", code=1)
        words = [word for word in (args.region, args.event) if word]
        with session_scope(engine) as session:
            scope = service.parse_scope(session, words=words)
            if scope is None:
                return fail(f"no event with the code {args.event!r}: add it with `koppelbot events add`")
            created = service.add(session, telegram_id=args.telegram_id, added_by=None, scope=scope)
        shown = ", ".join(f"{k} {v}" for k, v in (("region", scope.region), ("event", scope.event_code)) if v)
        verb = "is now an organiser" if created else "was an organiser already; scope now"
        echo(f"{args.telegram_id} {verb}: {shown or 'everything'}.")
        echo(
            "Their command menu appears when the bot next starts (or add them in Telegram with /organisers)."
        )
        return 0
    finally:
        engine.dispose()
