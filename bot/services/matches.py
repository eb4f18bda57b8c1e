"""The /matches turns: suggestion cards, their answers (double opt-in), and relayed first messages.

Every press is checked here, on the server: only a side of the suggestion may answer it, only an introduced
side may relay. A decline is never shown to the other side. Each function runs in one transaction
(`bot.services.db.run`) and returns what the handler says; nothing here talks to Telegram.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlmodel import Session

from bot import conversation
from bot.fields import RELAY_MAX, InputProblem, clean_text
from bot.services import introductions, participants
from bot.services import matchmaking as mm
from bot.services.participants import Person
from bot.services.profile import resumed_views
from bot.texts import t
from bot.views import View, suggestion_card
from storage import participants as participants_store
from storage.models import AnswerValue, Participant, ParticipantStatus, SuggestionStatus
from storage.suggestions import get_suggestion

__all__ = ["CARDS", "Answered", "Before", "answer", "before_cards", "cards", "relay_message", "start_relay"]

logger = logging.getLogger(__name__)

CARDS = 3
ANSWERS = {"y": AnswerValue.YES, "n": AnswerValue.NO, "l": AnswerValue.LATER, "x": AnswerValue.NEVER}


@dataclass(frozen=True)
class Before:
    """Whether /matches can show cards: `participant_id` set, or the views that say why not."""

    language: str
    participant_id: int | None = None
    views: tuple[View, ...] = ()
    registered: bool = True


def before_cards(session: Session, *, person: Person) -> Before:
    """Who asks for /matches: unknown, paused, with an unfinished profile (its open question), or ready."""
    participant = participants.find(session, person)
    language = participants.language_of(person, participant)
    if participant is None or participant.id is None:
        return Before(language, registered=False)
    if participant.status == ParticipantStatus.PAUSED:
        return Before(language, views=((t(language, "matches.paused"), []),))
    if participant.profile_completed_at is None:
        views = resumed_views(session, participant)
        return Before(language, views=((t(language, "onboarding.finish_profile_first"), []), *views))
    return Before(language, participant.id)


def cards(
    session: Session,
    *,
    participant_id: int,
    matcher: mm.MatcherCache,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> tuple[str, list[View]]:
    """Open suggestions for this person (topped up from the matcher), rendered; marks them shown."""
    participant = session.get(Participant, participant_id)
    assert participant is not None
    language = participant.language
    rows = mm.suggestions_for(session, participant_id=participant_id, limit=CARDS, now=now)
    if len(rows) < CARDS:
        mm.find_new_suggestions(
            session,
            participant_id=participant_id,
            cache=matcher,
            limit=CARDS - len(rows),
            now=now,
            expires_at=expires_at,
        )
        rows = mm.suggestions_for(session, participant_id=participant_id, limit=CARDS, now=now)
    others = participants_store.by_ids(session, ids=[mm.other_side(row, participant_id) for row in rows])
    views: list[View] = []
    for row in rows:
        assert row.id is not None
        other = others.get(mm.other_side(row, participant_id))
        if other is None:
            continue
        view = mm.matching_suggestion(row, participant_id)
        views.append(suggestion_card(language, suggestion_id=row.id, view=view, other=other))
        mm.mark_shown(session, suggestion=row, participant_id=participant_id, now=now)
    return language, views


@dataclass(frozen=True)
class Answered:
    """What answering a card did: `refusal` or `closed` (text keys), else the answer and the other's name."""

    language: str
    refusal: str | None = None
    closed: str | None = None
    name: str = "…"
    introduced: bool = False


def answer(session: Session, *, person: Person, suggestion_id: int, code: str, now: dt.datetime) -> Answered:
    """`sg:<id>:y|n|l|x|u`: one's own answer to a suggestion (undo reopens it, as "later")."""
    participant = participants.find(session, person)
    language = participants.language_of(person, participant)
    if participant is None or participant.id is None:
        return Answered(language, refusal="matches.not_yours")
    try:
        outcome = introductions.answer(
            session,
            suggestion_id=suggestion_id,
            participant_id=participant.id,
            answer=ANSWERS.get(code, AnswerValue.LATER),
            now=now,
        )
    except (mm.UnknownSuggestion, mm.NotASide):
        logger.warning("refused a suggestion button from someone who is not a side")
        return Answered(language, refusal="matches.not_yours")
    except mm.SuggestionClosed:
        row = get_suggestion(session, suggestion_id=suggestion_id)
        other = session.get(Participant, mm.other_side(row, participant.id)) if row else None
        gone = other is None or other.status == ParticipantStatus.DELETED
        expired = row is not None and row.status == SuggestionStatus.EXPIRED
        return Answered(
            language, closed="matches.gone" if gone else "matches.expired" if expired else "matches.stale"
        )
    other = session.get(Participant, mm.other_side(outcome.suggestion, participant.id))
    name = other.name if other is not None and other.name else "…"
    introduced = outcome.suggestion.status == SuggestionStatus.INTRODUCED
    return Answered(language, name=name, introduced=introduced)


def start_relay(session: Session, *, person: Person, suggestion_id: int) -> tuple[str, str, str]:
    """`relay:<suggestion>`: an introduced side wants to pass a message on; (language, text key, name)."""
    participant = participants.find(session, person)
    language = participants.language_of(person, participant)
    row = get_suggestion(session, suggestion_id=suggestion_id)
    if participant is None or participant.id is None or row is None:
        return language, "matches.not_yours", ""
    try:
        other = session.get(Participant, mm.other_side(row, participant.id))
    except mm.NotASide:
        logger.warning("refused a relay button from someone who is not a side")
        return language, "matches.not_yours", ""
    if row.status != SuggestionStatus.INTRODUCED:
        return language, "matches.not_yours", ""
    if other is None or other.status == ParticipantStatus.DELETED:
        return language, "matches.gone", ""
    conversation.enter(participant, conversation.relaying(suggestion_id), fresh=True)
    session.add(participant)
    return language, "matches.relay_ask", other.name or ""


def relay_message(
    session: Session, *, person: Person, suggestion_id: int, text: str, message_key: str
) -> str | None:
    """The message typed after `relay:<id>`: queue it for the other side; the reply (None: unknown person)."""
    participant = participants.find(session, person)
    if participant is None or participant.id is None:
        return None
    language = participants.language_of(person, participant)
    row = get_suggestion(session, suggestion_id=suggestion_id)
    try:
        other = session.get(Participant, mm.other_side(row, participant.id)) if row else None
    except mm.NotASide:
        other = None
    try:
        clean = clean_text(text, limit=RELAY_MAX)
    except InputProblem as problem:
        return t(language, problem.key, **problem.values)  # still relaying: they can try again
    conversation.enter(participant, None)
    session.add(participant)
    if row is not None and other is not None and other.status == ParticipantStatus.BLOCKED:
        return t(language, "matches.relay_undelivered", name=other.name or "")
    if row is None or other is None or other.status != ParticipantStatus.ACTIVE:
        return t(language, "matches.gone")
    introductions.relay(session, suggestion=row, sender=participant, text=clean, message_key=message_key)
    return t(language, "matches.relay_sent", name=other.name or "")
