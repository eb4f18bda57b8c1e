"""`/matches`: suggestion cards and their answers (double opt-in), and relayed first messages.

The rules (who may answer or relay what) are checked in `bot.services.matches`; these handlers read the
update, run the turn, and reply after the transaction committed, so no database lock is held across a Bot
API call and what the person is told is already stored when they read it.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import Update

from bot.callbacks import CallbackError, pack, unpack
from bot.context import KoppelContext
from bot.handlers.common import answer_query, drop_buttons, now, person_of, send, send_views
from bot.keyboards import Button, Keyboard
from bot.services import db
from bot.services import matches as service
from bot.services.participants import RELAY_MAX
from bot.texts import Counted, t

__all__ = ["matches", "relay_button", "relay_text", "show_matches", "suggestion_button"]

logger = logging.getLogger(__name__)

_ANSWERED = {
    "y": "matches.answered_yes",
    "n": "matches.answered_no",
    "x": "matches.answered_never",
    "l": "matches.answered_later",
}


async def show_matches(update: Update, context: KoppelContext) -> None:
    """Send the person's current suggestions as cards (or say there are none and what would help)."""
    person = person_of(update)
    if person is None:
        return
    before = await db.run(context.engine, lambda s: service.before_cards(s, person=person))
    if not before.registered:
        await send(update, t(before.language, "account.not_registered"))
        return
    participant_id = before.participant_id
    if participant_id is None:
        await send_views(update, list(before.views))
        return
    data = context.bot_data
    moment = now(context)
    expires_at = moment + dt.timedelta(days=context.settings.suggestion_expiry_days)
    # The matcher may need a rebuild (seconds at 10,000 people): on the matcher's own worker thread, so the
    # event loop stays free and rebuilds never run twice at once.
    language, views = await db.run(
        context.engine,
        lambda s: service.cards(
            s, participant_id=participant_id, matcher=data.matcher, now=moment, expires_at=expires_at
        ),
        executor=data.match_executor,
    )
    if not views:
        await send(update, t(language, "matches.none") + "\n" + t(language, "matches.none_tip"))
        return
    await send_views(update, views)


async def matches(update: Update, context: KoppelContext) -> None:
    """`/matches`."""
    await show_matches(update, context)


def _undo_keyboard(language: str, suggestion_id: int) -> Keyboard:
    return [[Button(t(language, "matches.undo_button"), pack("sg", suggestion_id, "u"))]]


async def suggestion_button(update: Update, context: KoppelContext) -> None:
    """`sg:<id>:y|n|l|x|u`: answer a suggestion (yes, no, later, never, undo), only one's own."""
    query = update.callback_query
    person = person_of(update)
    if query is None or person is None:
        return
    await answer_query(query)
    try:
        data = unpack(query.data, prefix="sg")
        suggestion_id = data.int_arg(0)
        code = data.args[1] if len(data.args) > 1 else ""
    except CallbackError:
        return
    if code not in service.ANSWERS and code != "u":
        return
    moment = now(context)
    answered = await db.run(
        context.engine,
        lambda s: service.answer(s, person=person, suggestion_id=suggestion_id, code=code, now=moment),
    )
    language = answered.language
    if answered.refusal is not None:
        await send(update, t(language, answered.refusal))
        return
    if answered.closed is not None:
        await drop_buttons(update)
        await send(
            update,
            t(language, answered.closed, period=Counted("days", context.settings.suggestion_expiry_days)),
        )
        return
    rows: Keyboard = []
    if answered.introduced:
        text = t(language, "matches.answered_introduced")
    elif code == "u":
        text = t(language, "matches.undone")
    else:
        text = t(language, _ANSWERED[code], name=answered.name)
        rows = _undo_keyboard(language, suggestion_id) if code in ("n", "x") else []
    await drop_buttons(update)
    await send(update, text, rows)
    if code == "u":
        await show_matches(update, context)


async def relay_button(update: Update, context: KoppelContext) -> None:
    """`relay:<suggestion>`: an introduced side wants to pass a message to the other; ask for the text."""
    query = update.callback_query
    person = person_of(update)
    if query is None or person is None:
        return
    await answer_query(query)
    try:
        suggestion_id = unpack(query.data, prefix="relay").int_arg(0)
    except CallbackError:
        return
    language, key, name = await db.run(
        context.engine, lambda s: service.start_relay(s, person=person, suggestion_id=suggestion_id)
    )
    await send(update, t(language, key, name=name, length=Counted("characters", RELAY_MAX)))


async def relay_text(update: Update, context: KoppelContext, *, suggestion_id: int, text: str) -> None:
    """The message typed after `relay:<id>`: queue it for the other side and confirm."""
    message = update.effective_message
    person = person_of(update)
    if message is None or person is None:
        return
    key = str(message.message_id)
    reply = await db.run(
        context.engine,
        lambda s: service.relay_message(
            s, person=person, suggestion_id=suggestion_id, text=text, message_key=key
        ),
    )
    if reply is not None:
        await send(update, reply)
