"""Logging set-up: one format, quiet libraries, and a filter that removes the bot token from every record.

python-telegram-bot and httpx put the token in URLs (`.../bot<token>/sendMessage`); the filter replaces it
with `<token>` wherever it appears, in the message, its arguments or an exception's text.
"""

from __future__ import annotations

import logging
import re
import sys

__all__ = ["RedactingFilter", "configure_logging", "redact"]

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


def configure_logging(level: int, secrets: tuple[str, ...] = ()) -> None:
    """Log to stderr at `level`, with secrets redacted and chatty libraries turned down."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram.ext.ExtBot"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # PTB's DEBUG lines carry whole updates and request parameters: message texts and names (personal data).
    for chatty in ("telegram", "tornado.access"):
        logging.getLogger(chatty).setLevel(max(level, logging.INFO))
