"""`koppelbot digest`: queue the weekly digest (the running bot or worker delivers it)."""

from __future__ import annotations

import argparse

from bot.cli._common import echo, settings_with_logging
from bot.cli._database import one_shot_database
from bot.services.digest import run_digest, run_digest_if_due
from storage import make_engine
from storage.types import utcnow

HELP = "Queue the weekly digest now (--now), or only if this week's is due and not done yet."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--now",
        action="store_true",
        help="Run at once, quiet hours notwithstanding (nobody gets a second digest in the same week).",
    )


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    engine = make_engine(one_shot_database(settings))
    try:
        if args.now:
            report = run_digest(engine, settings=settings, now=utcnow(), force=True, owner="cli")
        else:
            due = run_digest_if_due(engine, settings=settings, now=utcnow())
            if due is None:
                echo("No digest is due: this week's was sent already, or its moment has not come.")
                return 0
            report = due
    finally:
        engine.dispose()
    echo(
        f"Digest {report.week}: {report.recipients} people, {report.new_suggestions} new suggestions, "
        f"{report.reminders} reminders, {report.silence_notices} silence notes, {report.messages} messages "
        f"queued ({report.already_had_digest} had this week's digest already). The running bot or "
        "`koppelbot worker` delivers them."
    )
    return 0
