"""`koppelbot broadcast`: Send a message to everyone or to a segment, through the outbox."""

from __future__ import annotations

import argparse

from bot.cli._common import fail

HELP = "Send a message to everyone or to a segment, through the outbox."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    return fail("'broadcast' is not available in this version yet", code=3)
