"""`koppelbot invites`: Write the personal invitation links as CSV for a mail merge."""

from __future__ import annotations

import argparse

from bot.cli._common import fail

HELP = "Write the personal invitation links as CSV for a mail merge."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    return fail("'invites' is not available in this version yet", code=3)
