"""`koppelbot invites [--unused] --out FILE.csv`: personal invitation links for a mail merge.

Without `--unused`: the links that can be used now (name, email, link, expires). With `--unused`: every
invitation not used yet, for a reminder (also organisation, region, event, invited on); an expired one gets
a new expiry date (INVITE_TTL_DAYS from now), so its link works again.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path

from sqlmodel import Session
from telegram import Bot
from telegram.error import TelegramError

from bot.cli._common import echo, fail, settings_with_logging, write_private
from bot.cli._database import one_shot_database
from bot.services.exports import excel_csv
from bot.settings import Settings
from storage import make_engine, session_scope
from storage.events import personal_invitations, unused_invitations
from storage.invitations import deep_link
from storage.scope import Scope

HELP = "Write the personal invitation links (name, email, link) as CSV for a mail merge."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FILE.csv", help="where to write (UTF-8 with BOM, ';')"
    )
    parser.add_argument(
        "--unused",
        action="store_true",
        help="every invitation not used yet, for a reminder; expired links get a new expiry date",
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
    engine_url = one_shot_database(settings)
    if args.unused:
        return _unused(args.out, settings, username, engine_url)
    engine = make_engine(engine_url)
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


UNUSED_COLUMNS = ("name", "email", "organisation", "region", "event", "link", "invited", "expires")


def _unused(out: Path, settings: Settings, username: str, url: str) -> int:
    engine = make_engine(url)
    ttl = dt.timedelta(days=settings.invite_ttl_days)
    try:
        with session_scope(engine) as session:
            invitations = unused_invitations(session, scope=Scope.everything(), renew_ttl=ttl)
    finally:
        engine.dispose()

    def day(moment: dt.datetime | None) -> str:
        return moment.astimezone(settings.tz).strftime("%Y-%m-%d") if moment else ""

    rows = [
        {
            "name": invitation.name,
            "email": invitation.email,
            "organisation": invitation.organisation,
            "region": invitation.region,
            "event": invitation.event_code,
            "link": deep_link(username, invitation.token),
            "invited": day(invitation.created_at),
            "expires": day(invitation.expires_at),
        }
        for invitation in invitations
    ]
    try:
        write_private(out, excel_csv(UNUSED_COLUMNS, rows, tz=settings.tz))
    except OSError as exc:
        return fail(f"cannot write {out}: {exc.strerror or exc}")
    renewed = sum(invitation.renewed for invitation in invitations)
    echo(
        f"Wrote {out}: {len(rows)} invitations not used yet "
        f"({renewed} had expired and are valid again until {day(dt.datetime.now(dt.UTC) + ttl)})."
    )
    return 0
