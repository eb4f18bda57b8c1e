"""`koppelbot worker`: only the outbox sender and the scheduler, no updates received."""

from __future__ import annotations

import argparse
import asyncio

from bot.app import build_application
from bot.cli._common import fail, settings_with_logging
from bot.cli.run import NO_TOKEN
from bot.runner import serve_worker
from storage import make_engine, upgrade
from storage.locks import AlreadyRunning, SingleProcessLock

HELP = "Run only the outbox sender and the scheduler (no updates received)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the pace and the schedule come from the settings."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    settings = settings_with_logging()
    if settings.token is None:
        return fail(NO_TOKEN)
    try:
        lock = SingleProcessLock(settings.database_url).acquire()
    except AlreadyRunning as exc:
        return fail(str(exc))
    try:
        upgrade(settings.database_url)
        settings = settings.model_copy(update={"run_jobs": True})
        application = build_application(settings, engine=make_engine(settings.database_url))
        asyncio.run(serve_worker(application))
    finally:
        lock.release()
    return 0
