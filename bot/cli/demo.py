"""`koppelbot demo`: the whole story against a local stand-in for Telegram; no token, no network, no setup."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

from bot.cli._common import fail
from bot.demo import StoryError, demo_world, play_interactive, play_story, stdin_lines
from bot.demo.story import say

HELP = "Show the whole story with a local stand-in for Telegram; no token needed."

DEFAULT_CHART = "koppelbot-demo-stats.png"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--interactive",
        action="store_true",
        help="Be the participant yourself: type as in Telegram, pick buttons by number, /quit to stop.",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="Keep the throwaway folder (database and log) and print where it is.",
    )
    parser.add_argument(
        "--chart",
        type=Path,
        default=Path(DEFAULT_CHART),
        metavar="FILE.png",
        help=f"Where to save the organiser's /stats chart (default: {DEFAULT_CHART} in this folder).",
    )


def _write(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _prompt(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


async def _play(args: argparse.Namespace) -> int:
    async with demo_world(keep=args.keep) as world:
        if args.interactive:
            await play_interactive(world, _write, stdin_lines(), _prompt)
        else:
            result = await play_story(world, _write, args.chart.resolve())
            _write("")
            if result.skipped:
                _write(say("skipped", beats="; ".join(result.skipped)))
            if result.chart is not None:
                _write(say("chart", path=str(result.chart)))
            _write(say("done", seconds=f"{result.seconds:.1f}"))
        if args.keep:
            _write(say("kept", folder=str(world.folder)))
    return 0


def run(args: argparse.Namespace) -> int:
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="replace")  # type: ignore[union-attr]  # a terminal without emoji
    try:
        return asyncio.run(_play(args))
    except StoryError as exc:
        return fail(f"the demo stopped: {exc}", code=1)
