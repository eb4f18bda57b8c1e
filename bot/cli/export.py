"""`koppelbot export`: Export participants, suggestions, introductions and projects as CSV."""

from __future__ import annotations

import argparse

from bot.cli._common import fail

HELP = "Export participants, suggestions, introductions and projects as CSV."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    return fail("'export' is not available in this version yet", code=3)
