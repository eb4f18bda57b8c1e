"""`/profile`: the profile card with its completeness, and the buttons that edit a field or strike an item."""

from __future__ import annotations

from telegram import Update

from bot.callbacks import CallbackError, unpack
from bot.context import KoppelContext
from bot.handlers.common import answer_query, edit_or_send, language_of, now, participant_of, send
from bot.handlers.onboarding import current_views
from bot.services.participants import STEPS, state_step
from bot.texts import t
from storage import session_scope
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
    """`pf:ed:<field>` edits a field, `pf:rm:<item>` strikes an item, `pf:back` returns to the profile."""
    query = update.callback_query
    if query is None:
        return
    await answer_query(query)
    try:
        data = unpack(query.data, prefix="pf")
    except CallbackError:
        return
    action = data.args[0] if data.args else ""
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is None:
            await edit_or_send(update, t(language, "account.not_registered"))
            return
        if action == "ed" and len(data.args) > 1 and data.args[1] in STEPS:
            participant.conversation_state = f"ed:{data.args[1]}"
            participant.conversation_data = {}
            session.add(participant)
            views = current_views(
                session, participant, update.effective_user.full_name if update.effective_user else None
            )
            edit = False
        elif action == "rm":
            try:
                item_id = data.int_arg(1)
            except CallbackError:
                return
            removed = remove_item(session, participant=participant, item_id=item_id, now=now(context))
            if removed is None:
                await answer_query(query, t(language, "profile.item_gone"))
            views = current_views(session, participant)
            edit = True
        elif action == "back":
            mode, _ = state_step(participant)
            if mode == "ed":
                participant.conversation_state = (
                    None if participant.profile_completed_at is not None else "ob:summary"
                )
                session.add(participant)
            views = current_views(session, participant)
            edit = True
        else:
            await send(update, t(language, "account.old_button"))
            return
    if edit:
        await edit_or_send(update, *views[0])
        for text, rows in views[1:]:
            await send(update, text, rows)
    else:
        for text, rows in views:
            await send(update, text, rows)
