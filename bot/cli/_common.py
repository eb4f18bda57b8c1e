"""Helpers shared by the subcommands (light: `koppelbot health` uses them, so no SQLAlchemy here)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from bot.logs import configure_logging
from bot.settings import Settings, load_settings

__all__ = ["echo", "fail", "settings_with_logging", "write_private"]


def echo(message: str) -> None:
    """Print a line for the person at the terminal."""
    print(message)  # noqa: T201


def fail(message: str, code: int = 2) -> int:
    """Print one line to stderr and return the exit code."""
    print(f"koppelbot: {message}", file=sys.stderr)  # noqa: T201
    return code


def settings_with_logging(*, one_shot: bool = True) -> Settings:
    """Load the settings and configure logging from them (with the token redacted).

    A one-shot command says what it did on stdout, so its log shows only warnings and errors (unless
    LOG_LEVEL=DEBUG); `run` and `worker` (`one_shot=False`) log at LOG_LEVEL.
    """
    settings = load_settings()
    level = settings.log_level_number
    if one_shot and level > logging.DEBUG:
        level = max(level, logging.WARNING)
    configure_logging(level, secrets=(settings.token or "",), log_format=settings.log_format)
    return settings


def write_private(path: Path, data: bytes) -> None:
    """Write a file with personal data that only its owner may read (mode 0600, also when it existed)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(data)
