"""`koppelbot worker`: only the outbox sender and the scheduler, no updates received."""

from __future__ import annotations

import argparse

from bot.cli._common import fail, settings_with_logging
from bot.cli.run import NO_TOKEN, serve
from bot.runner import serve_worker

HELP = "Run only the outbox sender and the scheduler (no updates received)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the pace and the schedule come from the settings."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    settings = settings_with_logging(one_shot=False)
    if settings.token is None:
        return fail(NO_TOKEN)
    return serve(settings.model_copy(update={"run_jobs": True}), serve_worker)
