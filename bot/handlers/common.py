"""Small helpers the participant handlers share: who is talking, and how to reply to a message or a press."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from telegram import Bot, CallbackQuery, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.callbacks import Callback, CallbackError, unpack
from bot.context import KoppelContext
from bot.keyboards import Keyboard, to_markup
from bot.services.participants import Person
from bot.services.profile import Reply
from bot.texts import Markup, t
from bot.views import View

__all__ = [
    "answer_query",
    "deliver",
    "drop_buttons",
    "edit_message",
    "edit_or_send",
    "now",
    "person_of",
    "pressed",
    "send",
    "send_views",
]

logger = logging.getLogger(__name__)


def now(context: KoppelContext) -> dt.datetime:
    """The bot's current time (its clock: the system's, or the one a test or the demo controls)."""
    return context.clock.now()


def person_of(update: Update) -> Person | None:
    """Who sent this update (None for updates without a user, such as channel posts)."""
    user = update.effective_user
    if user is None:
        return None
    return Person(user.id, user.language_code, user.full_name, user.first_name, user.username)


async def send(update: Update, text: str, rows: Keyboard | None = None) -> Message | None:
    """Send a message to the chat the update came from; returns it (None without a chat)."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, reply_markup=to_markup(rows))


async def send_views(update: Update, views: list[View]) -> None:
    """Send several views in order."""
    for text, rows in views:
        await send(update, text, rows)


async def answer_query(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press (a late or duplicate answer is harmless)."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as exc:
        logger.info("could not answer a callback query: %s", type(exc).__name__)


async def pressed(update: Update, prefix: str) -> tuple[CallbackQuery, Callback] | None:
    """The press and its data for `prefix`; None when there is none or its data is unreadable (answered then).

    A readable press is not answered here: the handler answers it once, with a short text where needed.
    """
    query = update.callback_query
    if query is None:
        return None
    try:
        return query, unpack(query.data, prefix=prefix)
    except CallbackError:
        await answer_query(query)
        return None


async def edit_or_send(update: Update, text: str, rows: Keyboard | None = None) -> None:
    """Replace the pressed message's text and buttons; send a new message when it cannot be edited."""
    query = update.callback_query
    if query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=to_markup(rows))
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            logger.info("could not edit a message, sending a new one: %s", type(exc).__name__)
    await send(update, text, rows)


async def edit_message(
    bot: Bot, chat_id: int, message_id: int, text: str, rows: Keyboard | None = None
) -> None:
    """Replace an earlier message's text and buttons (one already showing them, or gone, is left alone)."""
    try:
        await bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=to_markup(rows)
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            logger.info("could not edit an earlier message: %s", type(exc).__name__)


async def drop_buttons(update: Update) -> None:
    """Remove the buttons of the pressed message (so an answered question cannot be pressed again)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)


async def _close_question(update: Update, language: str, answer: str | None) -> None:
    """Take the buttons off an answered question, showing the answer under it when there is one."""
    message = update.callback_query.message if update.callback_query else None
    if answer is None or not isinstance(message, Message) or not message.text_html:
        await drop_buttons(update)
        return
    await edit_or_send(
        update, t(language, "onboarding.answered", question=Markup(message.text_html), answer=answer)
    )


async def deliver(update: Update, reply: Reply) -> None:
    """Send a turn's reply: to a typed message, or to a press (see `bot.services.profile.Reply`)."""
    query = update.callback_query
    if not reply.registered:
        text = t(reply.language, "account.not_registered")
        if query is None:
            await send(update, text)
        else:
            await answer_query(query)
            await edit_or_send(update, text)
        return
    views = reply.views
    if query is not None:
        if reply.stale:  # an old button: a short answer, its keyboard taken away, where the person is now
            await answer_query(query, reply.toast)
            await drop_buttons(update)
            await send_views(update, views)
            return
        await answer_query(query, reply.toast, alert=reply.alert)
        if reply.close:
            await _close_question(update, reply.language, reply.echo)
        if reply.edit and views:
            await edit_or_send(update, *views[0])
            views = views[1:]
    await send_views(update, views)
