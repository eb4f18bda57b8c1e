"""`koppelbot health`: ask the running bot's `/healthz` (for Docker's HEALTHCHECK, or a person at a shell)."""

from __future__ import annotations

import argparse
import urllib.error
import urllib.request

from bot.cli._common import echo, fail, settings_with_logging

HELP = "Ask the running bot's /healthz on HEALTH_PORT: prints ok or the reasons; exit code 0 when healthy."

TIMEOUT = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: HEALTH_PORT and HEALTH_LISTEN say where to ask."""


def run(args: argparse.Namespace) -> int:  # noqa: ARG001
    settings = settings_with_logging()
    if not settings.health_port:
        return fail("HEALTH_PORT is not set, so the bot serves no /healthz (see .env.example)")
    host = settings.health_listen
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{settings.health_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            echo(response.read().decode(errors="replace").strip())
            return 0
    except urllib.error.HTTPError as exc:
        echo(exc.read().decode(errors="replace").strip())
        return 1
    except OSError as exc:
        return fail(f"no answer from {url} ({type(exc).__name__}): is the bot running?", code=1)
