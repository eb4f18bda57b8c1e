"""An organiser's scope: the region and/or event whose participants they see and reach.

`Scope.everything()` (no region, no event) is a global organiser: everyone in ORGANISER_IDS, and those added
without a region or event. A scoped organiser sees only participants in their region (`participant.region`)
and/or who joined through their event (`participant_event` → `event.code`); both set means both must hold.

Queries that select participants add `scope.conditions()` to their WHERE clause; a pair (suggestion,
introduction) is in scope when either side is (`scope.covers_pair`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, true
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.models import Event, Participant, ParticipantEvent

__all__ = ["Scope", "participant_ids_in_scope"]


@dataclass(frozen=True)
class Scope:
    """What an organiser covers: a region code and/or an event code; both None means everything."""

    region: str | None = None
    event_code: str | None = None

    @classmethod
    def everything(cls) -> Scope:
        """The global scope (no restriction)."""
        return cls()

    @property
    def is_global(self) -> bool:
        """True when this scope restricts nothing."""
        return self.region is None and self.event_code is None

    def conditions(self) -> list[ColumnElement[bool]]:
        """WHERE conditions on `Participant` that keep only the participants in this scope."""
        conditions: list[ColumnElement[bool]] = []
        if self.region is not None:
            conditions.append(col(Participant.region) == self.region)
        if self.event_code is not None:
            conditions.append(
                exists()
                .where(
                    col(ParticipantEvent.participant_id) == col(Participant.id),
                    col(ParticipantEvent.event_id) == col(Event.id),
                    col(Event.code) == self.event_code,
                )
                .correlate(Participant)
            )
        return conditions

    def condition(self) -> ColumnElement[bool]:
        """`conditions()` as one expression (TRUE for the global scope)."""
        conditions = self.conditions()
        if not conditions:
            return true()
        result = conditions[0]
        for condition in conditions[1:]:
            result = result & condition
        return result

    def covers(self, participant_id: Any) -> ColumnElement[bool]:
        """A WHERE condition on any participant id column (e.g. `OutboxMessage.participant_id`): in scope."""
        if self.is_global:
            return true()
        return col(participant_id).in_(select(Participant.id).where(self.condition()))

    def covers_pair(self, ids: set[int] | None, a: int, b: int) -> bool:
        """True when a pair is in scope: either side is (`ids` from `participant_ids_in_scope`)."""
        return ids is None or a in ids or b in ids


def participant_ids_in_scope(session: Session, *, scope: Scope) -> set[int] | None:
    """The ids of every participant in `scope`, or None for the global scope (everyone)."""
    if scope.is_global:
        return None
    rows: Iterable[int | None] = session.exec(select(Participant.id).where(*scope.conditions())).all()
    return {int(pid) for pid in rows if pid is not None}
