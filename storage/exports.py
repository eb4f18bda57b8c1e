"""What an export contains: consenting participants, suggestions, introductions and started projects.

Plain rows (dicts of simple values) in a stable order; the CSV and workbook layouts are decided in
bot.services.exports. Deleted participants and people who never consented are left out; a suggestion or
introduction with a deleted side keeps its row but shows no name for that side. With a scope, only its
participants are exported, and the suggestions and introductions with at least one side in it (the other
side's name is left out when that person is outside the scope).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from storage.models import (
    Event,
    Introduction,
    Participant,
    ParticipantEvent,
    ParticipantStatus,
    ProfileItem,
    Suggestion,
)
from storage.scope import Scope

__all__ = ["ExportData", "export_data"]

Value = str | int | float | dt.datetime | None


@dataclass(frozen=True)
class ExportData:
    """The records of an export, each a dict of column → value."""

    participants: list[dict[str, Value]]
    suggestions: list[dict[str, Value]]
    introductions: list[dict[str, Value]]
    projects: list[dict[str, Value]]


def export_data(session: Session, *, scope: Scope | None = None) -> ExportData:
    """Every record an organiser may export: in a scope, its participants and the pairs with a side in it.

    The other side of such a pair, outside the scope, is shown by id only (no name, no organisation).
    """
    scope = scope or Scope.everything()
    people = session.exec(
        select(Participant)
        .where(
            col(Participant.consent_at).is_not(None),
            Participant.status != ParticipantStatus.DELETED,
            scope.condition(),
        )
        .order_by(col(Participant.id))
    ).all()
    by_id = {p.id: p for p in people}
    items: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for item in session.exec(
        select(ProfileItem).order_by(col(ProfileItem.participant_id), col(ProfileItem.position))
    ).all():
        items[item.participant_id][item.kind].append(item.text)

    events: dict[int, list[str]] = defaultdict(list)
    for joined, event in session.exec(
        select(ParticipantEvent, Event)
        .where(ParticipantEvent.event_id == Event.id)
        .order_by(col(ParticipantEvent.participant_id), col(ParticipantEvent.joined_at), col(Event.id))
    ).all():
        if joined.participant_id in by_id:
            events[joined.participant_id].append(event.name)

    def name(pid: int) -> str | None:
        person = by_id.get(pid)
        return person.name if person is not None else None

    def organisation(pid: int) -> str | None:
        person = by_id.get(pid)
        return person.organisation if person is not None else None

    participants: list[dict[str, Value]] = []
    for p in people:
        pid = p.id or 0
        participants.append(
            {
                "id": pid,
                "name": p.name,
                "organisation": p.organisation,
                "role": p.role,
                "region": p.region,
                "reach": p.reach,
                "language": p.language,
                "email": p.email,
                "telegram_username": p.username,
                "status": p.status,
                "consent_at": p.consent_at,
                "profile_completed_at": p.profile_completed_at,
                "offers": "; ".join(items[pid]["offer"]),
                "needs": "; ".join(items[pid]["need"]),
                "themes": "; ".join(items[pid]["theme"]),
                "events": "; ".join(events[pid]),
                "last_seen_at": p.last_seen_at,
                "created_at": p.created_at,
            }
        )
    suggestions: list[dict[str, Value]] = []
    suggestion_scope = or_(
        scope.covers(Suggestion.participant_a_id),
        scope.covers(Suggestion.participant_b_id),
    )
    for s in session.exec(select(Suggestion).where(suggestion_scope).order_by(col(Suggestion.id))).all():
        suggestions.append(
            {
                "id": s.id,
                "participant_a": s.participant_a_id,
                "name_a": name(s.participant_a_id),
                "organisation_a": organisation(s.participant_a_id),
                "participant_b": s.participant_b_id,
                "name_b": name(s.participant_b_id),
                "organisation_b": organisation(s.participant_b_id),
                "score": s.score,
                "status": s.status,
                "answer_a": s.answer_a,
                "answer_b": s.answer_b,
                "created_at": s.created_at,
            }
        )
    introductions: list[dict[str, Value]] = []
    projects: list[dict[str, Value]] = []
    introduction_scope = or_(
        scope.covers(Introduction.participant_a_id),
        scope.covers(Introduction.participant_b_id),
    )
    for i in session.exec(
        select(Introduction).where(introduction_scope).order_by(col(Introduction.id))
    ).all():
        row: dict[str, Value] = {
            "id": i.id,
            "suggestion_id": i.suggestion_id,
            "participant_a": i.participant_a_id,
            "name_a": name(i.participant_a_id),
            "organisation_a": organisation(i.participant_a_id),
            "participant_b": i.participant_b_id,
            "name_b": name(i.participant_b_id),
            "organisation_b": organisation(i.participant_b_id),
            "status": i.status,
            "introduced_at": i.introduced_at,
            "contacted_at": i.contacted_at,
            "project_started_at": i.project_started_at,
            "project_description": i.project_description,
            "flagged_for_coordinator_at": i.flagged_for_coordinator_at,
        }
        introductions.append(row)
        if i.project_started_at is not None:
            projects.append(row)
    return ExportData(participants, suggestions, introductions, projects)
