"""Logging set-up: one format, quiet libraries, and a filter that removes the bot token from every record.

python-telegram-bot and httpx put the token in URLs (`.../bot<token>/sendMessage`); the filter replaces it
with `<token>` wherever it appears, in the message, its arguments or an exception's text. The filter runs
before any formatter, so the plain text lines and the JSON lines (`LOG_FORMAT=json`, for log collectors)
are redacted alike.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import Literal

__all__ = ["JsonFormatter", "RedactingFilter", "configure_logging", "redact"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Anything shaped like a Telegram token, even one we were not told about.
TOKEN_SHAPE = re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{20,}")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with every secret and anything shaped like a bot token replaced by `<token>`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<token>")
    return TOKEN_SHAPE.sub("<token>", text)


class RedactingFilter(logging.Filter):
    """Rewrites records so no secret reaches a handler."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secret for secret in secrets if secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info), self.secrets)
            record.exc_info = None
        clean = redact(message, self.secrets)
        record.msg, record.args = clean, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: int, secrets: tuple[str, ...] = (), *, log_format: Literal["text", "json"] = "text"
) -> None:
    """Log to stderr at `level` (text or JSON lines), secrets redacted, chatty libraries turned down."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic says "Context impl SQLiteImpl" on every command; storage.migrate logs what it migrated.
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram.ext.ExtBot", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # PTB's DEBUG lines carry whole updates and request parameters: message texts and names (personal data).
    for chatty in ("telegram", "tornado.access"):
        logging.getLogger(chatty).setLevel(max(level, logging.INFO))
