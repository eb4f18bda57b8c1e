"""Participants and their profile items: lookups, creation at consent, profile edits, personal records.

Every change to what the matcher sees (profile fields, items, status) touches `Participant.updated_at`, so
caches of the matcher can tell when to rebuild (`profile_fingerprint`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.models import (
    Event,
    Introduction,
    ItemKind,
    NeverSuggest,
    Participant,
    ParticipantEvent,
    ParticipantStatus,
    ProfileItem,
)
from storage.types import utcnow

__all__ = [
    "MAX_ITEMS_PER_KIND",
    "PersonalRecords",
    "ProfileRow",
    "active_profiles",
    "add_items",
    "by_ids",
    "create_participant",
    "get_by_telegram_id",
    "items_of",
    "join_event",
    "personal_records",
    "profile_fingerprint",
    "remove_item",
    "set_status",
    "touch",
]

MAX_ITEMS_PER_KIND = 12


def get_by_telegram_id(session: Session, *, telegram_id: int) -> Participant | None:
    """The (not deleted) participant with this Telegram user id, or None."""
    return session.exec(select(Participant).where(Participant.telegram_id == telegram_id)).first()


def create_participant(
    session: Session,
    *,
    telegram_id: int,
    chat_id: int,
    language: str,
    username: str | None = None,
    now: dt.datetime | None = None,
) -> Participant:
    """Create the participant at the moment they consent (nothing is stored about anyone before that)."""
    now = now or utcnow()
    participant = Participant(
        telegram_id=telegram_id,
        chat_id=chat_id,
        username=username,
        language=language,
        status=ParticipantStatus.ACTIVE,
        consent_at=now,
        last_seen_at=now,
        created_at=now,
        updated_at=now,
        conversation_data={},
    )
    session.add(participant)
    session.flush()
    return participant


def touch(participant: Participant, *, now: dt.datetime | None = None) -> None:
    """Mark the participant's profile as changed (the matcher cache rebuilds)."""
    participant.updated_at = now or utcnow()


def set_status(
    session: Session, *, participant: Participant, status: ParticipantStatus, now: dt.datetime | None = None
) -> None:
    """Change the status (active, paused, blocked), with its timestamp."""
    now = now or utcnow()
    participant.status = status
    if status == ParticipantStatus.PAUSED:
        participant.paused_at = now
    elif status == ParticipantStatus.BLOCKED:
        participant.blocked_at = now
    elif status == ParticipantStatus.ACTIVE:
        participant.paused_at = None
        participant.blocked_at = None
    touch(participant, now=now)
    session.add(participant)


def items_of(session: Session, *, participant_id: int, kind: ItemKind | None = None) -> list[ProfileItem]:
    """The participant's profile items (one kind or all), in their order."""
    query = select(ProfileItem).where(ProfileItem.participant_id == participant_id)
    if kind is not None:
        query = query.where(ProfileItem.kind == kind)
    return list(session.exec(query.order_by(col(ProfileItem.kind), col(ProfileItem.position))).all())


def add_items(
    session: Session,
    *,
    participant: Participant,
    kind: ItemKind,
    texts: Sequence[tuple[str, str]],
    now: dt.datetime | None = None,
) -> list[ProfileItem]:
    """Add (text, normalised) items of one kind, skipping duplicates (case-insensitive) and overflow."""
    assert participant.id is not None
    existing = items_of(session, participant_id=participant.id, kind=kind)
    seen = {item.text.casefold() for item in existing}
    position = max((item.position for item in existing), default=-1) + 1
    added: list[ProfileItem] = []
    for text, normalised in texts:
        if text.casefold() in seen or len(existing) + len(added) >= MAX_ITEMS_PER_KIND:
            continue
        seen.add(text.casefold())
        item = ProfileItem(
            participant_id=participant.id, kind=kind, text=text, normalised=normalised, position=position
        )
        position += 1
        session.add(item)
        added.append(item)
    touch(participant, now=now)
    session.add(participant)
    session.flush()
    return added


def remove_item(
    session: Session, *, participant: Participant, item_id: int, now: dt.datetime | None = None
) -> ProfileItem | None:
    """Remove one of the participant's own items; None when it is not theirs (or gone)."""
    item = session.get(ProfileItem, item_id)
    if item is None or item.participant_id != participant.id:
        return None
    session.delete(item)
    touch(participant, now=now)
    session.add(participant)
    session.flush()
    return item


def join_event(session: Session, *, participant_id: int, event_id: int) -> None:
    """Record that the participant came through this event (idempotent)."""
    if session.get(ParticipantEvent, (participant_id, event_id)) is None:
        session.add(ParticipantEvent(participant_id=participant_id, event_id=event_id))
        session.flush()


def by_ids(session: Session, *, ids: Iterable[int]) -> dict[int, Participant]:
    """The participants with these ids (in chunks: SQLite allows a limited number of parameters)."""
    found: dict[int, Participant] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 900):
        query = select(Participant).where(col(Participant.id).in_(wanted[start : start + 900]))
        for person in session.exec(query).all():
            assert person.id is not None
            found[person.id] = person
    return found


@dataclass(frozen=True)
class PersonalRecords:
    """What else is stored about one participant, for their own export (/mydata)."""

    introductions: list[Introduction]
    never_suggest_count: int
    event_names: list[str]


def personal_records(session: Session, *, participant_id: int) -> PersonalRecords:
    """The participant's introductions, how many people they never want suggested, and their events."""
    pid = participant_id
    introductions = session.exec(
        select(Introduction).where(
            (Introduction.participant_a_id == pid) | (Introduction.participant_b_id == pid)
        )
    ).all()
    never = session.exec(select(NeverSuggest.other_id).where(NeverSuggest.participant_id == pid)).all()
    events = session.exec(
        select(Event.name).join(ParticipantEvent).where(ParticipantEvent.participant_id == pid)
    ).all()
    return PersonalRecords(list(introductions), len(never), list(events))


@dataclass(frozen=True)
class ProfileRow:
    """The columns of a participant the matcher needs (a light row, not an ORM object)."""

    id: int
    name: str | None
    organisation: str | None
    role: str | None
    region: str | None
    reach: str


def active_profiles(
    session: Session, *, participant_ids: Iterable[int] | None = None
) -> list[tuple[ProfileRow, dict[str, list[str]]]]:
    """Active participants with a completed profile, each with their items as texts per kind.

    Plain column rows rather than ORM objects: at 10,000 participants this is what the matcher cache loads
    on every rebuild, and ORM identity-map objects would double the memory it needs.
    """
    active = (
        col(Participant.status) == ParticipantStatus.ACTIVE,
        col(Participant.profile_completed_at).is_not(None),
    )
    ids = list(participant_ids) if participant_ids is not None else None
    query = sa_select(
        col(Participant.id),
        col(Participant.name),
        col(Participant.organisation),
        col(Participant.role),
        col(Participant.region),
        col(Participant.reach),
    ).where(*active)
    if ids is not None:
        query = query.where(col(Participant.id).in_(ids))
    rows = [ProfileRow(*row) for row in session.execute(query.order_by(col(Participant.id))).all()]
    items: dict[int, dict[str, list[str]]] = {}
    item_query = (
        select(ProfileItem.participant_id, ProfileItem.kind, ProfileItem.text)
        .join(Participant, col(Participant.id) == col(ProfileItem.participant_id))
        .where(*active)
    )
    if ids is not None:
        item_query = item_query.where(col(ProfileItem.participant_id).in_(ids))
    item_query = item_query.order_by(col(ProfileItem.participant_id), col(ProfileItem.position))
    for participant_id, kind, text in session.exec(item_query).all():
        items.setdefault(participant_id, {k.value: [] for k in ItemKind})[kind].append(text)
    return [(row, items.get(row.id) or {k.value: [] for k in ItemKind}) for row in rows]


def profile_fingerprint(session: Session) -> tuple[int, str]:
    """Changes whenever a participant is added or their profile or status changes."""
    count, newest = session.exec(select(func.count(), func.max(Participant.updated_at))).one()
    return int(count or 0), str(newest)
