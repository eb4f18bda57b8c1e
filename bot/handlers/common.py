"""Small helpers the participant handlers share: who is talking, and how to reply to a message or a press."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import replace

from telegram import Bot, CallbackQuery, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.access import is_organiser
from bot.callbacks import Callback, CallbackError, unpack
from bot.context import KoppelContext
from bot.keyboards import Keyboard, to_markup
from bot.services import db, profile
from bot.services.participants import Person
from bot.services.profile import Reply
from bot.texts import Markup, language_for, t
from bot.views import View

__all__ = [
    "CHOSEN_LANGUAGE",
    "WELCOMED",
    "answer_query",
    "close_previous_question",
    "deliver",
    "drop_buttons",
    "edit_message",
    "edit_or_send",
    "now",
    "person_of",
    "pressed",
    "refuse",
    "refuse_unreadable",
    "send",
    "send_views",
    "with_chosen_language",
]

logger = logging.getLogger(__name__)
_MAX_POPUP = 200  # characters of an answerCallbackQuery text


def now(context: KoppelContext) -> dt.datetime:
    """The bot's current time (its clock: the system's, or the one a test or the demo controls)."""
    return context.clock.now()


def person_of(update: Update) -> Person | None:
    """Who sent this update (None for updates without a user, such as channel posts)."""
    user = update.effective_user
    if user is None:
        return None
    return Person(user.id, user.language_code, user.full_name, user.first_name, user.username)


# Before consent nothing about a person is stored; a language chosen with /language is kept for the chat in
# the running process only (PTB's chat_data, no persistence), so a later /start keeps speaking it.
CHOSEN_LANGUAGE = "language"
WELCOMED = "welcomed"  # the welcome with its consent button was sent in this chat (in memory only)


def with_chosen_language(person: Person, context: KoppelContext) -> Person:
    """`person` with the language chosen in this chat before consent, when there is one."""
    chosen = context.chat_data.get(CHOSEN_LANGUAGE) if context.chat_data is not None else None
    return replace(person, language_code=chosen) if chosen else person


async def send(update: Update, text: str, rows: Keyboard | None = None) -> Message | None:
    """Send a message to the chat the update came from (the sent message, None without a chat)."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, reply_markup=to_markup(rows))


async def send_views(update: Update, views: list[View]) -> Message | None:
    """Send several views in order; the last one sent with buttons (None when none had any)."""
    asking: Message | None = None
    for text, rows in views:
        sent = await send(update, text, rows)
        if sent is not None and to_markup(rows) is not None:
            asking = sent
    return asking


async def close_previous_question(update: Update, context: KoppelContext, asking: Message | None) -> None:
    """After a turn that sent `asking` (the message with the open question's buttons; None: none was sent
    with buttons): take the buttons off the message that asked before, once that question is answered.

    So a question answered by typing keeps no buttons that could be pressed later.
    """
    person = person_of(update)
    chat = update.effective_chat
    if person is None or chat is None:
        return
    message_id = asking.message_id if asking is not None else None
    previous = await db.run(
        context.engine, lambda s: profile.question_shown(s, person=person, message_id=message_id)
    )
    query = update.callback_query
    pressed_id = query.message.message_id if query is not None and query.message is not None else None
    if previous is None or previous == pressed_id:
        return
    with contextlib.suppress(TelegramError):  # gone, or already without buttons
        await context.bot.edit_message_reply_markup(chat.id, previous, reply_markup=None)


async def answer_query(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press (a late or duplicate answer is harmless). Telegram refuses a popup of more
    than 200 characters (a long name in it), so a longer text is cut with "…" rather than lost."""
    if text is not None and len(text) > _MAX_POPUP:
        text = text[: _MAX_POPUP - 1].rstrip() + "…"
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as exc:
        logger.info("could not answer a callback query: %s", type(exc).__name__)


async def refuse(query: CallbackQuery, text: str) -> None:
    """Refuse a button press with a popup (refusals of a press never arrive as a new message)."""
    await answer_query(query, text, alert=True)


async def refuse_unreadable(query: CallbackQuery) -> None:
    """A press whose data Koppelbot did not make (forged, truncated, an old version): the old-button popup."""
    await refuse(query, t(language_for(query.from_user.language_code), "account.old_button"))


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
        await refuse_unreadable(query)
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


async def deliver(update: Update, reply: Reply, context: KoppelContext | None = None) -> None:
    """Send a turn's reply: to a typed message, or to a press (see `bot.services.profile.Reply`).

    With `context`, the message that now asks the open question is remembered, and the one that asked
    before loses its buttons.
    """
    query = update.callback_query
    if not reply.registered:
        user = update.effective_user
        # An organiser who does not take part is no stranger: point to what they can do instead.
        organiser = context is not None and user is not None and await is_organiser(context, user.id)
        welcomed = context is not None and context.chat_data is not None and context.chat_data.get(WELCOMED)
        key = "account.not_registered" if welcomed or query is not None else "account.not_started"
        text = t(reply.language, "organiser.not_a_participant" if organiser else key)
        if query is None:
            await send(update, text)
        else:
            await refuse(query, text)
        return
    views = reply.views
    asking: Message | None = None
    if query is not None:
        if reply.stale:  # an old or forged button: a popup, and its keyboard taken away; nothing is re-sent
            await answer_query(query, reply.toast)
            on_open = query.message is not None and query.message.message_id == reply.asking
            if on_open and not views:  # a wrong press on the open question: it keeps its buttons
                return
            await drop_buttons(update)
            if on_open:  # its answer was stored, but the bot stopped before showing what follows
                asking = await send_views(update, views)
                if context is not None:
                    await close_previous_question(update, context, asking)
            return
        await answer_query(query, reply.toast, alert=reply.alert)
        if reply.close:
            await _close_question(update, reply.language, reply.echo)
        if reply.edit and views:
            await edit_or_send(update, *views[0])
            if to_markup(views[0][1]) is not None and isinstance(query.message, Message):
                asking = query.message
            views = views[1:]
    asking = await send_views(update, views) or asking
    if context is not None:
        await close_previous_question(update, context, asking)
