"""The account commands' turns: language, pause and resume, cancel, /mydata and deletion.

Each returns the language to answer in and what to say (a catalogue key, views, or data), decided and
recorded in one transaction (run with `bot.services.db.run`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlmodel import Session

from bot import conversation
from bot.conversation import Mode
from bot.services import participants
from bot.services.mydata import personal_data
from bot.services.participants import Person
from bot.services.profile import current_views
from bot.texts import t
from bot.views import View
from storage.suggestions import open_for

__all__ = ["cancel", "delete", "known", "language", "my_data", "pause", "resume", "switch_language"]

logger = logging.getLogger(__name__)

NOT_REGISTERED = "account.not_registered"


def language(session: Session, *, person: Person) -> str:
    """The language to answer this person in."""
    return participants.language_of(person, participants.find(session, person))


def known(session: Session, *, person: Person) -> tuple[str, bool]:
    """(language, whether the person consented before)."""
    participant = participants.find(session, person)
    return participants.language_of(person, participant), participant is not None


def switch_language(session: Session, *, person: Person, language: str) -> list[View] | None:
    """Store the new language; what to show again in it (None: not registered, nothing was stored)."""
    participant = participants.find(session, person)
    if participant is None:
        return None
    participant.language = language
    session.add(participant)
    return current_views(session, participant) if conversation.state_of(participant) is not None else []


def pause(session: Session, *, person: Person, now: dt.datetime) -> tuple[str, str]:
    """/pause: (language, what to say)."""
    participant = participants.find(session, person)
    lang = participants.language_of(person, participant)
    if participant is None or participant.id is None:
        return lang, NOT_REGISTERED
    paused = participants.pause(session, participant=participant, now=now)
    return lang, "account.paused" if paused else "account.already_paused"


def resume(session: Session, *, person: Person, now: dt.datetime) -> tuple[str, str]:
    """/resume: (language, what to say, with how many suggestions waited for them)."""
    participant = participants.find(session, person)
    lang = participants.language_of(person, participant)
    if participant is None or participant.id is None:
        return lang, t(lang, NOT_REGISTERED)
    if not participants.resume(session, participant=participant, now=now):
        return lang, t(lang, "account.not_paused")
    if participant.profile_completed_at is None:  # no suggestions before the profile is done
        return lang, t(lang, "account.resumed_unfinished")
    waiting = len(open_for(session, participant_id=participant.id, now=now))
    if waiting == 0:
        return lang, t(lang, "account.resumed")
    return lang, t(lang, "account.resumed_waiting", count=waiting)


_CANCELLED = {
    Mode.ONBOARDING: "onboarding.cancelled",
    Mode.RELAY: "matches.relay_cancelled",
}


def cancel(session: Session, *, person: Person) -> tuple[str, list[View]]:
    """/cancel: leave any half-finished step (what was answered stays); (language, what to show).

    Editing a field goes back to where the edit started: the onboarding summary of an unfinished profile
    (shown again, so its buttons still work) or the profile. At the onboarding summary nothing is half
    finished: the person stays there, and /start brings the summary back.
    """
    participant = participants.find(session, person)
    lang = participants.language_of(person, participant)
    state = conversation.state_of(participant) if participant is not None else None
    if participant is None or state is None:
        return lang, [(t(lang, "account.cancel_nothing"), [])]
    if state.mode is Mode.EDITING:
        completed = participant.profile_completed_at is not None
        conversation.enter(participant, conversation.back(state, completed=completed), fresh=True)
        session.add(participant)
        if completed:
            return lang, [(t(lang, "account.cancel_done"), [])]
        return lang, [(t(lang, "account.cancel_edit"), []), *current_views(session, participant)]
    if not state.at_summary:
        conversation.enter(participant, None, fresh=True)
        session.add(participant)
    return lang, [(t(lang, _CANCELLED.get(state.mode, "account.cancel_done")), [])]


def my_data(session: Session, *, person: Person) -> tuple[str, dict[str, Any] | None]:
    """(language, everything stored about the person), None for someone who never consented."""
    participant = participants.find(session, person)
    lang = participants.language_of(person, participant)
    if participant is None:
        return lang, None
    return lang, personal_data(session, participant=participant)


def delete(session: Session, *, person: Person, confirmed: bool) -> tuple[str, str, int | None]:
    """The answer to "delete everything?": (language, what to say, the participant to erase: the presser's
    own, never anyone else's; None when nothing is to be erased). The erasure runs after this transaction
    (`participants.erase`, which also scrubs the database files)."""
    participant = participants.find(session, person)
    lang = participants.language_of(person, participant)
    if participant is None or participant.id is None:
        return lang, NOT_REGISTERED, None
    if not confirmed:
        return lang, "account.delete_kept", None
    return lang, "account.deleted", participant.id
