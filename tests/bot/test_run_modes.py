"""`koppelbot run` as a process: one per SQLite file, webhook mode needs its settings."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from bot.cli.run import WEAK_WEBHOOK_SECRET
from bot.standin import BotAPIStandIn
from tests.bot.test_webhook import free_port
from tests.botprocess import ROOT, BotProcess


def run_once(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT)} | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_second_process_on_the_same_sqlite_file_refuses_to_start(
    tmp_path: Path, standin: BotAPIStandIn
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": standin.token,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
    }
    with BotProcess("run", env=env, cwd=tmp_path) as first:
        first.wait_for_output("is ready")
        second = run_once("run", env=env, cwd=tmp_path)
        assert second.returncode == 2
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert "another Koppelbot process is already using k.db" in lines[0]
        assert "PostgreSQL" in lines[0]
        assert first.process is not None and first.process.poll() is None  # the first one keeps running
        assert first.terminate() == 0
    # Once the first has stopped (even by kill -9 the OS releases the lock), a new one may start.
    with BotProcess("run", env=env, cwd=tmp_path, name="again") as again:
        again.wait_for_output("is ready")
        again.kill()


def test_webhook_mode_without_url_or_secret_stops_with_one_line(tmp_path: Path) -> None:
    result = run_once("run", "--webhook", env={"TELEGRAM_BOT_TOKEN": "1234567:" + "x" * 30}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "koppelbot: --webhook needs WEBHOOK_URL (the public https:// address Telegram posts to, e.g. "
        "https://bot.example.org/telegram) and WEBHOOK_SECRET"
    ]


def test_a_health_port_in_use_stops_the_bot_with_one_line(tmp_path: Path, standin: BotAPIStandIn) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "TELEGRAM_BOT_TOKEN": standin.token,
            "TELEGRAM_API_BASE_URL": standin.base_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
            "HEALTH_PORT": str(port),
        }
        result = run_once("worker", env=env, cwd=tmp_path)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"koppelbot: HEALTH_PORT {port} on HEALTH_LISTEN 127.0.0.1 cannot be used: ")
    assert "Traceback" not in result.stderr


def test_webhook_mode_with_a_blank_or_short_secret_stops_with_one_line(
    tmp_path: Path, standin: BotAPIStandIn
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": standin.token,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "WEBHOOK_URL": "https://bot.example.org/telegram",
        "WEBHOOK_PORT": str(free_port()),
    }
    for secret in ("", "   ", "too-short-1234"):
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--webhook"],
            cwd=tmp_path,
            env={"PYTHONPATH": str(ROOT)} | env | {"WEBHOOK_SECRET": secret},
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert result.returncode == 2, (secret, result.stderr[-2000:])
        assert result.stderr.strip().splitlines() == [f"koppelbot: {WEAK_WEBHOOK_SECRET}"]
        assert "at least 16 characters" in WEAK_WEBHOOK_SECRET
    assert standin.webhook is None or not standin.webhook  # Telegram was never told to post anywhere


def test_run_warns_once_at_start_without_privacy_controller_and_contact(
    tmp_path: Path, standin: BotAPIStandIn
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": standin.token,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
    }
    with BotProcess("run", env=env, cwd=tmp_path, name="anonymous") as bot:
        bot.wait_for_output("is ready")
        assert bot.output.count("PRIVACY_CONTROLLER and PRIVACY_CONTACT not set") == 1
        assert bot.output.count("WARNING") == 1, bot.output
        bot.kill()
    named = env | {"PRIVACY_CONTROLLER": "Stichting Techniekpact", "PRIVACY_CONTACT": "privacy@example.org"}
    with BotProcess("run", env=named, cwd=tmp_path, name="named") as bot:
        bot.wait_for_output("is ready")
        assert "PRIVACY_" not in bot.output
        bot.kill()
