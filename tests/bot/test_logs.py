"""The token never reaches a log line, whether in the message, its arguments or a traceback."""

from __future__ import annotations

import io
import logging

from bot.logs import RedactingFilter, redact

TOKEN = "123456789:AAH-secret_token_value_abcdefghijkl"


def _capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter((TOKEN,)))
    logger = logging.getLogger(f"test-redaction-{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_token_in_message_and_arguments_is_redacted() -> None:
    logger, stream = _capture()
    logger.info("POST https://api.telegram.org/bot%s/sendMessage", TOKEN)
    logger.info(f"direct https://api.telegram.org/bot{TOKEN}/getMe")
    output = stream.getvalue()
    assert TOKEN not in output and "secret_token" not in output
    assert output.count("<token>") == 2


def test_token_in_a_traceback_is_redacted() -> None:
    logger, stream = _capture()
    try:
        raise RuntimeError(f"failed calling /bot{TOKEN}/getUpdates")
    except RuntimeError:
        logger.exception("request failed")
    output = stream.getvalue()
    assert "RuntimeError" in output and TOKEN not in output


def test_anything_shaped_like_a_token_is_redacted() -> None:
    assert redact("bot987654321:ZZZZZZZZZZZZZZZZZZZZZZZZZZ/x") == "bot<token>/x"
    assert redact("nothing secret here 12:30") == "nothing secret here 12:30"
