"""`koppelbot demo`: Show the whole story with a local stand-in for Telegram; no token needed."""

from __future__ import annotations

import argparse

from bot.cli._common import fail

HELP = "Show the whole story with a local stand-in for Telegram; no token needed."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    return fail("'demo' is not available in this version yet", code=3)
