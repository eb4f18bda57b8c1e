"""The participant's own data: who is talking, registration at consent, profile edits, account, export.

Plain functions over a session (run them with `bot.services.db.run`; the caller commits). The profile
questions and their rules come from the field table (`bot.fields`), the conversation state from
`bot.conversation`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

import matching
from bot.conversation import enter, first_question
from bot.fields import (
    FIELDS,
    ITEM_MAX,
    RELAY_MAX,
    Field,
    FieldKind,
    InputProblem,
    clean_text,
    completeness,
    split_items,
)
from bot.services import followups, introductions
from bot.texts import language_for
from storage import participants as store
from storage import suggestions as suggestion_store
from storage.invitations import Redemption, RedemptionProblem, redeem_invitation
from storage.models import Event, Invitation, ItemKind, Participant, ParticipantStatus, ProfileItem
from storage.outbox import Message, mark_blocked
from storage.privacy import erase_participants

__all__ = [
    "ITEM_MAX",
    "RELAY_MAX",
    "InputProblem",
    "Person",
    "Registration",
    "add_items",
    "choose",
    "clean_text",
    "completeness",
    "erase",
    "find",
    "items_by_kind",
    "join_by_invitation",
    "language_of",
    "mark_chat_blocked",
    "parse_choice",
    "pause",
    "register",
    "resume",
    "set_text_field",
    "split_items",
    "toggle_theme",
    "unblock",
]


@dataclass(frozen=True)
class Person:
    """Who sent an update, as Telegram describes them (nothing of it is stored before consent)."""

    telegram_id: int
    language_code: str | None = None
    full_name: str | None = None
    first_name: str | None = None
    username: str | None = None


@dataclass
class Registration:
    """The outcome of consenting: the new participant, and what happened to an invitation token."""

    participant: Participant
    created: bool
    problem: RedemptionProblem | None = None
    invited: bool = False
    event_name: str | None = None
    prefilled: list[str] = field(default_factory=list)


# -- who is talking ---------------------------------------------------------------------------------------
def find(session: Session, person: Person) -> Participant | None:
    """The participant behind this person (None before consent, and after deletion)."""
    return store.get_by_telegram_id(session, telegram_id=person.telegram_id)


def language_of(person: Person, participant: Participant | None) -> str:
    """The participant's chosen language, else their Telegram language (nl by default)."""
    if participant is not None and participant.language:
        return participant.language
    return language_for(person.language_code)


def items_by_kind(session: Session, *, participant_id: int) -> dict[str, list[ProfileItem]]:
    """The participant's items grouped per kind (offer, need, theme)."""
    grouped: dict[str, list[ProfileItem]] = {kind.value: [] for kind in ItemKind}
    for item in store.items_of(session, participant_id=participant_id):
        grouped.setdefault(item.kind, []).append(item)
    return grouped


# -- registration ------------------------------------------------------------------------------------------
def register(
    session: Session,
    *,
    telegram_id: int,
    chat_id: int,
    username: str | None,
    language: str,
    token: str | None,
    now: dt.datetime,
) -> Registration:
    """Consent given: create the participant (or find them), redeem an invitation, apply its prefill."""
    existing = store.get_by_telegram_id(session, telegram_id=telegram_id)
    if existing is not None:
        return Registration(existing, created=False)
    participant = store.create_participant(
        session, telegram_id=telegram_id, chat_id=chat_id, username=username, language=language, now=now
    )
    enter(participant, first_question())
    registration = Registration(participant, created=True)
    if token:
        assert participant.id is not None
        redemption = redeem_invitation(
            session, token=token, participant_id=participant.id, telegram_id=telegram_id, now=now
        )
        registration.problem = redemption.problem
        if redemption.problem is None:
            registration.invited = True
            _apply_invitation(session, participant, redemption, registration, now=now)
    session.add(participant)
    session.flush()
    return registration


def join_by_invitation(
    session: Session, *, participant: Participant, token: str, now: dt.datetime
) -> Registration:
    """`/start <token>` from someone already registered: join an event-wide link's event, change nothing else.

    The profile is theirs now, so nothing is prefilled; a personal invitation is refused and left unused
    (it is its owner's only, and someone registered gains nothing from it).
    """
    assert participant.id is not None
    registration = Registration(participant, created=False)
    redemption = redeem_invitation(
        session, token=token, participant_id=participant.id, now=now, registered=True
    )
    registration.problem = redemption.problem
    if redemption.problem is None and redemption.event_id is not None:
        store.join_event(session, participant_id=participant.id, event_id=redemption.event_id)
        event = session.get(Event, redemption.event_id)
        registration.invited = True
        registration.event_name = event.name if event is not None else None
    return registration


def _prefill_items(value: object) -> list[str]:
    if isinstance(value, str):
        try:
            return split_items(value)
        except InputProblem:
            return []
    if isinstance(value, list):
        return [" ".join(str(v).split())[:ITEM_MAX] for v in value if str(v).strip()]
    return []


def _apply_invitation(
    session: Session,
    participant: Participant,
    redemption: Redemption,
    registration: Registration,
    *,
    now: dt.datetime,
) -> None:
    """What the organiser knew, filled in for every field of the table that the invitation holds."""
    assert participant.id is not None
    if redemption.event_id is not None:
        store.join_event(session, participant_id=participant.id, event_id=redemption.event_id)
        event = session.get(Event, redemption.event_id)
        registration.event_name = event.name if event is not None else None
    prefill = redemption.prefill
    for question in FIELDS:
        if question.column and question.prefill is not None:
            value = question.prefill(prefill.get(question.name))
            if value is not None:
                setattr(participant, question.name, value)
                if question.announce_prefill:
                    registration.prefilled.append(question.name)
    if isinstance(prefill.get("email"), str):
        participant.email = prefill["email"][:320]
    invitation = session.get(Invitation, redemption.invitation_id) if redemption.invitation_id else None
    if invitation is not None and invitation.email and not participant.email:
        participant.email = invitation.email
    for question in FIELDS:
        if question.item_kind is not None:
            texts = _prefill_items(prefill.get(question.name))
            if texts:
                add_items(session, participant=participant, kind=question.item_kind, texts=texts, now=now)
                registration.prefilled.append(question.name)


# -- profile edits -----------------------------------------------------------------------------------------
def set_text_field(
    session: Session, *, participant: Participant, question: Field, text: str | None, now: dt.datetime
) -> str:
    """Set a text field (name, organisation) from typed text (InputProblem when it cannot be used)."""
    if question.kind is not FieldKind.TEXT:
        raise ValueError(f"{question.name} is not a text field")
    value = clean_text(text, limit=question.limit)
    setattr(participant, question.name, value)
    store.touch(participant, now=now)
    session.add(participant)
    return value


def choose(
    session: Session, *, participant: Participant, question: Field, code: str, now: dt.datetime
) -> bool:
    """Set a choice field (role, region, reach) to one of its codes; False for a code not on the list."""
    if question.kind is not FieldKind.CHOICE or code not in question.codes:
        return False
    setattr(participant, question.name, code)
    store.touch(participant, now=now)
    session.add(participant)
    return True


def parse_choice(question: Field, text: str) -> str | None:
    """A typed answer to a button question, when it clearly names one option (else None)."""
    return question.parse(text) if question.parse is not None else None


def add_items(
    session: Session, *, participant: Participant, kind: ItemKind, texts: list[str], now: dt.datetime
) -> list[ProfileItem]:
    """Add offers, needs or themes (normalised for the matcher); InputProblem when the list is full."""
    assert participant.id is not None
    existing = store.items_of(session, participant_id=participant.id, kind=kind)
    if len(existing) >= store.MAX_ITEMS_PER_KIND:
        raise InputProblem("onboarding.too_many_items", limit=store.MAX_ITEMS_PER_KIND)
    pairs = [(text, matching.normalise_phrase(text)) for text in texts]
    return store.add_items(session, participant=participant, kind=kind, texts=pairs, now=now)


def remove_item(session: Session, *, participant: Participant, item_id: int, now: dt.datetime) -> None:
    """Strike one of the participant's own items."""
    store.remove_item(session, participant=participant, item_id=item_id, now=now)


def own_item(session: Session, *, participant: Participant, item_id: int) -> ProfileItem | None:
    """One of the participant's own items (None for someone else's, or one that is gone)."""
    item = session.get(ProfileItem, item_id)
    return item if item is not None and item.participant_id == participant.id else None


def toggle_theme(session: Session, *, participant: Participant, theme: str, now: dt.datetime) -> bool:
    """Add the theme, or remove it when present; True when it is now chosen."""
    assert participant.id is not None
    for item in store.items_of(session, participant_id=participant.id, kind=ItemKind.THEME):
        if item.text.casefold() == theme.casefold():
            assert item.id is not None
            store.remove_item(session, participant=participant, item_id=item.id, now=now)
            return False
    add_items(session, participant=participant, kind=ItemKind.THEME, texts=[theme], now=now)
    return True


# -- the account ---------------------------------------------------------------------------------------
def unblock(session: Session, *, participant: Participant, now: dt.datetime) -> None:
    """A /start after a 403 means they unblocked the bot: they take part again, and get the introductions
    they missed."""
    if participant.status == ParticipantStatus.BLOCKED:
        store.set_status(session, participant=participant, status=ParticipantStatus.ACTIVE, now=now)
        introductions.deliver_missed(session, participant=participant, now=now)


def pause(session: Session, *, participant: Participant, now: dt.datetime) -> bool:
    """No new suggestions, digests or nudges until resumed; False: already paused.

    Pausing pauses, it withdraws nothing: open suggestions, "later" ones and one's own "yes" stay as they
    are (the other side is told nothing); they wait, unexpired, until /resume (`storage.suggestions`).
    """
    assert participant.id is not None
    if participant.status == ParticipantStatus.PAUSED:
        return False
    store.set_status(session, participant=participant, status=ParticipantStatus.PAUSED, now=now)
    return True


def resume(session: Session, *, participant: Participant, now: dt.datetime) -> bool:
    """Take part again after a pause (what waited expires as much later as the pause lasted); False when
    they were not paused."""
    if participant.status != ParticipantStatus.PAUSED:
        return False
    assert participant.id is not None
    paused_at = participant.paused_at or now
    store.set_status(session, participant=participant, status=ParticipantStatus.ACTIVE, now=now)
    suggestion_store.extend_pending(
        session, participant_id=participant.id, by=max(now - paused_at, dt.timedelta(0))
    )
    return True


def erase(engine: Engine, *, participant_id: int, now: dt.datetime, notices: Sequence[Message] = ()) -> None:
    """Erase everything personal about the participant, then scrub the database files (its own transaction:
    the same path as the retention pass); `notices` are queued in that transaction (an organiser's erasure
    tells the person, see `storage.privacy.erase_participants`)."""
    erase_participants(engine, participant_ids=[participant_id], now=now, notices=notices)


def mark_chat_blocked(session: Session, *, chat_id: int, now: dt.datetime) -> int:
    """The person of a private chat blocked the bot (a 403 on any call): whoever is waiting for a relayed
    message or a reminder to them to arrive is told it will not, then they are marked and every unsent row
    to them stops; returns how many stopped. The one path for the outbox sender and the error handler."""
    introductions.relays_undeliverable(session, chat_id=chat_id)
    followups.reminders_undeliverable(session, chat_id=chat_id)
    return mark_blocked(session, chat_id=chat_id, now=now)
