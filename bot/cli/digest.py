"""`koppelbot digest`: Run the weekly digest."""

from __future__ import annotations

import argparse

from bot.cli._common import fail

HELP = "Run the weekly digest."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    return fail("'digest' is not available in this version yet", code=3)
