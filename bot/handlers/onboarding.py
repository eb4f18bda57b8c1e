"""The profile questions (onboarding and editing): typed answers, answer buttons, and other messages.

What each answer means and what comes next is decided in `bot.services.profile` (with the field table and
the conversation's states); these handlers read the update, run that turn and send its reply.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import KoppelContext
from bot.handlers import suggestions
from bot.handlers.common import deliver, now, person_of, pressed
from bot.services import db, profile

__all__ = ["on_other_message", "on_text", "step_button", "theme_button"]

logger = logging.getLogger(__name__)


async def on_text(update: Update, context: KoppelContext) -> None:
    """Free text: the answer to the current question, a message to relay, or a friendly pointer."""
    message = update.effective_message
    person = person_of(update)
    if message is None or person is None:
        return
    text, message_id, moment = message.text or "", message.message_id, now(context)
    reply = await db.run(
        context.engine,
        lambda s: profile.typed(s, person=person, text=text, message_id=message_id, now=moment),
    )
    if reply.relay_to is not None:
        await suggestions.relay_text(update, context, suggestion_id=reply.relay_to, text=text)
        return
    await deliver(update, reply, context)


async def on_other_message(update: Update, context: KoppelContext) -> None:
    """A sticker, photo, voice note, location…: say what to do instead; nothing is stored."""
    person = person_of(update)
    if update.effective_message is None or person is None:
        return
    await deliver(
        update, await db.run(context.engine, lambda s: profile.other_message(s, person=person)), context
    )


async def step_button(update: Update, context: KoppelContext) -> None:
    """`ob:` buttons: the answer to the open question (an old question's button is answered as stale)."""
    press = await pressed(update, "ob")
    person = person_of(update)
    if press is None or person is None:
        return
    _, data = press
    moment = now(context)
    reply = await db.run(
        context.engine, lambda s: profile.step_button(s, person=person, data=data, now=moment)
    )
    await deliver(update, reply, context)
    if reply.matches:
        await suggestions.show_matches(update, context)


async def theme_button(update: Update, context: KoppelContext) -> None:
    """`th:<index>` toggles a common theme; `th:done` ends the themes question."""
    press = await pressed(update, "th")
    person = person_of(update)
    if press is None or person is None:
        return
    _, data = press
    moment = now(context)
    reply = await db.run(
        context.engine, lambda s: profile.theme_button(s, person=person, data=data, now=moment)
    )
    await deliver(update, reply, context)
