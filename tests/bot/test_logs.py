"""The token never reaches a log line, whether in the message, its arguments or a traceback."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from bot.logs import JsonFormatter, RedactingFilter, redact
from storage.migrate import head_revision
from tests.bot.test_cli import koppelbot

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


def test_json_lines_are_redacted_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter((TOKEN,)))
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"test-json-{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.warning("POST https://api.telegram.org/bot%s/sendMessage: %s", TOKEN, "Bad Gateway")
    try:
        raise RuntimeError(f"failed calling /bot{TOKEN}/getUpdates")
    except RuntimeError:
        logger.exception("request failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # a traceback stays inside its one JSON line
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "WARNING" and first["logger"] == logger.name
    assert first["message"] == "POST https://api.telegram.org/bot<token>/sendMessage: Bad Gateway"
    assert first["time"].endswith("+00:00")
    assert second["message"] == "request failed"
    assert "RuntimeError: failed calling /bot<token>/getUpdates" in second["exception"]
    assert TOKEN not in stream.getvalue()


def test_log_format_json_makes_the_command_line_log_json(tmp_path: Path) -> None:
    # One-shot commands log INFO lines only at LOG_LEVEL=DEBUG (their summary is on stdout).
    result = koppelbot("db", "upgrade", cwd=tmp_path, env={"LOG_FORMAT": "JSON", "LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.stderr
    every = [json.loads(line) for line in result.stderr.splitlines()]
    records = [record for record in every if record["logger"] == "storage.migrate"]
    assert [record["message"] for record in records] == [
        f"database schema migrated from empty to {head_revision()}"
    ]
    assert records[0]["logger"] == "storage.migrate" and records[0]["level"] == "INFO"
    wrong = koppelbot("db", "upgrade", cwd=tmp_path, env={"LOG_FORMAT": "xml"})
    assert wrong.returncode == 2 and "setting LOG_FORMAT is invalid" in wrong.stderr
