"""Helpers shared by the subcommands."""

from __future__ import annotations

import sys

from bot.logs import configure_logging
from bot.settings import Settings, load_settings

__all__ = ["echo", "fail", "settings_with_logging"]


def echo(message: str) -> None:
    """Print a line for the person at the terminal."""
    print(message)  # noqa: T201


def fail(message: str, code: int = 2) -> int:
    """Print one line to stderr and return the exit code."""
    print(f"koppelbot: {message}", file=sys.stderr)  # noqa: T201
    return code


def settings_with_logging() -> Settings:
    """Load the settings and configure logging from them (with the token redacted)."""
    settings = load_settings()
    configure_logging(
        settings.log_level_number, secrets=(settings.token or "",), log_format=settings.log_format
    )
    return settings
