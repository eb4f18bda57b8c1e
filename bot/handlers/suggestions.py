"""`/matches`: suggestion cards and their answers (double opt-in), and relayed first messages.

Every press is checked on the server: only a side of the suggestion may answer it, only an introduced
side may relay. A decline is never shown to the other side.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session
from telegram import Update

from bot.callbacks import CallbackError, pack, unpack
from bot.context import KoppelContext
from bot.handlers.common import (
    answer_query,
    drop_buttons,
    language_of,
    matcher_cache,
    now,
    participant_of,
    send,
)
from bot.keyboards import Button, Keyboard
from bot.services import matchmaking as mm
from bot.services.introductions import relay
from bot.services.participants import RELAY_MAX, InputProblem, clean_text
from bot.texts import t
from bot.views import View, suggestion_card
from storage import session_scope
from storage.db import transaction
from storage.models import AnswerValue, Participant, ParticipantStatus, SuggestionStatus
from storage.suggestions import get_suggestion

__all__ = ["matches", "relay_button", "relay_text", "show_matches", "suggestion_button"]

logger = logging.getLogger(__name__)

CARDS = 3
_ANSWERS = {"y": AnswerValue.YES, "n": AnswerValue.NO, "l": AnswerValue.LATER, "x": AnswerValue.NEVER}
_ANSWERED = {
    AnswerValue.YES: "matches.answered_yes",
    AnswerValue.NO: "matches.answered_no",
    AnswerValue.NEVER: "matches.answered_never",
    AnswerValue.LATER: "matches.answered_later",
}


def _cards(context: KoppelContext, participant_id: int) -> tuple[str, list[View]]:
    """Open suggestions for this person (topped up from the matcher), rendered; marks them shown."""
    cache = matcher_cache(context.bot_data.extras)
    moment = now(context)
    expires_at = moment + dt.timedelta(days=context.settings.suggestion_expiry_days)

    def work(session: Session) -> tuple[str, list[View]]:
        participant = session.get(Participant, participant_id)
        assert participant is not None
        language = participant.language
        rows = mm.suggestions_for(session, participant_id=participant_id, limit=CARDS, now=moment)
        if len(rows) < CARDS:
            mm.find_new_suggestions(
                session,
                participant_id=participant_id,
                cache=cache,
                limit=CARDS - len(rows),
                now=moment,
                expires_at=expires_at,
            )
            rows = mm.suggestions_for(session, participant_id=participant_id, limit=CARDS, now=moment)
        views: list[View] = []
        for row in rows:
            assert row.id is not None
            other = session.get(Participant, mm.other_side(row, participant_id))
            if other is None:
                continue
            views.append(
                suggestion_card(
                    language,
                    suggestion_id=row.id,
                    view=mm.matching_suggestion(row, participant_id),
                    other=other,
                )
            )
            mm.mark_shown(session, suggestion=row, participant_id=participant_id, now=moment)
        return language, views

    # Runs in a worker thread next to the event loop's own writes: retried when SQLite says "locked".
    return transaction(context.engine, work)


async def show_matches(update: Update, context: KoppelContext) -> None:
    """Send the person's current suggestions as cards (or say there are none and what would help)."""
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is None:
            await send(update, t(language, "account.not_registered"))
            return
        participant_id = participant.id
        paused = participant.status == ParticipantStatus.PAUSED
        unfinished = participant.profile_completed_at is None
    if paused:
        await send(update, t(language, "matches.paused"))
        return
    if unfinished:
        from bot.handlers.onboarding import continue_views  # the questions live there

        with session_scope(context.engine) as session:
            participant = participant_of(session, update)
            assert participant is not None
            views = continue_views(session, participant)
        await send(update, t(language, "onboarding.finish_profile_first"))
        for text, rows in views:
            await send(update, text, rows)
        return
    assert participant_id is not None
    # The matcher may need a rebuild (seconds at 10,000 people): keep the event loop free meanwhile. One
    # worker thread for all of it: rebuilds never run twice at once, and glibc keeps one arena, not many.
    executor = context.bot_data.extras.get("matches_executor")
    if not isinstance(executor, ThreadPoolExecutor):
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matches")
        context.bot_data.extras["matches_executor"] = executor
    loop = asyncio.get_running_loop()
    language, views = await loop.run_in_executor(executor, _cards, context, participant_id)
    if not views:
        await send(update, t(language, "matches.none") + "\n" + t(language, "matches.none_tip"))
        return
    for text, rows in views:
        await send(update, text, rows)


async def matches(update: Update, context: KoppelContext) -> None:
    """`/matches`."""
    await show_matches(update, context)


def _undo_keyboard(language: str, suggestion_id: int) -> Keyboard:
    return [[Button(t(language, "matches.undo_button"), pack("sg", suggestion_id, "u"))]]


def _answer(
    session: Session, context: KoppelContext, participant_id: int, suggestion_id: int, answer: AnswerValue
) -> tuple[mm.AnswerOutcome | None, str | None, str | None]:
    """Store the answer; returns (outcome, text key if the suggestion is closed, text key if refused)."""
    try:
        outcome = mm.answer_suggestion(
            session,
            suggestion_id=suggestion_id,
            participant_id=participant_id,
            answer=answer,
            now=now(context),
        )
    except (mm.UnknownSuggestion, mm.NotASide):
        logger.warning("refused a suggestion button from someone who is not a side")
        return None, None, "matches.not_yours"
    except mm.SuggestionClosed:
        row = get_suggestion(session, suggestion_id=suggestion_id)
        other = session.get(Participant, mm.other_side(row, participant_id)) if row else None
        gone = other is None or other.status == ParticipantStatus.DELETED
        expired = row is not None and row.status == SuggestionStatus.EXPIRED
        return None, "matches.gone" if gone else "matches.expired" if expired else "matches.stale", None
    return outcome, None, None


async def suggestion_button(update: Update, context: KoppelContext) -> None:
    """`sg:<id>:y|n|l|x|u`: answer a suggestion (yes, no, later, never, undo), only one's own."""
    query = update.callback_query
    if query is None:
        return
    await answer_query(query)
    try:
        data = unpack(query.data, prefix="sg")
        suggestion_id = data.int_arg(0)
        code = data.args[1] if len(data.args) > 1 else ""
    except CallbackError:
        return
    if code not in _ANSWERS and code != "u":
        return
    answer = _ANSWERS.get(code, AnswerValue.LATER)  # undo reopens: the same as "later"
    # Replies go out after the transaction committed: no database lock is held across a Bot API call, and
    # what the person is told is already stored when they read it.
    refusal: str | None = None
    closed: str | None = None
    outcome: mm.AnswerOutcome | None = None
    name, introduced = "…", False
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is None or participant.id is None:
            refusal = "matches.not_yours"
        else:
            outcome, closed, refusal = _answer(session, context, participant.id, suggestion_id, answer)
        if outcome is not None and participant is not None and participant.id is not None:
            other = session.get(Participant, mm.other_side(outcome.suggestion, participant.id))
            name = other.name if other is not None and other.name else "…"
            introduced = outcome.suggestion.status == SuggestionStatus.INTRODUCED
    if refusal is not None:
        await send(update, t(language, refusal))
        return
    if closed is not None:
        await drop_buttons(update)
        await send(update, t(language, closed, days=context.settings.suggestion_expiry_days))
        return
    if introduced:
        text, rows = t(language, "matches.answered_introduced"), []
    elif code == "u":
        text, rows = t(language, "matches.undone"), []
    else:
        text = t(language, _ANSWERED[answer], name=name)
        rows = (
            _undo_keyboard(language, suggestion_id) if answer in (AnswerValue.NO, AnswerValue.NEVER) else []
        )
    await drop_buttons(update)
    await send(update, text, rows)
    if code == "u":
        await show_matches(update, context)


async def relay_button(update: Update, context: KoppelContext) -> None:
    """`relay:<suggestion>`: an introduced side wants to pass a message to the other; ask for the text."""
    query = update.callback_query
    if query is None:
        return
    await answer_query(query)
    try:
        suggestion_id = unpack(query.data, prefix="relay").int_arg(0)
    except CallbackError:
        return
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        row = get_suggestion(session, suggestion_id=suggestion_id)
        if participant is None or participant.id is None or row is None:
            await send(update, t(language, "matches.not_yours"))
            return
        try:
            other = session.get(Participant, mm.other_side(row, participant.id))
        except mm.NotASide:
            logger.warning("refused a relay button from someone who is not a side")
            await send(update, t(language, "matches.not_yours"))
            return
        if row.status != SuggestionStatus.INTRODUCED:
            await send(update, t(language, "matches.not_yours"))
            return
        if other is None or other.status == ParticipantStatus.DELETED:
            await send(update, t(language, "matches.gone"))
            return
        participant.conversation_state = f"relay:{suggestion_id}"
        participant.conversation_data = {}
        session.add(participant)
        name = other.name or ""
    await send(update, t(language, "matches.relay_ask", name=name, limit=RELAY_MAX))


async def relay_text(update: Update, context: KoppelContext, *, suggestion_id: int, text: str) -> None:
    """The message typed after `relay:<id>`: queue it for the other side and confirm."""
    message = update.effective_message
    if message is None:
        return
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is None or participant.id is None:
            return
        row = get_suggestion(session, suggestion_id=suggestion_id)
        try:
            other = session.get(Participant, mm.other_side(row, participant.id)) if row else None
        except mm.NotASide:
            other = None
        try:
            clean = clean_text(text, limit=RELAY_MAX)
        except InputProblem as problem:
            reply = t(language, problem.key, **problem.values)  # stay in relay mode: they can try again
        else:
            participant.conversation_state = None
            session.add(participant)
            if row is None or other is None or other.status != ParticipantStatus.ACTIVE:
                reply = t(language, "matches.gone")
            else:
                relay(
                    session,
                    suggestion=row,
                    sender=participant,
                    text=clean,
                    message_key=str(message.message_id),
                )
                reply = t(language, "matches.relay_sent", name=other.name or "")
    await send(update, reply)
