"""`koppelbot broadcast`: a message to everyone or a segment, queued in the outbox.

Only enqueues: the running bot (`koppelbot run`) or `koppelbot worker` delivers at Telegram's pace.
Without `--yes` it shows how many people would receive it and changes nothing.
"""

from __future__ import annotations

import argparse
import html
from typing import Any

from sqlmodel import Session

from bot.cli._common import echo, fail, settings_with_logging
from bot.cli._database import one_shot_database
from bot.services.broadcasts import theme_segment
from matching import REGIONS, ROLES, parse_region, parse_role
from storage import make_engine, session_scope
from storage.broadcasts import count_recipients, create_draft, start_broadcast
from storage.events import event_by_code

HELP = "Send a message to everyone or to a segment, through the outbox (add --yes to send)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text", required=True, help="the message (plain text; with --html: Telegram HTML)")
    parser.add_argument("--html", action="store_true", help="the text is Telegram HTML (<b>, <i>, <a href>)")
    parser.add_argument("--region", help=f"only this region: {', '.join(REGIONS)}")
    parser.add_argument("--role", help=f"only this role: {', '.join(ROLES)}")
    parser.add_argument("--event", help="only people who joined through this event code")
    parser.add_argument("--theme", help="only people with this keyword in their offers, needs or themes")
    parser.add_argument(
        "--yes", action="store_true", help="really send (without it: show the recipient count)"
    )


def _segment(args: argparse.Namespace, session: Session) -> dict[str, Any] | str:
    segment: dict[str, Any] = {}
    if args.region:
        region = parse_region(args.region)
        if region == "outside" and args.region.strip().lower() not in {"outside", "buiten gelderland"}:
            return f"unknown region {args.region!r}; use one of {', '.join(REGIONS)}"
        segment["region"] = region
    if args.role:
        role = parse_role(args.role)
        if role == "other" and args.role.strip().lower() != "other":
            return f"unknown role {args.role!r}; use one of {', '.join(ROLES)}"
        segment["role"] = role
    if args.event:
        event = event_by_code(session, code=args.event)
        if event is None:
            return f"no event with code {args.event!r}"
        segment["event"] = event.id
    if args.theme:
        segment.update(theme_segment(args.theme))
    return segment


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    text = args.text if args.html else html.escape(args.text, quote=False)
    if not text.strip():
        return fail("the text is empty")
    if len(text) > 4000:
        return fail("the text is longer than Telegram allows (4096 characters)")
    engine = make_engine(one_shot_database(settings))
    try:
        with session_scope(engine) as session:
            segment = _segment(args, session)
            if isinstance(segment, str):
                return fail(segment)
            recipients = count_recipients(session, segment=segment)
            if not args.yes:
                echo(f"{recipients} recipients. Nothing was sent; add --yes to send.")
                return 0
            if recipients == 0:
                echo("0 recipients: nothing to send.")
                return 0
            broadcast = create_draft(session, created_by=None, text=text, segment=segment)
            total = start_broadcast(session, broadcast=broadcast)
            broadcast_id = broadcast.id
    finally:
        engine.dispose()
    echo(
        f"Broadcast #{broadcast_id} queued for {total} recipients; "
        "the running bot or `koppelbot worker` delivers it."
    )
    return 0
