"""`koppelbot worker`: Run only the outbox sender and the scheduler (no updates received)."""

from __future__ import annotations

import argparse

from bot.cli._common import fail

HELP = "Run only the outbox sender and the scheduler (no updates received)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    return fail("'worker' is not available in this version yet", code=3)
