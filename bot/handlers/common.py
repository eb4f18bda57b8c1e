"""Small helpers the participant handlers share: who is talking, in which language, and how to reply."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from sqlmodel import Session
from telegram import CallbackQuery, Update
from telegram.error import BadRequest, TelegramError

from bot.callbacks import Callback, CallbackError, unpack
from bot.context import KoppelContext
from bot.keyboards import Keyboard, to_markup
from bot.services.matchmaking import MatcherCache
from bot.services.participants import items_by_kind
from bot.texts import language_for
from bot.views import View
from storage.models import Participant, ProfileItem
from storage.participants import get_by_telegram_id

__all__ = [
    "answer_query",
    "edit_or_send",
    "language_of",
    "matcher_cache",
    "now",
    "participant_of",
    "pressed",
    "send",
    "send_views",
]

logger = logging.getLogger(__name__)


def now(context: KoppelContext) -> dt.datetime:
    """The bot's current time (its clock: the system's, or the one a test or the demo controls)."""
    return context.clock.now()


def participant_of(session: Session, update: Update) -> Participant | None:
    """The participant who sent this update (None before consent, and after deletion)."""
    if update.effective_user is None:
        return None
    return get_by_telegram_id(session, telegram_id=update.effective_user.id)


def language_of(update: Update, participant: Participant | None) -> str:
    """The participant's chosen language, else their Telegram language (nl by default)."""
    if participant is not None and participant.language:
        return participant.language
    return language_for(update.effective_user.language_code if update.effective_user else None)


def items_of(session: Session, participant: Participant) -> dict[str, list[ProfileItem]]:
    """The participant's profile items per kind."""
    assert participant.id is not None
    return items_by_kind(session, participant_id=participant.id)


def matcher_cache(bot_data_extras: dict[str, object]) -> MatcherCache:
    """The one matcher cache of this process (created on first use)."""
    cache = bot_data_extras.get("matcher_cache")
    if not isinstance(cache, MatcherCache):
        cache = MatcherCache()
        bot_data_extras["matcher_cache"] = cache
    return cache


async def send(update: Update, text: str, rows: Keyboard | None = None) -> None:
    """Send a message to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return
    await chat.send_message(text, reply_markup=to_markup(rows))


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


async def drop_buttons(update: Update) -> None:
    """Remove the buttons of the pressed message (so an answered question cannot be pressed again)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)
