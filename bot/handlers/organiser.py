"""Organiser commands: who organises, the numbers (/stats, unmet demand), exports, invitations, the outbox.

Every command and button here is for organisers only (ORGANISER_IDS plus those added with /organisers add);
anybody else gets a polite refusal. Their command menu is set per organiser chat (BotCommandScopeChat), so
the organiser commands appear only for them. Broadcasts live in `organiser_broadcast`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import qrcode
from qrcode.image.pil import PilImage
from sqlmodel import Session
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application

from bot.callbacks import CallbackError, pack, unpack
from bot.context import BotData, KoppelContext
from bot.services import digest
from bot.services import stats as stats_service
from bot.services.exports import export_csv
from bot.services.numbers import count
from bot.texts import LANGUAGES, language_for, t
from storage import session_scope
from storage.events import event_invitation
from storage.exports import export_data
from storage.invitations import deep_link
from storage.organisers import add_organiser, is_organiser, organiser_ids, remove_organiser
from storage.stats import demand_items, funnel_report, parked_messages, retry_parked, started_projects

__all__ = [
    "ORGANISER_COMMANDS",
    "digest_now",
    "export",
    "invite",
    "organiser_only",
    "organisers",
    "outbox",
    "outbox_button",
    "schedule_organiser_jobs",
    "set_organiser_menus",
    "stats",
    "stats_button",
    "unmet",
    "unmet_button",
]

logger = logging.getLogger(__name__)

# The organisers' part of the command menu: (command, catalogue key of its description).
ORGANISER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("broadcast", "organiser.menu_broadcast"),
    ("stats", "organiser.menu_stats"),
    ("unmet", "organiser.menu_unmet"),
    ("export", "organiser.menu_export"),
    ("invite", "organiser.menu_invite"),
    ("organisers", "organiser.menu_organisers"),
    ("outbox", "organiser.menu_outbox"),
    ("digest_now", "organiser.menu_digest_now"),
)

Handler = Callable[[Update, KoppelContext], Awaitable[None]]


def _language(update: Update) -> str:
    return language_for(update.effective_user.language_code if update.effective_user else None)


def organiser_only(handler: Handler) -> Handler:
    """Run `handler` only for organisers; everybody else gets a polite refusal (buttons: an alert)."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: KoppelContext) -> None:
        user = update.effective_user
        if user is None:
            return
        with Session(context.engine) as session:
            allowed = is_organiser(session, telegram_id=user.id, configured=context.settings.organiser_ids)
        if allowed:
            await handler(update, context)
            return
        language = _language(update)
        if update.callback_query is not None:
            await update.callback_query.answer(t(language, "organiser.refused_short"), show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(t(language, "organiser.refused"))

    return guarded


# -- the command menu -------------------------------------------------------------------------------
def _menu(language: str) -> list[BotCommand]:
    from bot.app import PARTICIPANT_COMMANDS  # the composition root owns the participants' menu

    return [BotCommand(name, t(language, key)) for name, key in (*PARTICIPANT_COMMANDS, *ORGANISER_COMMANDS)]


async def set_organiser_menu(context_bot: Bot, chat_id: int) -> bool:
    """Show the organiser commands in one organiser's menu, per language; False if Telegram refused."""
    try:
        for language in LANGUAGES:
            await context_bot.set_my_commands(
                _menu(language),
                scope=BotCommandScopeChat(chat_id),
                language_code=None if language == "nl" else language,
            )
    except TelegramError as exc:  # e.g. the organiser never started the bot: "chat not found"
        logger.info("could not set an organiser's menu: %s", type(exc).__name__)
        return False
    return True


async def remove_organiser_menu(context_bot: Bot, chat_id: int) -> None:
    """Back to the participants' menu for a former organiser."""
    for language in LANGUAGES:
        try:
            await context_bot.delete_my_commands(
                scope=BotCommandScopeChat(chat_id), language_code=None if language == "nl" else language
            )
        except TelegramError as exc:
            logger.info("could not reset a former organiser's menu: %s", type(exc).__name__)


async def set_organiser_menus(application: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    """At start-up: every organiser gets the organiser menu."""
    bot_data = application.bot_data
    with Session(bot_data.engine) as session:
        ids = organiser_ids(session, configured=bot_data.settings.organiser_ids)
    for telegram_id in ids:
        await set_organiser_menu(application.bot, telegram_id)


# -- /organisers ------------------------------------------------------------------------------------
@organiser_only
async def organisers(update: Update, context: KoppelContext) -> None:
    """List organisers, or add / remove one: `/organisers add <telegram id>`."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    language = _language(update)
    args = list(context.args or [])
    configured = context.settings.organiser_ids
    if not args:
        with Session(context.engine) as session:
            ids = organiser_ids(session, configured=configured)
        lines = [t(language, "organiser.list_title")]
        for telegram_id in ids:
            key = "organiser.list_configured" if telegram_id in configured else "organiser.list_added"
            lines.append(t(language, key, telegram_id=telegram_id))
        lines.append(t(language, "organiser.list_hint"))
        await message.reply_text("\n".join(lines))
        return
    action = args[0].lower()
    target = _telegram_id(args[1]) if len(args) == 2 else None
    if action not in {"add", "remove"} or target is None:
        await message.reply_text(t(language, "organiser.usage"))
        return
    if action == "add":
        with session_scope(context.engine) as session:
            added = add_organiser(session, telegram_id=target, added_by=user.id)
        if not added or target in configured:
            await message.reply_text(t(language, "organiser.already", telegram_id=target))
            return
        menu = await set_organiser_menu(context.bot, target)
        key = "organiser.added" if menu else "organiser.added_no_chat"
        await message.reply_text(t(language, key, telegram_id=target))
        return
    if target in configured:
        await message.reply_text(t(language, "organiser.configured_cannot_remove", telegram_id=target))
        return
    with session_scope(context.engine) as session:
        removed = remove_organiser(session, telegram_id=target)
    if removed:
        await remove_organiser_menu(context.bot, target)
    await message.reply_text(
        t(language, "organiser.removed" if removed else "organiser.not_found", telegram_id=target)
    )


def _telegram_id(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if 0 < value < 2**53 else None


# -- /stats -----------------------------------------------------------------------------------------
def build_stats_keyboard(language: str, parked: int) -> InlineKeyboardMarkup:
    """Below the chart: unmet demand, and the parked outbox messages when there are any."""
    rows = stats_service.stats_markup(language, parked)["inline_keyboard"]
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row] for row in rows]
    )


@organiser_only
async def stats(update: Update, context: KoppelContext) -> None:
    """The funnel as a chart with the numbers in the caption, then the started projects."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    with Session(context.engine) as session:
        report = funnel_report(session)
        projects = started_projects(session)
        parked, _ = parked_messages(session, limit=0)
    chart = await asyncio.to_thread(stats_service.render_funnel_chart, report, language)
    await message.reply_photo(
        photo=chart,
        caption=stats_service.render_stats_caption(report, language),
        reply_markup=build_stats_keyboard(language, parked),
    )
    await message.reply_text(stats_service.render_projects(projects, language))


@organiser_only
async def stats_button(update: Update, context: KoppelContext) -> None:
    """Buttons under /stats: unmet demand, parked messages."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    try:
        action = unpack(query.data, prefix="st").args[0]
    except (CallbackError, IndexError):
        return
    if action == "unmet":
        await _send_unmet(update, context)
    elif action == "outbox":
        await _send_outbox(update, context)


# -- unmet demand -----------------------------------------------------------------------------------
def build_unmet_keyboard(language: str, needs: list[stats_service.UnmetNeed]) -> InlineKeyboardMarkup | None:
    """One button per reported need: start a broadcast to that need's region, text prefilled."""
    rows = [
        [
            InlineKeyboardButton(
                t(language, "stats.unmet_broadcast_button", number=number),
                callback_data=pack("ud", need.item_id),
            )
        ]
        for number, need in enumerate(needs[:10], start=1)
    ]
    return InlineKeyboardMarkup(rows) if rows else None


async def _send_unmet(update: Update, context: KoppelContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    language = _language(update)
    with Session(context.engine) as session:
        needs = stats_service.unmet_demand(demand_items(session))
    await context.bot.send_message(
        chat.id,
        stats_service.render_unmet(needs, language),
        reply_markup=build_unmet_keyboard(language, needs),
    )


@organiser_only
async def unmet(update: Update, context: KoppelContext) -> None:
    """Needs that no offer answers, by region and theme, each with a one-tap targeted broadcast."""
    await _send_unmet(update, context)


@organiser_only
async def unmet_button(update: Update, context: KoppelContext) -> None:
    """`ud:<item>`: start a broadcast draft for one unmet need (segment and text prefilled)."""
    from bot.handlers.organiser_broadcast import start_prefilled_draft

    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    await query.answer()
    language = _language(update)
    try:
        item_id = unpack(query.data, prefix="ud").int_arg(0)
    except CallbackError:
        return
    with Session(context.engine) as session:
        needs = stats_service.unmet_demand(demand_items(session))
    need = next((n for n in needs if n.item_id == item_id), None)
    if need is None:
        await context.bot.send_message(update.effective_user.id, t(language, "stats.unmet_gone"))
        return
    await start_prefilled_draft(
        update,
        context,
        text=stats_service.unmet_broadcast_text(need, language),
        segment={"region": need.region},
    )


# -- /export ----------------------------------------------------------------------------------------
@organiser_only
async def export(update: Update, context: KoppelContext) -> None:
    """Participants (with consent), suggestions, introductions and projects as a CSV for Dutch Excel."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    with Session(context.engine) as session:
        data = export_data(session)
    content = await asyncio.to_thread(export_csv, data, tz=context.settings.tz)
    today = dt.datetime.now(context.settings.tz).date().isoformat()
    await message.reply_document(
        document=content,
        filename=f"koppelbot-export-{today}.csv",
        caption=t(
            language,
            "export.caption",
            participants=count(len(data.participants), language),
            suggestions=count(len(data.suggestions), language),
            introductions=count(len(data.introductions), language),
            projects=count(len(data.projects), language),
        ),
    )


# -- /invite [event code] ---------------------------------------------------------------------------
def qr_png(link: str) -> bytes:
    """A QR code of `link` as PNG bytes (big enough for a slide)."""
    image = qrcode.make(link, image_factory=PilImage, box_size=12, border=4)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


@organiser_only
async def invite(update: Update, context: KoppelContext) -> None:
    """An event-wide invitation link and its QR code (for a slide): `/invite [event code]`."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    code = (context.args or [None])[0]
    if code is not None and (len(code) > 64 or not code.replace("-", "").replace("_", "").isalnum()):
        await message.reply_text(t(language, "invite.bad_code"))
        return
    ttl = dt.timedelta(days=context.settings.invite_ttl_days)
    with session_scope(context.engine) as session:
        invitation, event = event_invitation(session, code=code, ttl=ttl)
        token, expires_at = invitation.token, invitation.expires_at
        event_name = event.name if event is not None else None
    link = deep_link(context.bot.username, token)
    picture = await asyncio.to_thread(qr_png, link)
    expires = expires_at.astimezone(context.settings.tz).strftime("%d-%m-%Y") if expires_at else "—"
    key = "invite.event_caption" if event_name else "invite.general_caption"
    await message.reply_photo(
        photo=picture, caption=t(language, key, link=link, event=event_name or "", expires=expires)
    )


# -- /outbox: parked messages -----------------------------------------------------------------------
async def _send_outbox(update: Update, context: KoppelContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    language = _language(update)
    with Session(context.engine) as session:
        total, rows = parked_messages(session, limit=10)
    if not total:
        await context.bot.send_message(chat.id, t(language, "organiser.outbox_empty"))
        return
    lines = [t(language, "organiser.outbox_title", count=count(total, language))]
    for row in rows:
        lines.append(
            t(
                language,
                "organiser.outbox_line",
                id=row.outbox_id,
                kind=row.kind,
                attempts=row.attempts,
                error=row.last_error or "?",
            )
        )
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(language, "organiser.outbox_retry"), callback_data=pack("org", "retry"))]]
    )
    await context.bot.send_message(chat.id, "\n".join(lines), reply_markup=keyboard)


@organiser_only
async def outbox(update: Update, context: KoppelContext) -> None:
    """Messages that failed too often ("parked"), with a button to try them again."""
    await _send_outbox(update, context)


@organiser_only
async def outbox_button(update: Update, context: KoppelContext) -> None:
    """`org:retry`: put every parked message back in the queue."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    try:
        action = unpack(query.data, prefix="org").args[0]
    except (CallbackError, IndexError):
        return
    if action != "retry":
        return
    language = _language(update)
    with session_scope(context.engine) as session:
        retried = retry_parked(session)
    await query.edit_message_text(t(language, "organiser.outbox_retried", count=count(retried, language)))


# -- /digest_now ------------------------------------------------------------------------------------
@organiser_only
async def digest_now(update: Update, context: KoppelContext) -> None:
    """Run the weekly digest now (e.g. the day after an event); nobody gets two digests in one week."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    await message.reply_text(t(language, "organiser.digest_running"))
    report = await asyncio.to_thread(
        digest.run_digest,
        context.engine,
        settings=context.settings,
        now=context.clock.now(),
        force=True,
        owner="digest_now",
    )
    await message.reply_text(
        t(
            language,
            "organiser.digest_done",
            week=report.week,
            recipients=count(report.recipients, language),
            suggestions=count(report.new_suggestions, language),
            messages=count(report.messages, language),
            skipped=count(report.already_had_digest, language),
        )
    )


# -- scheduled work -------------------------------------------------------------------------------------
SUMMARY_CHECK_SECONDS = 15 * 60


async def weekly_summary_job(context: KoppelContext) -> None:
    """Every quarter of an hour: queue the organisers' weekly summary once it is due (once a week)."""
    now = context.bot_data.clock.now()
    await asyncio.to_thread(stats_service.send_weekly_summary, context.engine, context.settings, now=now)


def schedule_organiser_jobs(application: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    """The organisers' periodic work on the shared job queue (called from bot.jobs.schedule)."""
    from bot.handlers.organiser_broadcast import progress_job

    queue = application.job_queue
    if queue is None:
        return
    interval = application.bot_data.settings.broadcast_progress_seconds
    queue.run_repeating(progress_job, interval=interval, first=interval, name="broadcast-progress")
    queue.run_repeating(
        weekly_summary_job, interval=SUMMARY_CHECK_SECONDS, first=60, name="organiser-summary"
    )
