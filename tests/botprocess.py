"""Run `python -m bot ...` as a real subprocess against a stand-in in the test process (for crash tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class BotProcess:
    """One `koppelbot` process; its stderr goes to a file the test can read at any time."""

    def __init__(self, *args: str, env: dict[str, str], cwd: Path, name: str = "bot") -> None:
        self.args = args
        self.cwd = cwd
        self.log_path = cwd / f"{name}.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
        environment |= {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.env = environment | env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", *self.args],
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_output(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the bot exited ({self.process.returncode}):\n{self.output[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {needle!r} in the bot's output:\n{self.output[-3000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def terminate(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait for a clean exit; returns the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return int(self.process.returncode)

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
