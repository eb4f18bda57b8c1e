"""Organiser commands: who organises, the numbers (/stats, unmet demand), exports, invitations, the outbox.

Every command and button here is for organisers only (`bot.access.organiser_only`); their command menu is
set per organiser chat from `bot.commands`. Broadcasts live in `organiser_broadcast`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging

import qrcode
from qrcode.image.pil import PilImage
from telegram import Update

from bot.access import organiser_only
from bot.callbacks import CallbackError, unpack
from bot.commands import remove_organiser_menu, set_organiser_menu
from bot.context import KoppelContext
from bot.handlers.organiser_broadcast import start_prefilled_draft
from bot.keyboards import to_markup
from bot.organiser_views import outbox_keyboard, stats_keyboard, unmet_keyboard, week_label
from bot.services import db, digest
from bot.services import organisers as organiser_service
from bot.services import stats as stats_service
from bot.services.exports import export_csv
from bot.texts import Counted, language_for, t

__all__ = [
    "digest_now",
    "export",
    "invite",
    "organisers",
    "outbox",
    "outbox_button",
    "stats",
    "stats_button",
    "unmet",
    "unmet_button",
]

logger = logging.getLogger(__name__)


def _language(update: Update) -> str:
    return language_for(update.effective_user.language_code if update.effective_user else None)


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
        ids = await db.run(context.engine, lambda s: organiser_service.ids(s, configured=configured))
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
        added = await db.run(
            context.engine, lambda s: organiser_service.add(s, telegram_id=target, added_by=user.id)
        )
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
    removed = await db.run(context.engine, lambda s: organiser_service.remove(s, telegram_id=target))
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
@organiser_only
async def stats(update: Update, context: KoppelContext) -> None:
    """The funnel as a chart with the numbers in the caption, then the started projects."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    snapshot = await db.run(context.engine, organiser_service.stats_snapshot)
    chart = await asyncio.to_thread(stats_service.render_funnel_chart, snapshot.report, language)
    await message.reply_photo(
        photo=chart,
        caption=stats_service.render_stats_caption(snapshot.report, language),
        reply_markup=to_markup(stats_keyboard(language, snapshot.parked)),
    )
    await message.reply_text(stats_service.render_projects(snapshot.projects, language))


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
async def _send_unmet(update: Update, context: KoppelContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    language = _language(update)
    needs = await db.run(context.engine, organiser_service.unmet_needs)
    await context.bot.send_message(
        chat.id,
        stats_service.render_unmet(needs, language),
        reply_markup=to_markup(unmet_keyboard(language, [need.item_id for need in needs])),
    )


@organiser_only
async def unmet(update: Update, context: KoppelContext) -> None:
    """Needs that no offer answers, by region and theme, each with a one-tap targeted broadcast."""
    await _send_unmet(update, context)


@organiser_only
async def unmet_button(update: Update, context: KoppelContext) -> None:
    """`ud:<item>`: start a broadcast draft for one unmet need (segment and text prefilled)."""
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    await query.answer()
    language = _language(update)
    try:
        item_id = unpack(query.data, prefix="ud").int_arg(0)
    except CallbackError:
        return
    needs = await db.run(context.engine, organiser_service.unmet_needs)
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
    data = await db.run(context.engine, organiser_service.everything)
    content = await asyncio.to_thread(export_csv, data, tz=context.settings.tz)
    today = dt.datetime.now(context.settings.tz).date().isoformat()
    await message.reply_document(
        document=content,
        filename=f"koppelbot-export-{today}.csv",
        caption=t(
            language,
            "export.caption",
            participants=Counted("participants", len(data.participants)),
            suggestions=Counted("suggestions", len(data.suggestions)),
            introductions=Counted("introductions", len(data.introductions)),
            projects=Counted("projects", len(data.projects)),
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
    code = context.args[0] if context.args else None
    if code is not None and (len(code) > 64 or not code.replace("-", "").replace("_", "").isalnum()):
        await message.reply_text(t(language, "invite.bad_code"))
        return
    ttl = dt.timedelta(days=context.settings.invite_ttl_days)
    username = context.bot.username
    found = await db.run(
        context.engine, lambda s: organiser_service.event_link(s, bot_username=username, code=code, ttl=ttl)
    )
    picture = await asyncio.to_thread(qr_png, found.link)
    tz = context.settings.tz
    expires = found.expires_at.astimezone(tz).strftime("%d-%m-%Y") if found.expires_at else "—"
    key = "invite.event_caption" if found.event_name else "invite.general_caption"
    await message.reply_photo(
        photo=picture,
        caption=t(language, key, link=found.link, event=found.event_name or "", expires=expires),
    )


# -- /outbox: parked messages -----------------------------------------------------------------------
async def _send_outbox(update: Update, context: KoppelContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    language = _language(update)
    total, rows = await db.run(context.engine, lambda s: organiser_service.parked(s, limit=10))
    if not total:
        await context.bot.send_message(chat.id, t(language, "organiser.outbox_empty"))
        return
    lines = [t(language, "organiser.outbox_title", count=total)]
    for row in rows:
        lines.append(
            t(
                language,
                "organiser.outbox_line",
                id=row.outbox_id,
                kind=row.kind,
                attempts=Counted("attempts", row.attempts),
                error=row.last_error or "?",
            )
        )
    await context.bot.send_message(
        chat.id, "\n".join(lines), reply_markup=to_markup(outbox_keyboard(language))
    )


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
    retried = await db.run(context.engine, organiser_service.retry_parked)
    await query.edit_message_text(t(language, "organiser.outbox_retried", count=retried))


# -- /digest_now ------------------------------------------------------------------------------------
@organiser_only
async def digest_now(update: Update, context: KoppelContext) -> None:
    """Run the weekly digest now (e.g. the day after an event); nobody gets two digests in one week."""
    message = update.effective_message
    if message is None:
        return
    language = _language(update)
    await message.reply_text(t(language, "organiser.digest_running"))
    report = await db.call(
        digest.run_digest,
        context.engine,
        settings=context.settings,
        now=context.clock.now(),
        force=True,
        owner="digest_now",
        matcher=context.bot_data.matcher,
    )
    await message.reply_text(
        t(
            language,
            "organiser.digest_done",
            week=week_label(language, report.week),
            recipients=Counted("participants", report.recipients),
            suggestions=Counted("new_suggestions", report.new_suggestions),
            queued=Counted("messages", report.messages),
            skipped=Counted("participants", report.already_had_digest),
        )
    )
