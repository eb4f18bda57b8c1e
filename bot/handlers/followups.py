"""Follow-up answers: the `fu` buttons under nudges, and the one line about a started project.

Every press is checked on the server (only the side the follow-up was sent to may answer it); forged or
stale buttons get a friendly answer. The rules live in `bot.services.followups`.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import CallbackError, unpack
from bot.context import KoppelContext
from bot.handlers.common import answer_query, refuse
from bot.keyboards import Keyboard, to_markup
from bot.services import db
from bot.services import followups as service
from bot.texts import language_for, t

__all__ = ["followup_button", "project_text"]

logger = logging.getLogger(__name__)


async def followup_button(update: Update, context: KoppelContext) -> None:
    """Record an answer to a follow-up question and act on it."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    fallback = language_for(user.language_code)
    try:
        data = unpack(query.data, prefix="fu")
        followup_id = data.int_arg(0)
        answer = data.args[1]
        reason = data.args[2] if len(data.args) > 2 else None
    except (CallbackError, IndexError):
        await refuse(query, t(fallback, "followup.stale"))
        return
    bot_data = context.bot_data
    moment = bot_data.clock.now()
    try:
        answered = await db.run(
            context.engine,
            lambda s: service.respond(
                s,
                telegram_id=user.id,
                followup_id=followup_id,
                answer=answer,
                reason=reason,
                now=moment,
                settings=bot_data.settings,
                matcher=bot_data.matcher,
            ),
            executor=bot_data.match_executor,  # "we could not find a time" asks the matcher
        )
    except service.NotYours:
        await refuse(query, t(fallback, "followup.not_yours"))
        return
    except service.StaleFollowUp:
        await refuse(query, t(fallback, "followup.stale"))
        with contextlib.suppress(BadRequest):  # already without buttons
            await query.edit_message_reply_markup(reply_markup=None)
        return
    await answer_query(query)
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass  # already without buttons
    language, outcome = answered.language, answered.outcome
    text = t(language, f"followup.{outcome.reply_key}", other=outcome.other_name)
    rows = service.why_keyboard(language, followup_id, outcome.other_name) if outcome.ask_why else None
    await _reply(update, text, rows)


async def project_text(update: Update, context: KoppelContext) -> None:
    """The one line about a started project; runs before other text handlers, only in that state."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    text, moment = message.text, context.bot_data.clock.now()
    reply = await db.run(
        context.engine, lambda s: service.project_line(s, telegram_id=user.id, text=text, now=moment)
    )
    if reply is None:
        return  # not ours: the other text handlers take it
    await message.reply_text(reply)
    raise ApplicationHandlerStop


async def _reply(update: Update, text: str, rows: Keyboard | None = None) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=to_markup(rows))
