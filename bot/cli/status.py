"""`koppelbot status`: one screen on how the bot is doing, read from the database (works while it runs)."""

from __future__ import annotations

import argparse
import datetime as dt
from importlib.metadata import PackageNotFoundError, version

from bot.cli._common import echo, settings_with_logging
from bot.cli._database import check_database, shown_url
from bot.cli.db import NOT_UP_TO_DATE
from bot.settings import Settings
from storage import make_engine, session_scope
from storage.migrate import schema_state
from storage.models import ParticipantStatus
from storage.status import (
    last_digest,
    last_round,
    last_update_at,
    outbox_health,
    participants_by_status,
)
from storage.types import utcnow

HELP = "One screen: version, schema, participants, outbox, last digest, follow-ups and update."

LABEL_WIDTH = 22


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: everything comes from DATABASE_URL and TIMEZONE."""


def koppelbot_version() -> str:
    """The installed version of Koppelbot."""
    try:
        return version("koppelbot")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that was not installed
        return "(not installed)"


def _line(label: str, value: str) -> None:
    echo(f"{label:<{LABEL_WIDTH}}{value}")


def _ago(moment: dt.datetime, now: dt.datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _when(moment: dt.datetime | None, now: dt.datetime, settings: Settings) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone(settings.tz)
    return f"{local:%Y-%m-%d %H:%M} {settings.timezone} ({_ago(moment, now)})"


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    settings = settings_with_logging()
    check_database(settings.database_url, create=False)
    now = utcnow()
    _line("Koppelbot", koppelbot_version())
    _line("Database", shown_url(settings.database_url))
    state = schema_state(settings.database_url)
    if state.current is None:
        _line("Schema", f"none yet (empty database); {NOT_UP_TO_DATE}")
        return 1
    _line(
        "Schema",
        f"{state.current} (the newest)" if state.up_to_date else f"{state.current}; {NOT_UP_TO_DATE}",
    )
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            people = participants_by_status(session)
            outbox = outbox_health(session, now=now)
            digest = last_digest(session)
            followups = last_round(session, name="followups")
            update_at = last_update_at(session)
    finally:
        engine.dispose()
    counts = ", ".join(f"{people.get(status, 0)} {status}" for status in ParticipantStatus)
    _line("Participants", f"{counts} ({sum(people.values())} in all)")
    oldest = (
        "nothing due" if outbox.oldest_due_at is None else f"oldest due {_ago(outbox.oldest_due_at, now)}"
    )
    parked = f"{outbox.parked} parked" + (" (see /outbox in Telegram)" if outbox.parked else "")
    skipped = f", {outbox.unreachable} skipped (never started the bot)" if outbox.unreachable else ""
    _line("Outbox", f"{outbox.pending} pending, {outbox.sending} being sent, {parked}{skipped}; {oldest}")
    if digest is None:
        _line("Last digest", "none yet")
    else:
        _line("Last digest", f"{digest.name}, finished {_when(digest.finished_at, now, settings)}")
    _line("Last follow-up round", _when(followups.finished_at if followups else None, now, settings))
    # Handled update ids are kept for 48 hours (bot/ordering.py), so older ones leave no trace.
    received = _when(update_at, now, settings) if update_at else "none in the last 48 hours"
    _line("Last update received", received)
    return 0 if state.up_to_date else 1
