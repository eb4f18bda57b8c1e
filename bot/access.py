"""Who may do what, checked on the server for every command and button: the organiser guard.

Organisers are the ids in ORGANISER_IDS plus those added with `/organisers add`. Everybody else who sends an
organiser command gets a polite refusal, and a pressed organiser button an alert; the handler never runs.
An organiser added with a region and/or event sees and reaches only that scope (`organiser_scope`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from bot.context import KoppelContext
from bot.services import account, db, organisers
from bot.services.organisers import Scope
from bot.services.participants import Person
from bot.texts import language_for, t

__all__ = ["Handler", "is_organiser", "organiser_only", "organiser_scope"]

logger = logging.getLogger(__name__)

Handler = Callable[[Update, KoppelContext], Coroutine[Any, Any, None]]


async def is_organiser(context: KoppelContext, telegram_id: int) -> bool:
    """True for a configured organiser (ORGANISER_IDS) or one added with `/organisers add`."""
    configured = context.settings.organiser_ids
    return await db.run(
        context.engine,
        lambda session: organisers.is_organiser(session, telegram_id=telegram_id, configured=configured),
    )


def organiser_only(handler: Handler) -> Handler:
    """Run `handler` only for organisers; everybody else gets a polite refusal (buttons: an alert)."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: KoppelContext) -> None:
        user = update.effective_user
        if user is None:
            return
        if await is_organiser(context, user.id):
            await handler(update, context)
            return
        if update.callback_query is not None:
            language = language_for(user.language_code)
            await update.callback_query.answer(t(language, "organiser.refused_short"), show_alert=True)
        elif update.effective_message is not None:
            # A participant is told what the command is for; anyone else how to take part (/start).
            person = Person(user.id, user.language_code, user.full_name, user.first_name, user.username)
            language, known = await db.run(context.engine, lambda s: account.known(s, person=person))
            key = "organiser.refused_participant" if known else "organiser.refused"
            await update.effective_message.reply_text(t(language, key))

    return guarded


async def organiser_scope(update: Update, context: KoppelContext) -> Scope:
    """The scope of the organiser behind this update (checked again on the server, for every press).

    The guard ran first, so somebody who is no organiser (removed in between) gets an empty scope that
    matches nobody rather than everything.
    """
    user = update.effective_user
    if user is None:
        return Scope(event_code="")
    configured = context.settings.organiser_ids
    scope = await db.run(
        context.engine,
        lambda session: organisers.scope_of(session, telegram_id=user.id, configured=configured),
    )
    return scope if scope is not None else Scope(event_code="")
