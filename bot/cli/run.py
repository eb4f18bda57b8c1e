"""`koppelbot run`: the bot itself (long polling by default, `--webhook` for webhook mode)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import InvalidToken

from bot.app import KoppelApplication, build_application
from bot.cli._common import fail, settings_with_logging
from bot.cli._database import check_database
from bot.health import HealthPortUnavailable
from bot.runner import serve_polling, serve_webhook, strong_webhook_secret
from bot.settings import Settings
from storage import make_engine, upgrade
from storage.locks import AlreadyRunning, SingleProcessLock

HELP = "Run the bot: migrate the database, then answer people on Telegram."

logger = logging.getLogger(__name__)

NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather on Telegram (/newbot), put the token "
    "in .env as TELEGRAM_BOT_TOKEN=..., then run again. To try Koppelbot without a token: koppelbot demo"
)
REJECTED_TOKEN = (
    "Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized). Copy the token again from @BotFather "
    "(/mybots → your bot → API Token) into .env"
)
NO_WEBHOOK_URL = (
    "--webhook needs WEBHOOK_URL (the public https:// address Telegram posts to, e.g. "
    "https://bot.example.org/telegram) and WEBHOOK_SECRET"
)
WEAK_WEBHOOK_SECRET = (
    "--webhook needs a WEBHOOK_SECRET of at least 16 characters (A-Z a-z 0-9 _ -), or anyone could post "
    'forged updates; make one with: python3 -c "import secrets; print(secrets.token_urlsafe(32))"'
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="Receive updates by webhook on WEBHOOK_LISTEN:WEBHOOK_PORT (Telegram posts to WEBHOOK_URL).",
    )


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging(one_shot=False)
    if settings.token is None:
        return fail(NO_TOKEN)
    if args.webhook:
        if not settings.webhook_url:
            return fail(NO_WEBHOOK_URL)
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        if not strong_webhook_secret(secret):
            return fail(WEAK_WEBHOOK_SECRET)
    if not args.webhook:
        return serve(settings, serve_polling, announce=warn_about_privacy_settings)
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    return serve(
        settings,
        functools.partial(
            serve_webhook,
            url=settings.webhook_url,
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            secret=settings.webhook_secret.get_secret_value(),
        ),
        announce=warn_about_privacy_settings,
    )


def warn_about_privacy_settings(settings: Settings) -> None:
    """One warning at start when /privacy cannot name who is responsible or whom to ask."""
    missing = [
        name
        for name, value in (
            ("PRIVACY_CONTROLLER", settings.privacy_controller),
            ("PRIVACY_CONTACT", settings.privacy_contact),
        )
        if not value
    ]
    if missing:
        logger.warning(
            "%s not set: /privacy names no one responsible for the personal data or no one to ask; "
            "set it in .env (see .env.example)",
            " and ".join(missing),
        )


def serve(
    settings: Settings,
    serving: Callable[[KoppelApplication], Coroutine[Any, Any, None]],
    *,
    announce: Callable[[Settings], None] | None = None,
) -> int:
    """Migrate, build the Application and run `serving` on it: one such process per database at a time.

    `koppelbot run` and `koppelbot worker` both start this way; the exit code for the command line.
    `announce` runs once the process may start (e.g. to warn about settings).
    """
    check_database(settings.database_url, create=True)
    try:
        lock = SingleProcessLock(settings.database_url).acquire()
    except AlreadyRunning as exc:
        return fail(str(exc))
    try:
        if announce is not None:
            announce(settings)
        upgrade(settings.database_url)
        application = build_application(settings, engine=make_engine(settings.database_url))
        asyncio.run(serving(application))
    except InvalidToken:
        # PTB's message quotes the token; ours does not.
        return fail(REJECTED_TOKEN)
    except HealthPortUnavailable as exc:
        return fail(str(exc))
    finally:
        lock.release()
    return 0
