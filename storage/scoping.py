"""Query clauses that keep a query to an organiser's scope (storage.scope.Scope)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, true
from sqlmodel import col, select

from storage.models import Participant
from storage.scope import Scope

__all__ = ["in_scope", "participant_in_scope"]


def in_scope(scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause on `Participant`: the participant is in the region and/or joined the event."""
    return scope.condition()


def participant_in_scope(participant_id: Any, scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause on any participant id column: that participant is in the scope."""
    if scope.is_global:
        return true()
    return col(participant_id).in_(select(Participant.id).where(scope.condition()))
