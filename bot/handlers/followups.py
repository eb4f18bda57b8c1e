"""Follow-up answers: the `fu` buttons under nudges, and the one line about a started project.

Every press is checked on the server (only the side the follow-up was sent to may answer it); forged or
stale buttons get a friendly answer. The rules live in `bot.services.followups`.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import CallbackError, unpack
from bot.context import KoppelContext
from bot.keyboards_dict import markup_from_dict
from bot.services import followups as service
from bot.services import matchmaking as mm
from bot.services.cleaning import strip_controls
from bot.texts import language_for, t
from storage import session_scope
from storage.participants import get_by_telegram_id, set_conversation

__all__ = ["followup_button", "project_text"]

logger = logging.getLogger(__name__)

MATCHER_CACHE = "followups_matcher_cache"


def _cache(context: KoppelContext) -> mm.MatcherCache:
    cache = context.bot_data.extras.get(MATCHER_CACHE)
    if cache is None:
        cache = context.bot_data.extras[MATCHER_CACHE] = mm.MatcherCache()
    return cache


async def followup_button(update: Update, context: KoppelContext) -> None:
    """Record an answer to a follow-up question and act on it."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    fallback = language_for(user.language_code)
    try:
        data = unpack(query.data, prefix="fu")
        followup_id = data.int_arg(0)
        answer = data.args[1]
        reason = data.args[2] if len(data.args) > 2 else None
    except (CallbackError, IndexError):
        await _reply(update, t(fallback, "followup.stale"))
        return

    def work() -> tuple[str, service.Outcome]:
        with session_scope(context.engine) as session:
            participant = get_by_telegram_id(session, telegram_id=user.id)
            if participant is None or participant.id is None:
                raise service.NotYours("unknown person")
            outcome = service.answer_followup(
                session,
                followup_id=followup_id,
                participant_id=participant.id,
                answer=answer,
                reason=reason,
                now=context.bot_data.clock.now(),
                settings=context.settings,
                cache=_cache(context),
            )
            if outcome.ask_project:
                set_conversation(
                    session,
                    participant=participant,
                    state=f"{service.PROJECT_STATE}:{outcome.introduction_id}",
                )
            return participant.language, outcome

    try:
        language, outcome = await asyncio.to_thread(work)
    except service.NotYours:
        await _reply(update, t(fallback, "followup.not_yours"))
        return
    except service.StaleFollowUp:
        await _reply(update, t(fallback, "followup.stale"))
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass  # already without buttons
    text = t(language, f"followup.{outcome.reply_key}", other=outcome.other_name)
    markup = None
    if outcome.ask_why:
        markup = markup_from_dict(service.why_keyboard(language, followup_id, outcome.other_name))
    await _reply(update, text, markup)


async def project_text(update: Update, context: KoppelContext) -> None:
    """The one line about a started project; runs before other text handlers, only in that state."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    now = context.bot_data.clock.now()
    with session_scope(context.engine) as session:
        participant = get_by_telegram_id(session, telegram_id=user.id)
        state = participant.conversation_state if participant is not None else None
        if (
            participant is None
            or participant.id is None
            or not (state or "").startswith(f"{service.PROJECT_STATE}:")
        ):
            return  # not ours: the other text handlers take it
        language = participant.language
        description = " ".join(strip_controls(message.text).split())
        if not description:
            reply = t(language, "followup.project_empty")
        else:
            try:
                introduction_id = int((state or "").split(":", 1)[1])
                introduction = service.record_project(
                    session,
                    introduction_id=introduction_id,
                    participant_id=participant.id,
                    description=description,
                    now=now,
                )
                reply = t(language, "followup.project_saved", description=introduction.project_description)
            except (ValueError, service.NotYours):
                reply = t(language, "followup.stale")
            set_conversation(session, participant=participant, state=None)
    await message.reply_text(reply)
    raise ApplicationHandlerStop


async def _reply(update: Update, text: str, markup: object = None) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, reply_markup=markup)  # type: ignore[arg-type]
