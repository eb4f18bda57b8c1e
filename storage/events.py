"""Events (meetings people joined through) and their event-wide invitation links."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.invitations import InvitationKind, create_invitation
from storage.models import Event, Invitation, ParticipantEvent
from storage.types import utcnow

__all__ = ["create_event", "event_by_code", "event_invitation", "list_events", "personal_invitations"]


def event_by_code(session: Session, *, code: str) -> Event | None:
    """The event with this code, or None."""
    return session.exec(select(Event).where(Event.code == code)).first()


def create_event(session: Session, *, code: str, name: str, held_on: dt.date | None) -> tuple[Event, bool]:
    """(the event, True) when new; an existing code gets the new name and date: (the event, False)."""
    event = event_by_code(session, code=code)
    created = event is None
    if event is None:
        event = Event(code=code, name=name, held_on=held_on)
    else:
        event.name, event.held_on = name, held_on
    session.add(event)
    session.flush()
    return event, created


def list_events(session: Session, *, limit: int = 20) -> list[tuple[Event, int]]:
    """The newest events with how many participants joined through each."""
    rows = session.exec(
        select(Event, func.count(col(ParticipantEvent.participant_id)))
        .join(ParticipantEvent, col(ParticipantEvent.event_id) == col(Event.id), isouter=True)
        .group_by(col(Event.id))
        .order_by(col(Event.id).desc())
        .limit(limit)
    ).all()
    return [(event, int(count)) for event, count in rows]


def event_invitation(
    session: Session, *, code: str | None, ttl: dt.timedelta, now: dt.datetime | None = None
) -> tuple[Invitation, Event | None] | None:
    """The event-wide invitation for an event code (or for no event), reused until it expires.

    None for a code that is no event (events are made with `/event new` or `koppelbot events add`).
    """
    now = now or utcnow()
    event = event_by_code(session, code=code) if code else None
    if code and event is None:
        return None
    event_id = event.id if event is not None else None
    query = select(Invitation).where(
        Invitation.kind == InvitationKind.EVENT,
        col(Invitation.expires_at) > now + ttl / 4,  # hand out a link with most of its life left
    )
    query = query.where(
        col(Invitation.event_id).is_(None) if event_id is None else Invitation.event_id == event_id
    )
    existing = session.exec(query.order_by(col(Invitation.id).desc())).first()
    if existing is not None:
        return existing, event
    invitation = create_invitation(session, kind=InvitationKind.EVENT, event_id=event_id, ttl=ttl, now=now)
    return invitation, event


def personal_invitations(session: Session, *, now: dt.datetime | None = None) -> list[Invitation]:
    """Personal invitations that can still be used (not used, not expired), oldest first."""
    now = now or utcnow()
    return list(
        session.exec(
            select(Invitation)
            .where(
                Invitation.kind == InvitationKind.PERSONAL,
                col(Invitation.used_at).is_(None),
                (col(Invitation.expires_at).is_(None)) | (col(Invitation.expires_at) > now),
            )
            .order_by(col(Invitation.id))
        ).all()
    )
