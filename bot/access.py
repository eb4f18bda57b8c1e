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
from bot.services import db, organisers
from bot.services.organisers import Scope
from bot.texts import language_for, t

__all__ = ["Handler", "organiser_only", "organiser_scope"]

logger = logging.getLogger(__name__)

Handler = Callable[[Update, KoppelContext], Coroutine[Any, Any, None]]


def organiser_only(handler: Handler) -> Handler:
    """Run `handler` only for organisers; everybody else gets a polite refusal (buttons: an alert)."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: KoppelContext) -> None:
        user = update.effective_user
        if user is None:
            return
        configured = context.settings.organiser_ids
        allowed = await db.run(
            context.engine,
            lambda session: organisers.is_organiser(session, telegram_id=user.id, configured=configured),
        )
        if allowed:
            await handler(update, context)
            return
        language = language_for(user.language_code)
        if update.callback_query is not None:
            await update.callback_query.answer(t(language, "organiser.refused_short"), show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(t(language, "organiser.refused"))

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
