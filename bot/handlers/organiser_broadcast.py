"""`/broadcast`: write a message, choose a segment with buttons, preview, confirm, follow its progress.

The draft lives in a `broadcast` row with status `draft` (one per organiser), so it survives a restart and
works whether or not the organiser is a participant. Its step (`bot.services.broadcasts`: `text` = waiting
for the message, `theme` = waiting for a keyword, `preview`) decides what the organiser's next text means.
Sending goes through the outbox; `bot.jobs.organiser.progress_job` edits one progress message in place and
makes the final report with the true counts.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import filters

from bot.access import organiser_only, organiser_scope
from bot.callbacks import CallbackError, unpack
from bot.context import KoppelContext
from bot.handlers.common import refuse, refuse_unreadable
from bot.keyboards import Keyboard, to_markup
from bot.organiser_views import (
    broadcast_history_text,
    choice_keyboard,
    code_choices,
    event_label,
    inactive_choices,
    preview_keyboard,
    preview_text,
    progress_keyboard,
    segment_keyboard,
    sent_copy_text,
)
from bot.services import broadcasts as service
from bot.services import db
from bot.services.broadcasts import PREVIEW, SEGMENT, THEME, TOO_LONG
from bot.texts import Counted, language_for, t

__all__ = [
    "DraftTextFilter",
    "broadcast",
    "broadcast_button",
    "broadcasts",
    "draft_text",
    "start_prefilled_draft",
]

logger = logging.getLogger(__name__)


def _language(update: Update) -> str:
    return language_for(update.effective_user.language_code if update.effective_user else None)


class DraftTextFilter(filters.MessageFilter):
    """Text from an organiser whose broadcast draft waits for its message or theme keyword.

    PTB asks filters synchronously, so this one reads the database inline (one indexed lookup).
    """

    def __init__(self, engine: Engine, organiser_ids: list[int]) -> None:
        super().__init__(name="DraftTextFilter")
        self.engine = engine
        self.configured = organiser_ids

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None or message.chat.type != "private":
            return False
        return service.expects_text(self.engine, telegram_id=user.id, configured=self.configured)


# -- the conversation -------------------------------------------------------------------------------
@organiser_only
async def broadcast(update: Update, context: KoppelContext) -> None:
    """Start a draft and ask for the message."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    language = _language(update)
    scope = await organiser_scope(update, context)
    sender = user.full_name
    await db.run(
        context.engine,
        lambda s: service.new_draft(s, created_by=user.id, language=language, scope=scope, sender=sender),
    )
    await message.reply_text(t(language, "broadcast.ask_text"))


@organiser_only
async def broadcasts(update: Update, context: KoppelContext) -> None:
    """The history: the newest broadcasts, when, to whom, what, and how many were delivered or blocked."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    language = _language(update)
    scope = await organiser_scope(update, context)
    lines = await db.run(
        context.engine, lambda s: service.history(s, scope=scope, organiser_id=user.id, limit=10)
    )
    await message.reply_text(broadcast_history_text(language, lines, tz=context.settings.tz))


async def start_prefilled_draft(
    update: Update, context: KoppelContext, *, text: str, segment: dict[str, Any]
) -> None:
    """A draft with text and segment filled in (from the unmet-demand report): straight to the preview."""
    user = update.effective_user
    if user is None:
        return
    language = _language(update)
    scope = await organiser_scope(update, context)
    draft_id = await db.run(
        context.engine,
        lambda s: service.prefilled_draft(
            s,
            created_by=user.id,
            language=language,
            text=text,
            segment=segment,
            scope=scope,
            sender=user.full_name,
        ),
    )
    await _send_preview(context, user.id, draft_id, language)


async def draft_text(update: Update, context: KoppelContext) -> None:
    """The organiser's text for the draft: the message itself, or a theme keyword."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    language = _language(update)
    html, plain = message.text_html, message.text
    taken = await db.run(
        context.engine, lambda s: service.take_text(s, created_by=user.id, html=html, plain=plain)
    )
    if taken is None:
        return
    if taken.next == TOO_LONG:
        limit = Counted("characters", service.MAX_BROADCAST_TEXT)
        await message.reply_text(t(language, "broadcast.too_long", length=limit))
    elif taken.next == THEME:
        await message.reply_text(t(language, "broadcast.ask_theme"))
    elif taken.next == SEGMENT:
        await message.reply_text(
            t(language, "broadcast.ask_segment"),
            reply_markup=to_markup(segment_keyboard(language, taken.draft_id)),
        )
    else:
        await _send_preview(context, user.id, taken.draft_id, language)


async def _send_preview(
    context: KoppelContext, chat_id: int, draft_id: int, language: str, edit: Message | None = None
) -> None:
    shown = await db.run(context.engine, lambda s: service.preview(s, broadcast_id=draft_id))
    if shown is None:
        return
    text = preview_text(
        language,
        text=shown.text,
        segment=shown.segment,
        event_name=shown.event_name,
        recipients=shown.recipients,
    )
    markup = to_markup(preview_keyboard(language, draft_id, shown.recipients))
    if edit is not None:
        try:
            await edit.edit_text(text, reply_markup=markup)
            return
        except BadRequest:
            pass
    await context.bot.send_message(chat_id, text, reply_markup=markup)


async def _edit(message: Message | None, text: str, rows: Keyboard | None = None) -> None:
    if message is not None:
        await message.edit_text(text, reply_markup=to_markup(rows))


@organiser_only
async def broadcast_button(update: Update, context: KoppelContext) -> None:
    """Every `bc:` button: segment choice, preview, send, cancel (the draft must be the presser's own)."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    language = _language(update)
    try:
        data = unpack(query.data, prefix="bc")
        action, broadcast_id = data.args[0], data.int_arg(1)
    except (CallbackError, IndexError):
        await refuse_unreadable(query)
        return
    segment: dict[str, Any] | None = None
    if action == "set" and len(data.args) == 4:
        dimension, value = data.args[2], data.args[3]
        segment = await db.run(
            context.engine,
            lambda s: service.segment_for(s, dimension=dimension, value=value, broadcast_id=broadcast_id),
        )
        if segment is None:  # stale, forged, or outside the organiser's scope
            await refuse(query, t(language, "organiser.stale_button"))
            return
    message = query.message if isinstance(query.message, Message) else None
    # Anyone may halt a running broadcast, except that a scoped organiser may halt only their own.
    halting = action == "halt" and (await organiser_scope(update, context)).is_global
    status = await db.run(
        context.engine,
        lambda s: service.status_for(s, broadcast_id=broadcast_id, presser=user.id, halting=halting),
    )
    if status is None:  # not there, or not this organiser's draft
        await refuse(query, t(language, "broadcast.gone"))
        return
    if action != "halt" and status != service.DRAFT:
        await refuse(query, t(language, "broadcast.already_sent"))
        return
    await query.answer()
    if action == "halt":
        await _halt(update, context, broadcast_id, language)
    elif action == "stop":
        await db.run(context.engine, lambda s: service.discard(s, broadcast_id=broadcast_id))
        await _edit(message, t(language, "broadcast.discarded"))
    elif action == "seg":
        await _update_draft(context, broadcast_id, step=SEGMENT)
        await _edit(message, t(language, "broadcast.ask_segment"), segment_keyboard(language, broadcast_id))
    elif action == "all":
        await _update_draft(context, broadcast_id, step=PREVIEW, filters={})
        await _send_preview(context, user.id, broadcast_id, language, edit=message)
    elif action == "dim" and len(data.args) == 3:
        await _choose(update, context, broadcast_id, data.args[2], language, message)
    elif action == "set" and segment is not None:
        await _update_draft(context, broadcast_id, step=PREVIEW, filters=segment)
        await _send_preview(context, user.id, broadcast_id, language, edit=message)
    elif action == "go":
        await _go(context, user.id, broadcast_id, language, message)


async def _update_draft(
    context: KoppelContext, broadcast_id: int, *, step: str, filters: dict[str, Any] | None = None
) -> None:
    await db.run(
        context.engine,
        lambda s: service.update_draft(s, broadcast_id=broadcast_id, step=step, filters=filters),
    )


async def _choose(
    update: Update,
    context: KoppelContext,
    broadcast_id: int,
    dimension: str,
    language: str,
    message: Message | None,
) -> None:
    if dimension == "theme":
        await _update_draft(context, broadcast_id, step=THEME)
        if update.effective_user is not None:
            await context.bot.send_message(update.effective_user.id, t(language, "broadcast.ask_theme"))
        return
    if dimension == "region":
        allowed = await db.run(context.engine, lambda s: service.regions(s, broadcast_id=broadcast_id))
        choices = [(code, label) for code, label in code_choices(language, dimension) if code in allowed]
    elif dimension == "role":
        choices = code_choices(language, dimension)
    elif dimension == "inactive":
        choices = inactive_choices(language, service.INACTIVE_WEEKS)
    elif dimension == "event":
        events = await db.run(context.engine, lambda s: service.events(s, broadcast_id=broadcast_id))
        choices = [(str(event_id), event_label(language, name, n)) for event_id, name, n in events]
        if not choices:
            await _edit(message, t(language, "broadcast.no_events"), segment_keyboard(language, broadcast_id))
            return
    else:
        return
    await _edit(
        message,
        t(language, f"broadcast.choose_{dimension}"),
        choice_keyboard(language, broadcast_id, dimension, choices),
    )


async def _go(
    context: KoppelContext, chat_id: int, broadcast_id: int, language: str, message: Message | None
) -> None:
    """Confirmed: queue everything through the outbox; the preview stays as the organiser's copy of what
    was sent, and the progress (then the final count) follows as a message of its own."""
    shown = await db.run(context.engine, lambda s: service.preview(s, broadcast_id=broadcast_id))
    # Thousands of rows take seconds: queued in a worker thread, so the bot keeps answering everybody else.
    total = await db.run(context.engine, lambda s: service.queue(s, broadcast_id=broadcast_id))
    if total is None or shown is None:
        return
    copy = sent_copy_text(language, text=shown.text, segment=shown.segment, event_name=shown.event_name)
    kept = False
    if message is not None:
        try:
            await message.edit_text(copy, reply_markup=None)
            kept = True
        except BadRequest:
            kept = False
    if not kept:
        await context.bot.send_message(chat_id, copy)
    text = service.progress_text(language, {}, total, finished=False, cancelled=False)
    markup = to_markup(progress_keyboard(language, broadcast_id))
    progress = await context.bot.send_message(chat_id, text, reply_markup=markup)
    chat, message_id = progress.chat_id, progress.message_id
    await db.run(
        context.engine,
        lambda s: service.record_progress_message(
            s, broadcast_id=broadcast_id, chat_id=chat, message_id=message_id
        ),
    )
    logger.info("broadcast %s queued for %d recipients", broadcast_id, total)


async def _halt(update: Update, context: KoppelContext, broadcast_id: int, language: str) -> None:
    """Cancel a running broadcast: pending messages are cancelled; the final report follows."""
    cancelled = await db.run(context.engine, lambda s: service.halt(s, broadcast_id=broadcast_id))
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except BadRequest:
            pass
    if update.effective_chat is not None:
        await context.bot.send_message(
            update.effective_chat.id, t(language, "broadcast.halted", count=cancelled)
        )
