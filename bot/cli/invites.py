"""`koppelbot invites --out FILE.csv`: personal invitation links (name, email, link) for a mail merge."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from sqlmodel import Session
from telegram import Bot
from telegram.error import TelegramError

from bot.cli._common import echo, fail, settings_with_logging, write_private
from bot.cli._database import one_shot_database
from bot.services.exports import excel_csv
from bot.settings import Settings
from storage import make_engine
from storage.events import personal_invitations
from storage.invitations import deep_link

HELP = "Write the personal invitation links (name, email, link) as CSV for a mail merge."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE.csv", help="where to write (UTF-8 with BOM, ';')"
    )


def bot_username(settings: Settings) -> str | None:
    """TELEGRAM_BOT_USERNAME, or the username Telegram reports for the token (getMe)."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username
    if settings.token is None:
        return None

    async def ask() -> str | None:
        async with Bot(settings.token or "", base_url=settings.telegram_api_base_url) as bot:
            return bot.username

    try:
        return asyncio.run(ask())
    except TelegramError:
        return None


def run(args: argparse.Namespace) -> int:
    settings = settings_with_logging()
    username = bot_username(settings)
    if username is None:
        return fail(
            "the bot's username is needed for the links: set TELEGRAM_BOT_USERNAME (or TELEGRAM_BOT_TOKEN)"
        )
    engine = make_engine(one_shot_database(settings))
    try:
        with Session(engine) as session:
            invitations = personal_invitations(session)
    finally:
        engine.dispose()
    rows = [
        {
            "name": invitation.name or "",
            "email": invitation.email or "",
            "link": deep_link(username, invitation.token),
            "expires": invitation.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d")
            if invitation.expires_at
            else "",
        }
        for invitation in invitations
    ]
    try:
        write_private(args.out, excel_csv(("name", "email", "link", "expires"), rows, tz=settings.tz))
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc.strerror or exc}")
    echo(f"Wrote {args.out}: {len(rows)} personal invitation links (unused, not expired).")
    return 0
