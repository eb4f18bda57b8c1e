"""`/start` (also with an invitation payload) and the consent question: nothing is stored before consent.

The invitation token travels inside the consent button's callback data (`consent:yes:<lang>:<token>`), so
not even the Telegram id is written until the person presses "Akkoord".
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.access import is_organiser
from bot.callbacks import CallbackError, pack, unpack
from bot.context import KoppelContext
from bot.handlers.common import (
    WELCOMED,
    answer_query,
    close_previous_question,
    drop_buttons,
    edit_or_send,
    now,
    person_of,
    refuse_unreadable,
    send,
    send_views,
    with_chosen_language,
)
from bot.organiser_views import organiser_welcome
from bot.services import db
from bot.services import profile as service
from bot.texts import LANGUAGES, default_language, language_for, t
from bot.views import consent_keyboard, language_keyboard

__all__ = ["consent", "join", "start", "welcome"]

logger = logging.getLogger(__name__)


def _usable_token(payload: str | None) -> str | None:
    """The /start payload when it fits in the consent button's callback data (else None)."""
    if not payload:
        return None
    try:
        pack("consent", "yes", "nl", payload)  # every language code has two letters
    except ValueError:
        return None
    return payload


async def welcome(
    update: Update, language: str, token: str | None = None, context: KoppelContext | None = None
) -> None:
    """The privacy statement and the consent question (remembered for the chat in memory: later stray text
    can point to its button)."""
    await send(update, t(language, "start.welcome"), consent_keyboard(language, token))
    if context is not None and context.chat_data is not None:
        context.chat_data[WELCOMED] = True


async def start(update: Update, context: KoppelContext) -> None:
    """Greet a new person and ask for consent; someone known continues where they were or is welcomed back."""
    person = person_of(update)
    if update.effective_message is None or person is None:
        return
    chose = person != (person := with_chosen_language(person, context))  # /language before consent
    payload = context.args[0] if context.args else None
    token, moment = _usable_token(payload), now(context)
    greeting = await db.run(
        context.engine,
        lambda s: service.greet(s, person=person, payload=payload, token=token, now=moment),
    )
    if greeting is not None:
        await close_previous_question(update, context, await send_views(update, greeting.views))
        return
    language = language_for(person.language_code)
    if await is_organiser(context, person.telegram_id):  # what they can do, rather than the consent text
        await send(update, *organiser_welcome(language, token))
        return
    # The language first (unless chosen already), then the consent text in it
    first = not chose and _asks_language_first(person.language_code)
    if first:
        language = language if language != default_language() else "en"
    if payload and token is None:
        await send(update, t(language, "onboarding.invite_unknown"))
    if first:
        await send(update, t(language, "start.language_first"), language_keyboard(None, token))
        return
    await welcome(update, language, token, context)


def _asks_language_first(code: str | None) -> bool:
    """True for a Telegram app in another language than the bot's default (unknown: the default)."""
    return bool(code) and language_for(code, "?") != default_language()


async def join(update: Update, context: KoppelContext) -> None:  # noqa: ARG001
    """`join[:<invitation>]`: an organiser who wants to take part too gets the consent question."""
    query = update.callback_query
    person = person_of(update)
    if query is None or person is None:
        return
    try:
        args = unpack(query.data, prefix="join").args
    except CallbackError:
        await refuse_unreadable(query)
        return
    await answer_query(query)
    await drop_buttons(update)
    await welcome(update, language_for(person.language_code), args[0] if args else None, context)


async def consent(update: Update, context: KoppelContext) -> None:
    """The answer to the consent question: create the participant, or store nothing at all."""
    query = update.callback_query
    person = person_of(update)
    if query is None or person is None or update.effective_chat is None:
        return
    try:
        data = unpack(query.data, prefix="consent")
    except CallbackError:
        await refuse_unreadable(query)
        return
    await answer_query(query)
    answer = data.args[0] if data.args else ""
    language = data.args[1] if len(data.args) > 1 and data.args[1] in LANGUAGES else None
    language = language or language_for(person.language_code)
    token = data.args[2] if len(data.args) > 2 else None
    if answer != "yes" and not await db.run(context.engine, lambda s: service.known(s, person=person)):
        await edit_or_send(update, t(language, "onboarding.consent_declined"))
        return
    # (An old "no" button of someone who consented since: they just continue.)
    chat_id, moment = update.effective_chat.id, now(context)
    reply = await db.run(
        context.engine,
        lambda s: service.consented(
            s, person=person, chat_id=chat_id, language=language, token=token, now=moment
        ),
    )
    await edit_or_send(update, t(reply.language, "start.welcome"))
    await close_previous_question(update, context, await send_views(update, reply.views))
