"""What this version of the bot can do, asked of the bot itself, so the story never pretends.

The demo plays the story through the real bot. A step whose feature is not in this version is skipped with
an honest line in the transcript instead of being faked; these functions are where the story asks.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

from sqlalchemy.engine import Engine
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.app import KoppelApplication
from bot.services.imports import import_profiles

__all__ = ["has_callback", "has_command", "has_followups", "import_community", "run_followups"]

logger = logging.getLogger(__name__)


def has_command(application: KoppelApplication, command: str) -> bool:
    """True when a handler answers `/command`."""
    return any(
        isinstance(handler, CommandHandler) and command in handler.commands
        for handlers in application.handlers.values()
        for handler in handlers
    )


def has_callback(application: KoppelApplication, data: str) -> bool:
    """True when a callback query handler would take a button carrying `data`."""
    for handlers in application.handlers.values():
        for handler in handlers:
            if not isinstance(handler, CallbackQueryHandler):
                continue
            pattern = handler.pattern
            if pattern is None:
                continue  # the catch-all for buttons nobody claims ("this button is no longer valid")
            if isinstance(pattern, re.Pattern | str) and re.match(pattern, data):
                return True
    return False


def import_community(engine: Engine, path: Path, *, invite_ttl: dt.timedelta) -> int:
    """Import the community as `koppelbot import --profiles` does; returns how many people were created."""
    report = import_profiles(engine, path.read_text(encoding="utf-8"), invite_ttl=invite_ttl)
    if report.errors:
        line, problem = report.errors[0]
        raise ValueError(f"the sample community does not import: line {line}: {problem}")
    return int(report.participants_created)


FOLLOWUPS_JOB = "followups"


def has_followups(application: KoppelApplication) -> bool:
    """True when the bot schedules follow-up questions after introductions."""
    job_queue = application.job_queue
    return job_queue is not None and bool(job_queue.get_jobs_by_name(FOLLOWUPS_JOB))


async def run_followups(application: KoppelApplication) -> None:
    """Run the scheduled follow-up round now, as its timer would (the demo's days pass in seconds)."""
    assert application.job_queue is not None
    for job in application.job_queue.get_jobs_by_name(FOLLOWUPS_JOB):
        await job.run(application)
