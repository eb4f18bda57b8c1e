"""`/start` (also with an invitation payload) and the consent question: nothing is stored before consent.

The invitation token travels inside the consent button's callback data (`consent:yes:<lang>:<token>`), so
not even the Telegram id is written until the person presses "Akkoord".
"""

from __future__ import annotations

import logging

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import CallbackError, pack, unpack
from bot.context import KoppelContext
from bot.handlers import onboarding
from bot.handlers.common import (
    answer_query,
    edit_or_send,
    language_of,
    now,
    participant_of,
    send,
    send_views,
)
from bot.services.participants import join_by_invitation, register, state_step
from bot.texts import LANGUAGES, language_for, t
from storage import session_scope
from storage.invitations import RedemptionProblem
from storage.models import Participant, ParticipantStatus
from storage.participants import set_status

__all__ = ["build_consent_keyboard", "consent", "start", "welcome"]

logger = logging.getLogger(__name__)


def build_consent_keyboard(language: str, token: str | None = None) -> InlineKeyboardMarkup:
    """The two answers to the consent question (the invitation token rides along, unstored)."""
    yes = pack("consent", "yes", language, token) if token else pack("consent", "yes", language)
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(language, "start.consent_button"), callback_data=yes)],
            [InlineKeyboardButton(t(language, "start.decline_button"), callback_data=pack("consent", "no"))],
        ]
    )


def _usable_token(payload: str | None, language: str) -> str | None:
    if not payload:
        return None
    try:
        pack("consent", "yes", language, payload)
    except ValueError:
        return None
    return payload


async def welcome(update: Update, language: str, token: str | None = None) -> None:
    """The privacy statement and the consent question."""
    if update.effective_chat is None:
        return
    await update.effective_chat.send_message(
        t(language, "start.welcome"), reply_markup=build_consent_keyboard(language, token)
    )


async def start(update: Update, context: KoppelContext) -> None:
    """Greet a new person and ask for consent; someone known continues where they were or is welcomed back."""
    if update.effective_message is None or update.effective_user is None:
        return
    payload = context.args[0] if context.args else None
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        if participant is not None:
            language = language_of(update, participant)
            invite_line = _known_invitation(session, participant, payload, context)
            if participant.status == ParticipantStatus.BLOCKED:
                # A /start after a 403 means they unblocked the bot: they take part again.
                set_status(
                    session, participant=participant, status=ParticipantStatus.ACTIVE, now=now(context)
                )
            finished = participant.profile_completed_at is not None
            busy = state_step(participant)[0] is not None
            paused = participant.status == ParticipantStatus.PAUSED
            name = participant.name or update.effective_user.first_name
            views = (
                onboarding.current_views(session, participant)
                if finished
                else onboarding.continue_views(session, participant, update.effective_user.full_name)
            )
            participant.last_seen_at = now(context)
            session.add(participant)
    if participant is not None:
        if invite_line is not None:
            await send(update, invite_line)
        if not finished:  # half-way through onboarding: the first open question
            await send(update, t(language, "onboarding.continue_where"))
            await send_views(update, views)
            return
        await send(update, t(language, "start.welcome_back", name=name))
        if paused:
            await send(update, t(language, "start.welcome_back_paused"))
        if busy:  # in the middle of editing a field or typing a message to pass on
            await send(update, t(language, "onboarding.continue_where"))
            await send_views(update, views)
        return
    language = language_for(update.effective_user.language_code)
    token = _usable_token(payload, language)
    if payload and token is None:
        await send(update, t(language, "onboarding.invite_unknown"))
    await welcome(update, language, token)


def _known_invitation(
    session: Session, participant: Participant, payload: str | None, context: KoppelContext
) -> str | None:
    """`/start <token>` from someone already registered: join the event; the line that says so, or None."""
    if not payload:
        return None
    language = participant.language
    if _usable_token(payload, language) is None:
        return t(language, "start.invite_known")
    joined = join_by_invitation(session, participant=participant, token=payload, now=now(context))
    if joined.invited and joined.event_name:
        return t(language, "start.invite_joined", event=joined.event_name)
    return t(language, "start.invite_known")


async def consent(update: Update, context: KoppelContext) -> None:
    """The answer to the consent question: create the participant, or store nothing at all."""
    query = update.callback_query
    if query is None or update.effective_user is None or update.effective_chat is None:
        return
    await answer_query(query)
    try:
        data = unpack(query.data, prefix="consent")
    except CallbackError:
        return
    answer = data.args[0] if data.args else ""
    language = data.args[1] if len(data.args) > 1 and data.args[1] in LANGUAGES else None
    language = language or language_for(update.effective_user.language_code)
    token = data.args[2] if len(data.args) > 2 else None
    if answer != "yes":
        with session_scope(context.engine) as session:
            known = participant_of(session, update) is not None
        if not known:
            await edit_or_send(update, t(language, "onboarding.consent_declined"))
            return
        answer = "yes"  # an old "no" button of someone who consented since: just continue
    user = update.effective_user
    with session_scope(context.engine) as session:
        registration = register(
            session,
            telegram_id=user.id,
            chat_id=update.effective_chat.id,
            username=user.username,
            language=language,
            token=token,
            now=now(context),
        )
        participant = registration.participant
        language = participant.language
        views = onboarding.continue_views(session, participant, user.full_name)
    logger.info("participant %s consented (new=%s)", participant.id, registration.created)
    await edit_or_send(update, t(language, "start.welcome"))
    if not registration.created:
        await send(update, t(language, "onboarding.consent_again"))
    elif registration.problem is not None:
        key = {
            RedemptionProblem.EXPIRED: "onboarding.invite_expired",
            RedemptionProblem.USED: "onboarding.invite_used",
            RedemptionProblem.NOT_YOURS: "onboarding.invite_not_yours",
        }.get(registration.problem, "onboarding.invite_unknown")
        await send(update, t(language, key))
    elif registration.invited:
        if registration.event_name:
            await send(update, t(language, "onboarding.invite_ok", event=registration.event_name))
        else:
            await send(update, t(language, "onboarding.invite_ok_plain"))
    for text, rows in views:
        await send(update, text, rows)
