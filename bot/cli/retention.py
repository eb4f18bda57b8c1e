"""`koppelbot retention [--dry-run]`: the retention pass now, or only what it would do."""

from __future__ import annotations

import argparse

from bot.cli._common import echo, settings_with_logging
from bot.cli._database import one_shot_database
from bot.services.retention import run_retention
from storage import make_engine
from storage.types import utcnow

HELP = (
    "Warn people inactive for RETENTION_MONTHS minus a month and erase those warned a month ago "
    "(as /delete does); --dry-run only says who."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="Change nothing: print how many people (and which participant ids) would be warned and erased.",
    )


def _ids(ids: list[int]) -> str:
    return f" (ids {', '.join(str(i) for i in ids)})" if ids else ""


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    engine = make_engine(one_shot_database(settings))
    try:
        report = run_retention(engine, settings=settings, now=utcnow(), dry_run=args.dry_run)
    finally:
        engine.dispose()
    head = f"Retention after {report.months} months without activity"
    if report.dry_run:
        echo(
            f"{head} (dry run, nothing changed): {len(report.warned)} would be warned{_ids(report.warned)}; "
            f"{len(report.erased)} would be erased{_ids(report.erased)}."
        )
        return 0
    echo(
        f"{head}: {len(report.warned)} warned{_ids(report.warned)}, {report.warnings_queued} warnings "
        f"queued (the running bot or `koppelbot worker` delivers them); {len(report.erased)} erased"
        f"{_ids(report.erased)}; {report.invitations_cleared} expired invitations cleared; "
        f"{report.messages_given_up} undelivered messages given up."
    )
    return 0
