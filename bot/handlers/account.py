"""The person's own account: /help, /language, /pause, /resume, /cancel, /privacy, /mydata, /delete, and the
friendly answers to unknown commands and old buttons."""

from __future__ import annotations

import io
import json
import logging

from telegram import Update

from bot.callbacks import CallbackError, pack, unpack
from bot.commands import help_text
from bot.context import KoppelContext
from bot.handlers import start as start_handlers
from bot.handlers.common import (
    answer_query,
    drop_buttons,
    edit_or_send,
    language_of,
    now,
    participant_of,
    send,
)
from bot.handlers.onboarding import current_views
from bot.keyboards import Button
from bot.services.participants import export_data, state_step
from bot.texts import LANGUAGES, t
from storage import session_scope
from storage.models import ParticipantStatus
from storage.participants import set_status
from storage.privacy import erase_participant
from storage.suggestions import withdraw_pending

__all__ = [
    "cancel",
    "delete",
    "delete_button",
    "help_command",
    "language",
    "language_button",
    "mydata",
    "pause",
    "privacy",
    "resume",
    "unknown_button",
    "unknown_command",
]

logger = logging.getLogger(__name__)

_LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


async def help_command(update: Update, context: KoppelContext) -> None:
    """Every command with one line each."""
    with session_scope(context.engine) as session:
        language = language_of(update, participant_of(session, update))
    await send(update, help_text(language))


async def language(update: Update, context: KoppelContext) -> None:
    """Offer Nederlands and English."""
    with session_scope(context.engine) as session:
        current = language_of(update, participant_of(session, update))
    rows = [[Button(_LANGUAGE_NAMES[code], pack("lang", code)) for code in LANGUAGES]]
    await send(update, t(current, "account.language_ask"), rows)


async def language_button(update: Update, context: KoppelContext) -> None:
    """`lang:<code>`: switch the language (before consent: only this conversation, nothing stored)."""
    query = update.callback_query
    if query is None:
        return
    await answer_query(query)
    try:
        code = unpack(query.data, prefix="lang").args[0]
    except (CallbackError, IndexError):
        return
    if code not in LANGUAGES:
        return
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        if participant is not None:
            participant.language = code
            session.add(participant)
            views = current_views(session, participant) if state_step(participant)[0] else []
    await drop_buttons(update)
    if participant is None:
        await start_handlers.welcome(update, code)
        return
    await send(update, t(code, "account.language_set"))
    for text, rows in views:
        await send(update, text, rows)


async def pause(update: Update, context: KoppelContext) -> None:
    """No suggestions or nudges until /resume; open suggestions are withdrawn."""
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        lang = language_of(update, participant)
        if participant is None or participant.id is None:
            await send(update, t(lang, "account.not_registered"))
            return
        if participant.status == ParticipantStatus.PAUSED:
            key = "account.already_paused"
        else:
            set_status(session, participant=participant, status=ParticipantStatus.PAUSED, now=now(context))
            withdraw_pending(session, participant_id=participant.id, now=now(context))
            key = "account.paused"
    await send(update, t(lang, key))


async def resume(update: Update, context: KoppelContext) -> None:
    """Take part again after /pause."""
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        lang = language_of(update, participant)
        if participant is None:
            await send(update, t(lang, "account.not_registered"))
            return
        if participant.status == ParticipantStatus.PAUSED:
            set_status(session, participant=participant, status=ParticipantStatus.ACTIVE, now=now(context))
            key = "account.resumed"
        else:
            key = "account.not_paused"
    await send(update, t(lang, key))


async def cancel(update: Update, context: KoppelContext) -> None:
    """Leave any half-finished step (what was already answered stays)."""
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        lang = language_of(update, participant)
        mode = state_step(participant)[0] if participant is not None else None
        if participant is not None and mode is not None:
            participant.conversation_state = None
            participant.conversation_data = {}
            session.add(participant)
    if mode is None:
        await send(update, t(lang, "account.cancel_nothing"))
    elif mode == "ob":
        await send(update, t(lang, "onboarding.cancelled"))
    elif mode == "relay":
        await send(update, t(lang, "matches.relay_cancelled"))
    else:
        await send(update, t(lang, "account.cancel_done"))


async def privacy(update: Update, context: KoppelContext) -> None:
    """What is stored, why, for how long, and who sees it."""
    with session_scope(context.engine) as session:
        lang = language_of(update, participant_of(session, update))
    await send(update, t(lang, "account.privacy"))


async def mydata(update: Update, context: KoppelContext) -> None:
    """Everything stored about the person, as a JSON file."""
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        lang = language_of(update, participant)
        data = export_data(session, participant=participant) if participant is not None else None
    if data is None or update.effective_chat is None:
        await send(update, t(lang, "account.not_registered"))
        return
    document = io.BytesIO(json.dumps(data, ensure_ascii=False, indent=2).encode())
    await update.effective_chat.send_document(
        document, filename="koppelbot-mydata.json", caption=t(lang, "account.mydata_caption")
    )


async def delete(update: Update, context: KoppelContext) -> None:
    """Ask for confirmation before erasing everything."""
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        lang = language_of(update, participant)
    if participant is None:
        await send(update, t(lang, "account.not_registered"))
        return
    rows = [
        [Button(t(lang, "account.delete_yes"), pack("del", "yes"))],
        [Button(t(lang, "account.delete_no"), pack("del", "no"))],
    ]
    await send(update, t(lang, "account.delete_ask"), rows)


async def delete_button(update: Update, context: KoppelContext) -> None:
    """`del:yes` erases the presser's own data (never anyone else's); `del:no` keeps it."""
    query = update.callback_query
    if query is None:
        return
    await answer_query(query)
    try:
        answer = unpack(query.data, prefix="del").args[0]
    except (CallbackError, IndexError):
        return
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        lang = language_of(update, participant)
        if participant is None or participant.id is None:
            await edit_or_send(update, t(lang, "account.not_registered"))
            return
        if answer == "yes":
            erase_participant(session, participant_id=participant.id, now=now(context))
            logger.info("participant %s erased their data", participant.id)
    await edit_or_send(update, t(lang, "account.deleted" if answer == "yes" else "account.delete_kept"))


async def unknown_command(update: Update, context: KoppelContext) -> None:
    """A command the bot does not know: point to /help."""
    with session_scope(context.engine) as session:
        lang = language_of(update, participant_of(session, update))
    await send(update, t(lang, "account.unknown_command"))


async def unknown_button(update: Update, context: KoppelContext) -> None:
    """A button from an old version or forged data: say so kindly."""
    query = update.callback_query
    if query is None:
        return
    with session_scope(context.engine) as session:
        lang = language_of(update, participant_of(session, update))
    await answer_query(query, t(lang, "account.old_button"), alert=True)
