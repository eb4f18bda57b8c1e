"""Events (meetings people joined through) and their event-wide invitation links."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.invitations import InvitationKind, create_invitation, get_or_create_event
from storage.models import Event, Invitation, ParticipantEvent
from storage.types import utcnow

__all__ = ["event_by_code", "event_invitation", "list_events", "personal_invitations"]


def event_by_code(session: Session, *, code: str) -> Event | None:
    """The event with this code, or None."""
    return session.exec(select(Event).where(Event.code == code)).first()


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
) -> tuple[Invitation, Event | None]:
    """The event-wide invitation for an event code (or for no event), reused until it expires."""
    now = now or utcnow()
    event = get_or_create_event(session, code=code) if code else None
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
