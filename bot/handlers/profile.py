"""`/profile`: the profile card with its completeness, and the buttons that edit a field or strike an item."""

from __future__ import annotations

from telegram import Update

from bot.callbacks import CallbackError
from bot.context import KoppelContext
from bot.handlers.common import answer_query, edit_or_send, language_of, now, participant_of, pressed, send
from bot.handlers.onboarding import current_views, refuse_stale, stale_answer
from bot.services.participants import ITEM_STEPS, STEPS, state_step
from bot.texts import t
from bot.views import View
from storage import session_scope
from storage.models import ProfileItem
from storage.participants import remove_item

__all__ = ["profile", "profile_button"]


async def profile(update: Update, context: KoppelContext) -> None:
    """Show the profile, how complete it is and what would improve the suggestions."""
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is None:
            await send(update, t(language, "account.not_registered"))
            return
        mode, _ = state_step(participant)
        unfinished = participant.profile_completed_at is None
        views = current_views(session, participant)
    if unfinished or mode in ("ob", "relay"):
        # Half-way through something: show where they are rather than a second flow.
        await send(update, t(language, "onboarding.continue_where"))
    for text, rows in views:
        await send(update, text, rows)


async def profile_button(update: Update, context: KoppelContext) -> None:
    """`pf:ed:<field>` edits a field, `pf:rm:<item>` strikes an item, `pf:back` returns to the profile.

    ✕ works only while the question of that item's kind is open: an old list's ✕ changes nothing.
    """
    press = await pressed(update, "pf")
    if press is None:
        return
    query, data = press
    action = data.args[0] if data.args else ""
    toast: str | None = None
    stale: tuple[str, list[View]] | None = None
    views: list[View] = []
    edit = False
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is None:
            await answer_query(query)
            await edit_or_send(update, t(language, "account.not_registered"))
            return
        mode, step = state_step(participant)
        if action == "ed" and len(data.args) > 1 and data.args[1] in STEPS:
            participant.conversation_state = f"ed:{data.args[1]}"
            participant.conversation_data = {}
            session.add(participant)
            views = current_views(
                session, participant, update.effective_user.full_name if update.effective_user else None
            )
        elif action == "rm" and mode in ("ob", "ed") and step in ITEM_STEPS:
            try:
                item_id = data.int_arg(1)
            except CallbackError:
                item_id = -1
            item = session.get(ProfileItem, item_id)
            if item is None or item.participant_id != participant.id:
                toast = t(language, "profile.item_gone")
            elif item.kind != ITEM_STEPS[step]:
                stale = stale_answer(session, participant)
            else:
                remove_item(session, participant=participant, item_id=item_id, now=now(context))
            views = current_views(session, participant)
            edit = True
        elif action == "back":
            if mode == "ed":
                participant.conversation_state = (
                    None if participant.profile_completed_at is not None else "ob:summary"
                )
                session.add(participant)
            views = current_views(session, participant)
            edit = True
        else:
            stale = stale_answer(session, participant)
    if stale is not None:
        await refuse_stale(update, *stale)
        return
    await answer_query(query, toast)
    if edit:
        await edit_or_send(update, *views[0])
        for text, rows in views[1:]:
            await send(update, text, rows)
    else:
        for text, rows in views:
            await send(update, text, rows)
