"""The `koppelbot` command line: one subcommand per module in this package.

Each module has `HELP` (one line), `add_arguments(parser)` and `run(args) -> int` (the exit code).
A missing or malformed setting ends the program with one line naming it and exit code 2, no traceback; a
database that cannot be reached or opened with one line (password masked) and exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from bot.settings import SettingsError

__all__ = ["build_parser", "main"]

# Subcommand name → module in bot.cli (argparse turns `db upgrade` into a nested parser in `db`).
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("run", "run"),
    ("worker", "worker"),
    ("db", "db"),
    ("status", "status"),
    ("health", "health"),
    ("match", "match"),
    ("import", "import_"),
    ("export", "export"),
    ("invites", "invites"),
    ("organisers", "organisers"),
    ("events", "events"),
    ("broadcast", "broadcast"),
    ("digest", "digest"),
    ("retention", "retention"),
    ("demo", "demo"),
)


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"bot.cli.{name}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full argument parser, with `--help` on every subcommand.

    With `only` (a subcommand's name) just that subcommand's module is imported: `koppelbot health`, a
    Docker HEALTHCHECK every 30 seconds, then loads neither the bot nor the database libraries.
    """
    parser = argparse.ArgumentParser(
        prog="koppelbot",
        description="Koppelbot: turns a networking meeting into joint projects, on Telegram.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command, module_name in SUBCOMMANDS:
        if only is not None and command != only:
            continue
        module = _module(module_name)
        sub = subparsers.add_parser(command, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `koppelbot` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    chosen = arguments[0] if arguments and arguments[0] in dict(SUBCOMMANDS) else None
    args = build_parser(only=chosen).parse_args(arguments)
    try:
        return int(args.handler(args))
    except SettingsError as exc:
        print(f"koppelbot: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        # Imported here: `koppelbot health` (a HEALTHCHECK every 30 s) must not load SQLAlchemy.
        from bot.cli._database import database_failure
        from bot.settings import load_settings

        message = database_failure(exc, load_settings().database_url)
        if message is None:
            raise
        print(f"koppelbot: {message}", file=sys.stderr)  # noqa: T201
        return 1
