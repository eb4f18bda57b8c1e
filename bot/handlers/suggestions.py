"""`/matches`: suggestion cards and their answers (double opt-in), and relayed first messages.

The rules (who may answer or relay what) are checked in `bot.services.matches`; these handlers read the
update, run the turn, and reply after the transaction committed, so no database lock is held across a Bot
API call and what the person is told is already stored when they read it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from telegram import Update
from telegram.error import Forbidden

from bot.callbacks import CallbackError, unpack
from bot.context import KoppelContext
from bot.handlers.common import (
    answer_query,
    drop_buttons,
    edit_message,
    edit_or_send,
    now,
    person_of,
    refuse,
    refuse_unreadable,
    send,
    send_views,
)
from bot.handlers.errors import chat_blocked
from bot.services import db
from bot.services import matches as service
from bot.services.participants import RELAY_MAX
from bot.services.quiet import next_allowed_for
from bot.texts import Counted, language_for, t
from bot.views import relay_prompt

__all__ = ["matches", "relay_button", "relay_text", "show_matches", "suggestion_button"]

logger = logging.getLogger(__name__)


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
    shown = await db.run(
        context.engine,
        lambda s: service.cards(
            s, participant_id=participant_id, matcher=data.matcher, now=moment, expires_at=expires_at
        ),
        executor=data.match_executor,
    )
    language = shown.language
    if not shown.cards:  # nothing new to answer; whom they said yes to goes in the same message
        none = t(language, "matches.none") + "\n" + t(language, "matches.none_tip")
        await send(update, "\n\n".join([none, shown.yes_waiting]) if shown.yes_waiting else none)
        return
    # Each card's message is remembered, so an answer on any copy of a card updates all of them.
    sent: list[tuple[int, int]] = []
    for suggestion_id, (text, rows) in shown.cards:
        message = await send(update, text, rows)
        if message is not None:
            sent.append((suggestion_id, message.message_id))
    if shown.yes_waiting:  # after the cards: whom they said yes to and still wait for
        await send(update, shown.yes_waiting)
    chat = update.effective_chat
    if sent and chat is not None:
        await db.run(
            context.engine,
            lambda s: service.record_copies(
                s, participant_id=participant_id, chat_id=chat.id, copies=sent, now=moment
            ),
        )


async def matches(update: Update, context: KoppelContext) -> None:
    """`/matches`."""
    await show_matches(update, context)


async def suggestion_button(update: Update, context: KoppelContext) -> None:
    """`sg:<id>:y|n|l|x|u`: answer a suggestion (yes, no, later, never, undo), only one's own.

    The pressed card is edited in place to show the answer (undo: the open card again); nothing new is sent.
    """
    query = update.callback_query
    person = person_of(update)
    if query is None or person is None:
        return
    try:
        data = unpack(query.data, prefix="sg")
        suggestion_id = data.int_arg(0)
        code = data.args[1] if len(data.args) > 1 else ""
    except CallbackError:
        await refuse_unreadable(query)
        return
    if code not in service.ANSWERS and code != "u":
        await refuse_unreadable(query)
        return
    moment = now(context)
    message = query.message
    pressed = (message.chat.id, message.message_id) if message is not None else None
    quiet_until = next_allowed_for(moment, context.settings)  # for what this sends the other side
    answered = await db.run(
        context.engine,
        lambda s: service.answer(
            s,
            person=person,
            suggestion_id=suggestion_id,
            code=code,
            now=moment,
            pressed=pressed,
            quiet_until=quiet_until,
        ),
    )
    language = answered.language
    if answered.refusal is not None:
        await refuse(query, t(language, answered.refusal))
        return
    if answered.closed is not None:
        await refuse(
            query,
            t(language, answered.closed, period=Counted("days", context.settings.suggestion_expiry_days)),
        )
        await drop_buttons(update)
        return
    await answer_query(query, t(language, answered.popup) if answered.popup else None)
    if answered.card is not None:
        await edit_or_send(update, *answered.card)
        for chat_id, message_id, copy in answered.copies:  # every other live copy follows the answer
            try:
                await edit_message(context.bot, chat_id, message_id, *copy)
            except Forbidden:  # a copy in the other side's chat, who blocked the bot: they are blocked,
                await chat_blocked(context, chat_id, what="an edited card copy")  # not the one who pressed


_WEEK = re.compile(r"^\d{4}-W\d{2}$")


async def digest_button(update: Update, context: KoppelContext) -> None:
    """`dg:o:<suggestion>:<week>` opens a card in the digest message itself; `dg:b:<week>` goes back."""
    query = update.callback_query
    person = person_of(update)
    message = query.message if query is not None else None
    if query is None or person is None or message is None:
        return
    pressed = (message.chat.id, message.message_id)
    moment = now(context)
    try:
        data = unpack(query.data, prefix="dg")
        action = data.args[0] if data.args else ""
        if action == "o" and len(data.args) == 3 and _WEEK.match(data.args[2]):
            suggestion_id, week = data.int_arg(1), data.args[2]
            turn = await db.run(
                context.engine,
                lambda s: service.open_digest_card(
                    s, person=person, suggestion_id=suggestion_id, week=week, pressed=pressed, now=moment
                ),
            )
        elif action == "b" and len(data.args) == 2 and _WEEK.match(data.args[1]):
            week = data.args[1]
            turn = await db.run(
                context.engine,
                lambda s: service.digest_list(s, person=person, week=week, pressed=pressed, now=moment),
            )
        else:
            raise CallbackError("unknown digest button")
    except CallbackError:
        await answer_query(query, t(language_for(person.language_code), "matches.not_yours"))
        return
    if turn.refusal is not None or turn.view is None:
        await answer_query(query, t(turn.language, turn.refusal or "matches.not_yours"))
        return
    await answer_query(query)
    await edit_or_send(update, *turn.view)


async def relay_button(update: Update, context: KoppelContext) -> None:
    """`relay:<suggestion>` opens a relay to the other side (messages typed are passed on until it is
    stopped); `relay:<suggestion>:stop` stops it."""
    query = update.callback_query
    person = person_of(update)
    if query is None or person is None:
        return
    try:
        data = unpack(query.data, prefix="relay")
        suggestion_id = data.int_arg(0)
    except CallbackError:
        await refuse_unreadable(query)
        return
    if len(data.args) > 1 and data.args[1] == "stop":
        language, said = await db.run(
            context.engine, lambda s: service.stop_relay(s, person=person, suggestion_id=suggestion_id)
        )
        if said is None:  # that relay is not open (any more)
            await answer_query(query, t(language, "matches.relay_not_open"))
            await drop_buttons(update)
            return
        await answer_query(query)
        await drop_buttons(update)
        await send(update, said)
        return
    language, key, name = await db.run(
        context.engine, lambda s: service.start_relay(s, person=person, suggestion_id=suggestion_id)
    )
    if key != "matches.relay_ask":  # not theirs, the other side left, or cannot be reached
        await refuse(query, t(language, key, name=name))
        return
    await answer_query(query)
    await send(update, *relay_prompt(language, suggestion_id=suggestion_id, name=name, limit=RELAY_MAX))


async def relay_text(update: Update, context: KoppelContext, *, suggestion_id: int, text: str) -> None:
    """A message typed while a relay is open: queue it for the other side and confirm (with "Stoppen")."""
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
        await send(update, *reply)
