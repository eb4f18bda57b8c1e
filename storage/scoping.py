"""Query clauses that keep a query to an organiser's scope (storage.scope.Scope)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true
from sqlmodel import col, select

from storage.models import Event, Participant, ParticipantEvent
from storage.scope import Scope

__all__ = ["in_scope", "participant_in_scope"]


def in_scope(scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause on `Participant`: the participant is in the region and/or joined the event."""
    clauses: list[ColumnElement[bool]] = []
    if scope.region is not None:
        clauses.append(col(Participant.region) == scope.region)
    if scope.event_code is not None:
        joined = (
            select(ParticipantEvent.participant_id)
            .join(Event, col(Event.id) == col(ParticipantEvent.event_id))
            .where(Event.code == scope.event_code)
        )
        clauses.append(col(Participant.id).in_(joined))
    if not clauses:
        return true()
    result = clauses[0]
    for clause in clauses[1:]:
        result = result & clause
    return result


def participant_in_scope(participant_id: Any, scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause on any participant id column: that participant is in the scope."""
    if scope == Scope.everything():
        return true()
    return col(participant_id).in_(select(Participant.id).where(in_scope(scope)))
