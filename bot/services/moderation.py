"""The organisers' moderation: look a participant up, pause or resume them, correct a field, erase them,
and propose two people to each other (`/introduce`, through the same double opt-in).

Plain functions over a session (run them with `bot.services.db.run`). Every one takes the organiser's
scope and refuses a participant outside it exactly like one that does not exist: None, so a forged or
stale button is answered as stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.fields import FieldKind, by_name
from bot.keyboards import to_dict
from bot.moderation_views import CORRECTABLE, ParticipantCard
from bot.services import participants as participant_service
from bot.services.matchmaking import matching_suggestion, suggested_by
from bot.services.quiet import next_allowed_for
from bot.settings import Settings
from bot.texts import Markup, t
from bot.views import suggestion_card
from storage import suggestions as suggestion_store
from storage.models import ItemKind, Participant, ParticipantStatus
from storage.moderation import find_participants, participant_in_scope
from storage.outbox import Message, enqueue
from storage.participants import items_of
from storage.scope import Scope

__all__ = [
    "CORRECTABLE",
    "IntroduceOutcome",
    "ParticipantCard",
    "Scope",
    "card",
    "correct_choice",
    "correct_text",
    "erase",
    "find",
    "introduce",
    "set_paused",
]


def _card(session: Session, participant: Participant) -> ParticipantCard:
    assert participant.id is not None
    items = items_of(session, participant_id=participant.id)

    def texts(kind: ItemKind) -> tuple[str, ...]:
        return tuple(item.text for item in items if item.kind == kind)

    return ParticipantCard(
        participant_id=participant.id,
        name=participant.name or "",
        organisation=participant.organisation or "",
        role=participant.role or "",
        region=participant.region or "",
        reach=participant.reach,
        status=participant.status,
        username=participant.username,
        offers=texts(ItemKind.OFFER),
        needs=texts(ItemKind.NEED),
        themes=texts(ItemKind.THEME),
        created_at=participant.created_at,
        last_seen_at=participant.last_seen_at,
    )


def find(session: Session, *, query: str, scope: Scope, limit: int = 8) -> list[ParticipantCard]:
    """Participants matching `@username`, a number, or part of a name or organisation (at most `limit`)."""
    return [_card(session, p) for p in find_participants(session, text=query, scope=scope, limit=limit)]


def card(session: Session, *, participant_id: int, scope: Scope) -> ParticipantCard | None:
    """The participant's card, or None when they are gone or outside the scope."""
    participant = participant_in_scope(session, participant_id=participant_id, scope=scope)
    return _card(session, participant) if participant is not None else None


def _contact(language: str, settings: Settings) -> Markup:
    """Whom the person can ask about an organiser's step: PRIVACY_CONTACT, else the organisers."""
    if settings.privacy_contact:
        return Markup(t(language, "moderation.notice_contact", contact=settings.privacy_contact))
    return Markup(t(language, "moderation.notice_contact_none"))


def _notice(
    participant: Participant, *, key: str, dedupe_key: str, now: dt.datetime, settings: Settings
) -> Message:
    """What the person hears of an organiser's pause or erasure: an outbox message after quiet hours."""
    assert participant.chat_id is not None
    language = participant.language
    not_before = next_allowed_for(now, settings)
    return {
        "dedupe_key": dedupe_key,
        "chat_id": participant.chat_id,
        "participant_id": participant.id,
        "kind": "moderation",
        "text": t(language, key, contact=_contact(language, settings)),
        "not_before": not_before if not_before > now else None,
    }


def set_paused(
    session: Session, *, participant_id: int, scope: Scope, paused: bool, now: dt.datetime, settings: Settings
) -> ParticipantCard | None:
    """Pause (no suggestions; the person is told, through the outbox) or let them take part again; None when
    out of reach."""
    participant = participant_in_scope(session, participant_id=participant_id, scope=scope)
    if participant is None:
        return None
    if paused:
        if participant_service.pause(session, participant=participant, now=now) and participant.chat_id:
            key = f"paused:{participant.id}:{now.isoformat()}"
            enqueue(
                session,
                **_notice(
                    participant, key="moderation.paused_notice", dedupe_key=key, now=now, settings=settings
                ),
            )
    else:
        participant_service.resume(session, participant=participant, now=now)
    return _card(session, participant)


def correct_choice(
    session: Session, *, participant_id: int, scope: Scope, field: str, code: str, now: dt.datetime
) -> ParticipantCard | None:
    """Set role, region or reach to one of its codes; None for a participant, field or code not on offer."""
    question = by_name(field)
    participant = participant_in_scope(session, participant_id=participant_id, scope=scope)
    if participant is None or question is None or field not in CORRECTABLE:
        return None
    if field == "region" and scope.region is not None and code != scope.region:
        return None  # a regional organiser cannot move someone out of their own reach
    if not participant_service.choose(
        session, participant=participant, question=question, code=code, now=now
    ):
        return None
    return _card(session, participant)


def correct_text(
    session: Session, *, participant_id: int, scope: Scope, field: str, text: str, now: dt.datetime
) -> ParticipantCard | None:
    """Set name or organisation (the chat's rules: `InputProblem` when the text cannot be used)."""
    question = by_name(field)
    participant = participant_in_scope(session, participant_id=participant_id, scope=scope)
    if participant is None or question is None or question.kind is not FieldKind.TEXT:
        return None
    participant_service.set_text_field(
        session, participant=participant, question=question, text=text, now=now
    )
    return _card(session, participant)


def erase(
    engine: Engine, *, participant_id: int, scope: Scope, now: dt.datetime, settings: Settings
) -> str | None:
    """Erase everything personal about the participant (as /delete does); their former name, or None when
    they are gone or outside the scope. Runs its own transactions.

    The person is told: the notice is made before their data goes (their chat id and language are read
    first) and queued in the erasure's own transaction, holding only their chat id (no participant link, no
    name); the sender empties its text on delivery and the daily pass deletes the row once it is done.
    """
    with Session(engine) as session:
        participant = participant_in_scope(session, participant_id=participant_id, scope=scope)
        if participant is None:
            return None
        name = participant.name or "?"
        notices = []
        if participant.chat_id is not None:
            key = f"erased:{participant_id}"
            notices.append(
                _notice(
                    participant, key="moderation.erased_notice", dedupe_key=key, now=now, settings=settings
                )
            )
    participant_service.erase(engine, participant_id=participant_id, now=now, notices=notices)
    return name


@dataclass(frozen=True)
class IntroduceOutcome:
    """What `/introduce` did: a catalogue key (`moderation.introduce_*`) and the names it mentions."""

    key: str
    names: tuple[str, ...] = ()
    suggestion_id: int | None = None


def _reachable(participant: Participant) -> bool:
    return participant.status == ParticipantStatus.ACTIVE and participant.chat_id is not None


def introduce(
    session: Session,
    *,
    first: str,
    second: str,
    scope: Scope,
    organiser: str,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> IntroduceOutcome:
    """Propose two participants to each other: a suggestion both are asked about at once (double opt-in),
    whose card says which organiser suggested it."""
    people: list[Participant] = []
    for text in (first, second):
        found = find_participants(session, text=text, scope=scope, limit=2)
        if len(found) != 1:
            key = "moderation.introduce_not_found" if not found else "moderation.introduce_many"
            return IntroduceOutcome(key, (text,))
        people.append(found[0])
    a, b = sorted(people, key=lambda p: p.id or 0)
    assert a.id is not None and b.id is not None
    names = (a.name or "?", b.name or "?")
    if a.id == b.id:
        return IntroduceOutcome("moderation.introduce_same", names)
    for person in (a, b):
        if not _reachable(person):
            return IntroduceOutcome("moderation.introduce_inactive", (person.name or "?",))
    if (a.id, b.id) in suggestion_store.open_pair_ids(session, participant_ids=[a.id]):
        return IntroduceOutcome("moderation.introduce_open", names)
    never = suggestion_store.never_pairs(session, participant_id=a.id)
    if b.id in never.get(a.id, set()) or a.id in never.get(b.id, set()):
        return IntroduceOutcome("moderation.introduce_never", names)
    suggestion = suggestion_store.create_suggestion(
        session,
        a_id=a.id,
        b_id=b.id,
        score=0.0,
        reasons={"a": [], "b": [], "suggested_by": organiser[:64]},
        source="organiser",
        expires_at=expires_at,
        now=now,
    )
    assert suggestion.id is not None
    for me, other in ((a, b), (b, a)):
        assert me.id is not None and me.chat_id is not None
        text, rows = suggestion_card(
            me.language,
            suggestion_id=suggestion.id,
            view=matching_suggestion(suggestion, me.id),
            other=other,
            new=True,
            suggested_by=suggested_by(suggestion),
        )
        enqueue(
            session,
            dedupe_key=f"sg:{suggestion.id}:{me.id}",
            chat_id=me.chat_id,
            participant_id=me.id,
            kind="suggestion",
            text=text,
            reply_markup=to_dict(rows),
        )
    suggestion.shown_a_at = suggestion.shown_b_at = now
    session.add(suggestion)
    return IntroduceOutcome("moderation.introduce_done", names, suggestion.id)
