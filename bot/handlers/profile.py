"""`/profile`: the profile card with its completeness, and the buttons that edit a field or strike an item."""

from __future__ import annotations

from telegram import Update

from bot.context import KoppelContext
from bot.handlers.common import deliver, now, person_of, pressed
from bot.services import db
from bot.services import profile as service

__all__ = ["profile", "profile_button"]


async def profile(update: Update, context: KoppelContext) -> None:
    """Show the profile, how complete it is and what would improve the suggestions."""
    person = person_of(update)
    if person is None:
        return
    await deliver(
        update, await db.run(context.engine, lambda s: service.profile_shown(s, person=person)), context
    )


async def profile_button(update: Update, context: KoppelContext) -> None:
    """`pf:ed:<field>` edits a field, `pf:rm:<item>` strikes an item, `pf:back` returns to the profile."""
    press = await pressed(update, "pf")
    person = person_of(update)
    if press is None or person is None:
        return
    _, data = press
    moment = now(context)
    reply = await db.run(
        context.engine, lambda s: service.profile_button(s, person=person, data=data, now=moment)
    )
    await deliver(update, reply, context)
