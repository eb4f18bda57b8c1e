"""`koppelbot match`: rank partners for the profiles in a CSV file (the matching engine, no database)."""

from __future__ import annotations

import argparse
import sys

from bot.cli._common import fail

HELP = "Suggest partners for the profiles in a CSV file (no database, no Telegram)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    try:
        from matching import cli
    except ImportError:
        return
    cli.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        from matching import cli
    except ImportError:
        return fail("the matching engine is not available in this version yet", code=3)
    from bot.reasons import render_plain  # the reasons in words, from the catalogues (Dutch by default)

    return cli.run(args, sys.stdout, sys.stderr, render_plain)
