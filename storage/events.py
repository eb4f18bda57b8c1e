"""Events (meetings people joined through) and their event-wide invitation links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.invitations import InvitationKind, create_invitation
from storage.models import Event, Invitation, ParticipantEvent
from storage.scope import Scope
from storage.types import utcnow

__all__ = [
    "UnusedInvitation",
    "create_event",
    "event_by_code",
    "event_invitation",
    "list_events",
    "personal_invitations",
    "unused_invitations",
]


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


def list_events(session: Session, *, limit: int = 20, scope: Scope | None = None) -> list[tuple[Event, int]]:
    """The newest events with how many participants joined through each.

    With a scoped organiser's scope (`storage.scope`, as `/stats` and exports apply it), only participants in
    the scope are counted, and only events with at least one of them are listed (an event organiser's own
    event always is).
    """
    scope = scope or Scope.everything()
    joined = col(ParticipantEvent.event_id) == col(Event.id)
    if not scope.is_global:
        joined = joined & scope.covers(ParticipantEvent.participant_id)
    participants = func.count(col(ParticipantEvent.participant_id))
    query = (
        select(Event, participants)
        .join(ParticipantEvent, joined, isouter=True)
        .group_by(col(Event.id))
        .order_by(col(Event.id).desc())
        .limit(limit)
    )
    if scope.event_code is not None:
        query = query.where(Event.code == scope.event_code)
    elif not scope.is_global:
        query = query.having(participants > 0)
    rows = session.exec(query).all()
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


@dataclass(frozen=True)
class UnusedInvitation:
    """A personal invitation nobody has used yet, for a reminder mail merge."""

    token: str
    name: str
    email: str
    organisation: str
    region: str
    event_code: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    renewed: bool  # it had expired and got a new expiry date now


def unused_invitations(
    session: Session, *, scope: Scope, renew_ttl: dt.timedelta, now: dt.datetime | None = None
) -> list[UnusedInvitation]:
    """Every personal invitation not used yet (oldest first), in the scope (its event; its prefilled region).

    An expired one gets a new expiry date (`now + renew_ttl`), so the link in a reminder works again.
    """
    now = now or utcnow()
    query = (
        select(Invitation, Event.code)
        .join(Event, col(Event.id) == col(Invitation.event_id), isouter=True)
        .where(Invitation.kind == InvitationKind.PERSONAL, col(Invitation.used_at).is_(None))
        .order_by(col(Invitation.id))
    )
    if scope.event_code is not None:
        query = query.where(Event.code == scope.event_code)
    result = []
    for invitation, code in session.exec(query).all():
        region = str(invitation.prefill.get("region") or "")
        if scope.region is not None and region != scope.region:
            continue
        renewed = invitation.expires_at is not None and invitation.expires_at <= now
        if renewed:
            invitation.expires_at = now + renew_ttl
            session.add(invitation)
        result.append(
            UnusedInvitation(
                token=invitation.token,
                name=invitation.name or "",
                email=invitation.email or "",
                organisation=str(invitation.prefill.get("organisation") or ""),
                region=region,
                event_code=code or "",
                created_at=invitation.created_at,
                expires_at=invitation.expires_at,
                renewed=renewed,
            )
        )
    return result
