"""`/broadcast`: write a message, choose a segment with buttons, preview, confirm, follow its progress.

The draft lives in a `broadcast` row with status `draft` (one per organiser), so it survives a restart and
works whether or not the organiser is a participant. Its step (`ui.step`: `text` = waiting for the message,
`theme` = waiting for a keyword, `preview`) decides what the organiser's next text message means.
Sending goes through the outbox; a repeating job edits one progress message in place, at most once every
BROADCAST_PROGRESS_SECONDS, and makes the final report with the true counts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import filters

from bot.callbacks import CallbackError, pack, unpack
from bot.context import KoppelContext
from bot.handlers.organiser import organiser_only
from bot.services.broadcasts import (
    describe_segment,
    progress_text,
    progress_updates,
    region_label,
    role_label,
    theme_segment,
)
from bot.services.cleaning import strip_controls
from bot.services.numbers import count
from bot.texts import Markup, language_for, t
from matching import REGIONS, ROLES
from storage import session_scope
from storage.broadcasts import (
    cancel_broadcast,
    count_recipients,
    create_draft,
    open_draft,
    start_broadcast,
)
from storage.events import list_events
from storage.models import Broadcast, BroadcastStatus
from storage.organisers import is_organiser

__all__ = [
    "DraftTextFilter",
    "broadcast",
    "broadcast_button",
    "draft_text",
    "progress_job",
    "start_prefilled_draft",
]

logger = logging.getLogger(__name__)

MAX_BROADCAST_TEXT = 3500  # leaves room for the preview's own lines within Telegram's 4096


def _language(update: Update) -> str:
    return language_for(update.effective_user.language_code if update.effective_user else None)


class DraftTextFilter(filters.MessageFilter):
    """Text from an organiser whose broadcast draft waits for its message or theme keyword."""

    def __init__(self, engine: Engine, organiser_ids: list[int]) -> None:
        super().__init__(name="DraftTextFilter")
        self.engine = engine
        self.configured = organiser_ids

    def filter(self, message: Message) -> bool:
        user = message.from_user
        if user is None or message.chat.type != "private":
            return False
        with Session(self.engine) as session:
            draft = open_draft(session, created_by=user.id)
            if draft is None or _step(draft) not in {"text", "theme"}:
                return False
            return is_organiser(session, telegram_id=user.id, configured=self.configured)


def _step(draft: Broadcast) -> str | None:
    ui = draft.segment.get("ui") or {}
    return str(ui["step"]) if "step" in ui else None


def _with_ui(segment: dict[str, Any], **changes: object) -> dict[str, Any]:
    ui = {**(segment.get("ui") or {}), **changes}
    return {**segment, "ui": ui}


def _filters(segment: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in segment.items() if key != "ui"}


# -- keyboards --------------------------------------------------------------------------------------
def build_segment_keyboard(language: str, broadcast_id: int) -> InlineKeyboardMarkup:
    """Who receives it: everyone, or by region, role, event or theme keyword."""
    rows = [
        [
            InlineKeyboardButton(
                t(language, "broadcast.seg_all_button"), callback_data=pack("bc", "all", broadcast_id)
            )
        ],
        [
            InlineKeyboardButton(
                t(language, "broadcast.by_region"), callback_data=pack("bc", "dim", broadcast_id, "region")
            ),
            InlineKeyboardButton(
                t(language, "broadcast.by_role"), callback_data=pack("bc", "dim", broadcast_id, "role")
            ),
        ],
        [
            InlineKeyboardButton(
                t(language, "broadcast.by_event"), callback_data=pack("bc", "dim", broadcast_id, "event")
            ),
            InlineKeyboardButton(
                t(language, "broadcast.by_theme"), callback_data=pack("bc", "dim", broadcast_id, "theme")
            ),
        ],
        [
            InlineKeyboardButton(
                t(language, "broadcast.cancel_button"), callback_data=pack("bc", "stop", broadcast_id)
            )
        ],
    ]
    return InlineKeyboardMarkup(rows)


def build_choice_keyboard(
    language: str, broadcast_id: int, dimension: str, choices: list[tuple[str, str]]
) -> InlineKeyboardMarkup:
    """One button per region / role / event (two per row), and back."""
    buttons = [
        InlineKeyboardButton(label, callback_data=pack("bc", "set", broadcast_id, dimension, value))
        for value, label in choices
    ]
    rows = [buttons[k : k + 2] for k in range(0, len(buttons), 2)]
    rows.append(
        [InlineKeyboardButton(t(language, "broadcast.back"), callback_data=pack("bc", "seg", broadcast_id))]
    )
    return InlineKeyboardMarkup(rows)


def build_preview_keyboard(language: str, broadcast_id: int, recipients: int) -> InlineKeyboardMarkup:
    """Send (with the count), change the segment, or cancel."""
    rows = []
    if recipients:
        rows.append(
            [
                InlineKeyboardButton(
                    t(language, "broadcast.send_button", recipients=count(recipients, language)),
                    callback_data=pack("bc", "go", broadcast_id),
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                t(language, "broadcast.change_segment"), callback_data=pack("bc", "seg", broadcast_id)
            )
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                t(language, "broadcast.cancel_button"), callback_data=pack("bc", "stop", broadcast_id)
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def build_progress_keyboard(language: str, broadcast_id: int) -> InlineKeyboardMarkup:
    """The cancel button on a running broadcast's progress message."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(language, "broadcast.stop_running"), callback_data=pack("bc", "halt", broadcast_id)
                )
            ]
        ]
    )


# -- the conversation -------------------------------------------------------------------------------
@organiser_only
async def broadcast(update: Update, context: KoppelContext) -> None:
    """Start a draft and ask for the message."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    language = _language(update)
    with session_scope(context.engine) as session:
        create_draft(session, created_by=user.id, segment={"ui": {"language": language, "step": "text"}})
    await message.reply_text(t(language, "broadcast.ask_text"))


async def start_prefilled_draft(
    update: Update, context: KoppelContext, *, text: str, segment: dict[str, Any]
) -> None:
    """A draft with text and segment filled in (from the unmet-demand report): straight to the preview."""
    user = update.effective_user
    if user is None:
        return
    language = _language(update)
    with session_scope(context.engine) as session:
        draft = create_draft(
            session,
            created_by=user.id,
            text=text,
            segment={**segment, "ui": {"language": language, "step": "preview"}},
        )
        draft_id = draft.id
    assert draft_id is not None
    await _send_preview(context, user.id, draft_id, language)


async def draft_text(update: Update, context: KoppelContext) -> None:
    """The organiser's text for the draft: the message itself, or a theme keyword."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    language = _language(update)
    with session_scope(context.engine) as session:
        draft = open_draft(session, created_by=user.id)
        if draft is None:
            return
        step = _step(draft)
        draft_id = draft.id
        assert draft_id is not None
        if step == "text":
            text = strip_controls(message.text_html)  # Telegram formatting (bold, links…) survives as HTML
            if len(text) > MAX_BROADCAST_TEXT:
                await message.reply_text(
                    t(language, "broadcast.too_long", limit=count(MAX_BROADCAST_TEXT, language))
                )
                return
            draft.text = text
            draft.segment = _with_ui(draft.segment, step="segment")
            session.add(draft)
        elif step == "theme":
            keyword = " ".join(strip_controls(message.text).split())
            if not keyword or len(keyword) > 100:
                await message.reply_text(t(language, "broadcast.ask_theme"))
                return
            draft.segment = _with_ui(
                {**theme_segment(keyword), "ui": draft.segment.get("ui")}, step="preview"
            )
            session.add(draft)
    if step == "text":
        await message.reply_text(
            t(language, "broadcast.ask_segment"), reply_markup=build_segment_keyboard(language, draft_id)
        )
    else:
        await _send_preview(context, user.id, draft_id, language)


async def _send_preview(
    context: KoppelContext, chat_id: int, draft_id: int, language: str, edit: Message | None = None
) -> None:
    with Session(context.engine) as session:
        draft = session.get(Broadcast, draft_id)
        if draft is None:
            return
        segment = _filters(draft.segment)
        recipients = count_recipients(session, segment=segment)
        described = describe_segment(session, segment, language)
        text = t(
            language,
            "broadcast.preview",
            text=Markup(draft.text),
            segment=Markup(described),
            recipients=count(recipients, language),
        )
    if not recipients:
        text += "\n\n" + t(language, "broadcast.nobody")
    markup = build_preview_keyboard(language, draft_id, recipients)
    if edit is not None:
        try:
            await edit.edit_text(text, reply_markup=markup)
            return
        except BadRequest:
            pass
    await context.bot.send_message(chat_id, text, reply_markup=markup)


@organiser_only
async def broadcast_button(update: Update, context: KoppelContext) -> None:
    """Every `bc:` button: segment choice, preview, send, cancel (the draft must be the presser's own)."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    language = _language(update)
    try:
        data = unpack(query.data, prefix="bc")
        action, broadcast_id = data.args[0], data.int_arg(1)
    except (CallbackError, IndexError):
        return
    message = query.message if isinstance(query.message, Message) else None
    with session_scope(context.engine) as session:
        row = session.get(Broadcast, broadcast_id)
        if row is None or (row.created_by is not None and row.created_by != user.id and action != "halt"):
            row = None
        status = row.status if row is not None else None
    if row is None:
        await context.bot.send_message(user.id, t(language, "broadcast.gone"))
        return
    if action == "halt":
        await _halt(update, context, broadcast_id, language)
        return
    if status != BroadcastStatus.DRAFT:
        await context.bot.send_message(user.id, t(language, "broadcast.already_sent"))
        return
    if action == "stop":
        with session_scope(context.engine) as session:
            draft = session.get(Broadcast, broadcast_id)
            if draft is not None:
                session.delete(draft)
        if message is not None:
            await message.edit_text(t(language, "broadcast.discarded"))
        return
    if action == "seg":
        await _update_draft(context, broadcast_id, step="segment")
        if message is not None:
            await message.edit_text(
                t(language, "broadcast.ask_segment"),
                reply_markup=build_segment_keyboard(language, broadcast_id),
            )
        return
    if action == "all":
        await _update_draft(context, broadcast_id, step="preview", filters={})
        await _send_preview(context, user.id, broadcast_id, language, edit=message)
        return
    if action == "dim" and len(data.args) == 3:
        await _choose(update, context, broadcast_id, data.args[2], language, message)
        return
    if action == "set" and len(data.args) == 4:
        dimension, value = data.args[2], data.args[3]
        segment = _segment_for(context, dimension, value)
        if segment is None:
            return
        await _update_draft(context, broadcast_id, step="preview", filters=segment)
        await _send_preview(context, user.id, broadcast_id, language, edit=message)
        return
    if action == "go":
        await _go(context, user.id, broadcast_id, language, message)


def _segment_for(context: KoppelContext, dimension: str, value: str) -> dict[str, Any] | None:
    if dimension == "region" and value in REGIONS:
        return {"region": value}
    if dimension == "role" and value in ROLES:
        return {"role": value}
    if dimension == "event" and value.isdigit():
        with Session(context.engine) as session:
            known = {event.id for event, _ in list_events(session, limit=100)}
        return {"event": int(value)} if int(value) in known else None
    return None


async def _update_draft(
    context: KoppelContext, broadcast_id: int, *, step: str, filters: dict[str, Any] | None = None
) -> None:
    with session_scope(context.engine) as session:
        draft = session.get(Broadcast, broadcast_id)
        if draft is None or draft.status != BroadcastStatus.DRAFT:
            return
        segment = _filters(draft.segment) if filters is None else dict(filters)
        draft.segment = _with_ui({**segment, "ui": draft.segment.get("ui")}, step=step)
        session.add(draft)


async def _choose(
    update: Update,
    context: KoppelContext,
    broadcast_id: int,
    dimension: str,
    language: str,
    message: Message | None,
) -> None:
    if dimension == "theme":
        await _update_draft(context, broadcast_id, step="theme")
        if update.effective_user is not None:
            await context.bot.send_message(update.effective_user.id, t(language, "broadcast.ask_theme"))
        return
    if dimension == "region":
        choices = [(code, region_label(language, code)) for code in REGIONS]
    elif dimension == "role":
        choices = [(code, role_label(language, code)) for code in ROLES]
    elif dimension == "event":
        with Session(context.engine) as session:
            choices = [
                (str(event.id), f"{event.name} ({count(n, language)})") for event, n in list_events(session)
            ]
        if not choices:
            if message is not None:
                await message.edit_text(
                    t(language, "broadcast.no_events"),
                    reply_markup=build_segment_keyboard(language, broadcast_id),
                )
            return
    else:
        return
    if message is not None:
        await message.edit_text(
            t(language, f"broadcast.choose_{dimension}"),
            reply_markup=build_choice_keyboard(language, broadcast_id, dimension, choices),
        )


def _queue(engine: Engine, broadcast_id: int) -> int | None:
    with session_scope(engine) as session:
        draft = session.get(Broadcast, broadcast_id)
        if draft is None or draft.status != BroadcastStatus.DRAFT:
            return None
        draft.segment = _with_ui(draft.segment, step="sending")
        return start_broadcast(session, broadcast=draft)


async def _go(
    context: KoppelContext, chat_id: int, broadcast_id: int, language: str, message: Message | None
) -> None:
    """Confirmed: queue everything through the outbox, then turn the preview into the progress message."""
    # Thousands of rows take seconds: queue them in a thread, so the bot keeps answering everybody else.
    total = await asyncio.to_thread(_queue, context.engine, broadcast_id)
    if total is None:
        return
    text = progress_text(language, {}, total, finished=False, cancelled=False)
    progress: Message | None = None
    if message is not None:
        try:
            edited = await message.edit_text(
                text, reply_markup=build_progress_keyboard(language, broadcast_id)
            )
            progress = edited if isinstance(edited, Message) else message
        except BadRequest:
            progress = None
    if progress is None:
        progress = await context.bot.send_message(
            chat_id, text, reply_markup=build_progress_keyboard(language, broadcast_id)
        )
    with session_scope(context.engine) as session:
        row = session.get(Broadcast, broadcast_id)
        if row is not None:
            row.progress_chat_id = progress.chat_id
            row.progress_message_id = progress.message_id
            session.add(row)
    logger.info("broadcast %s queued for %d recipients", broadcast_id, total)


async def _halt(update: Update, context: KoppelContext, broadcast_id: int, language: str) -> None:
    """Cancel a running broadcast: pending messages are cancelled; the final report follows."""
    with session_scope(context.engine) as session:
        cancelled = cancel_broadcast(session, broadcast_id=broadcast_id)
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except BadRequest:
            pass
    if update.effective_chat is not None:
        await context.bot.send_message(
            update.effective_chat.id, t(language, "broadcast.halted", cancelled=count(cancelled, language))
        )


# -- the progress job -------------------------------------------------------------------------------
async def progress_job(context: KoppelContext) -> None:
    """Edit running broadcasts' progress messages (at most once per interval) and make the final reports."""
    interval = context.settings.broadcast_progress_seconds
    edits = await asyncio.to_thread(progress_updates, context.engine, interval=interval)
    for edit in edits:
        markup = None if edit.finished else build_progress_keyboard(edit.language, edit.broadcast_id)
        try:
            await context.bot.edit_message_text(
                edit.text, chat_id=edit.chat_id, message_id=edit.message_id, reply_markup=markup
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                logger.info("could not update a broadcast's progress: %s", type(exc).__name__)
        except (Forbidden, TelegramError) as exc:
            logger.info("could not update a broadcast's progress: %s", type(exc).__name__)
