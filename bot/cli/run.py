"""`koppelbot run`: the bot itself (long polling by default, `--webhook` for webhook mode)."""

from __future__ import annotations

import argparse
import asyncio

from bot.app import build_application
from bot.cli._common import fail, settings_with_logging
from bot.runner import serve_polling
from storage import make_engine, upgrade

HELP = "Run the bot: migrate the database, then answer people on Telegram."

NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather on Telegram (/newbot), put the token "
    "in .env as TELEGRAM_BOT_TOKEN=..., then run again. To try Koppelbot without a token: koppelbot demo"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--webhook", action="store_true", help="Receive updates by webhook (WEBHOOK_URL).")


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    if settings.token is None:
        return fail(NO_TOKEN)
    if args.webhook:
        return fail("webhook mode is not available yet; run without --webhook to use long polling")
    upgrade(settings.database_url)
    application = build_application(settings, engine=make_engine(settings.database_url))
    asyncio.run(serve_polling(application))
    return 0
