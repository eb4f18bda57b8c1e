"""Queries behind the organisers' moderation: finding a participant, and checking one is in the scope."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from storage.models import Participant, ParticipantStatus
from storage.scope import Scope

__all__ = ["find_participants", "participant_in_scope"]


def _moderated(scope: Scope) -> list[ColumnElement[bool]]:
    return [
        col(Participant.consent_at).is_not(None),
        col(Participant.status) != ParticipantStatus.DELETED,
        scope.condition(),
    ]


def participant_in_scope(session: Session, *, participant_id: int, scope: Scope) -> Participant | None:
    """The participant (consented, not deleted) when they are in the scope; None otherwise."""
    return session.exec(
        select(Participant).where(col(Participant.id) == participant_id, *_moderated(scope))
    ).first()


def find_participants(session: Session, *, text: str, scope: Scope, limit: int = 8) -> list[Participant]:
    """Participants in the scope by `@username` (exact), number (`12`, `#12`) or part of name/organisation."""
    text = text.strip()
    query = select(Participant).where(*_moderated(scope))
    if text.startswith("@"):
        query = query.where(func.lower(col(Participant.username)) == text[1:].lower())
    elif text.removeprefix("#").isdigit() and len(text) < 10:
        query = query.where(Participant.id == int(text.removeprefix("#")))
    else:
        needle = text.lower()
        query = query.where(
            or_(
                func.lower(col(Participant.name)).contains(needle, autoescape=True),
                func.lower(col(Participant.organisation)).contains(needle, autoescape=True),
            )
        )
    return list(session.exec(query.order_by(col(Participant.name), col(Participant.id)).limit(limit)).all())
