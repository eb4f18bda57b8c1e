"""Secrets stay secret: the token is in no log line or error message, even at DEBUG with failing requests;
`.env` is never committed."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.standin import BotAPIStandIn, Fault
from tests.botprocess import ROOT, BotProcess

TOKEN = "7312345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET_PART = TOKEN.split(":", 1)[1]


def _env(standin: BotAPIStandIn, tmp_path: Path) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "LOG_LEVEL": "DEBUG",
    }


def test_no_token_in_debug_logs_while_requests_fail(tmp_path: Path) -> None:
    with BotAPIStandIn(token=TOKEN) as standin:
        anna = standin.person(1001, "Anna")
        failures = {"getUpdates": 2, "sendMessage": 1}

        def fault(call):  # type: ignore[no-untyped-def]
            if failures.get(call.method, 0) > 0:
                failures[call.method] -= 1
                if call.method == "getUpdates":
                    return Fault(502, "Bad Gateway")
                return Fault(500, f"Internal Server Error at /bot{TOKEN}/sendMessage")
            return None

        standin.fault = fault
        with BotProcess("run", env=_env(standin, tmp_path), cwd=tmp_path) as bot:
            bot.wait_for_output("is ready")
            anna.send("/start")
            deadline = time.monotonic() + 20
            while not anna.messages and time.monotonic() < deadline:  # the error notice or the welcome
                time.sleep(0.05)
            assert bot.terminate() == 0
        output = bot.output
    assert "DEBUG" in output  # DEBUG logging was really on
    # The failure (retried by the limiter, logged at DEBUG with Telegram's description), token redacted.
    assert "Internal Server Error at /bot<token>/sendMessage" in output
    assert TOKEN not in output and SECRET_PART not in output


@pytest.mark.parametrize("command", ["run", "worker"])
def test_a_rejected_token_ends_with_one_line_without_the_token(tmp_path: Path, command: str) -> None:
    with BotAPIStandIn(token="1111111:some-other-token-the-bot-does-not-have") as standin:
        result = subprocess.run(
            [sys.executable, "-m", "bot", command],
            cwd=tmp_path,
            env={"PYTHONPATH": str(ROOT)} | _env(standin, tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in output
    assert "Traceback" not in output
    assert TOKEN not in output and SECRET_PART not in output


def test_dotenv_is_ignored_by_git() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-v", ".env", "sub/.env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    ignored = [line.split("\t")[-1] for line in result.stdout.splitlines()]
    assert ignored == [".env", "sub/.env"]
