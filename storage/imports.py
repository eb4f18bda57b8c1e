"""Storing imported profiles: active participants (with consent) and their profile items, idempotently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, select

from storage.models import Invitation, ItemKind, Participant, ParticipantEvent, ParticipantStatus, ProfileItem
from storage.types import utcnow

__all__ = ["ImportedItem", "import_participant", "invitation_exists", "link_event"]


@dataclass(frozen=True)
class ImportedItem:
    """One offer, need or theme: the words as written and the matcher's normalised form."""

    kind: ItemKind
    text: str
    normalised: str


def import_participant(
    session: Session,
    *,
    telegram_id: int,
    name: str,
    organisation: str,
    role: str,
    region: str,
    reach: str,
    language: str,
    email: str | None,
    items: Sequence[ImportedItem],
    now: dt.datetime | None = None,
) -> tuple[Participant, bool]:
    """An active, consenting participant with this Telegram id; (row, False) when it already existed.

    An existing participant is left exactly as it is: re-importing a file changes nothing, and a profile the
    person edited in the bot is never overwritten by an old file.
    """
    existing = session.exec(select(Participant).where(Participant.telegram_id == telegram_id)).first()
    if existing is not None:
        return existing, False
    now = now or utcnow()
    person = Participant(
        telegram_id=telegram_id,
        chat_id=telegram_id,  # a private chat's id is the user's id
        name=name,
        organisation=organisation,
        role=role,
        region=region,
        reach=reach,
        language=language,
        email=email,
        status=ParticipantStatus.ACTIVE,
        consent_at=now,
        profile_completed_at=now if any(i.kind != ItemKind.THEME for i in items) else None,
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    session.flush()
    assert person.id is not None
    positions: dict[str, int] = {}
    for item in items:
        position = positions.get(item.kind, 0)
        positions[item.kind] = position + 1
        session.add(
            ProfileItem(
                participant_id=person.id,
                kind=item.kind,
                text=item.text,
                normalised=item.normalised,
                position=position,
                created_at=now,
            )
        )
    session.flush()
    return person, True


def link_event(session: Session, *, participant_id: int, event_id: int) -> bool:
    """Record that a participant joined through an event; False when already linked."""
    if session.get(ParticipantEvent, (participant_id, event_id)) is not None:
        return False
    session.add(ParticipantEvent(participant_id=participant_id, event_id=event_id))
    session.flush()
    return True


def invitation_exists(session: Session, *, source_key: str) -> bool:
    """True when an import already created the invitation for this row."""
    return session.exec(select(Invitation.id).where(Invitation.source_key == source_key)).first() is not None
