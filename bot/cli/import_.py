"""`koppelbot import`: Import participants from a CSV file."""

from __future__ import annotations

import argparse

from bot.cli._common import fail

HELP = "Import participants from a CSV file."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    return fail("'import' is not available in this version yet", code=3)
