"""Funnel statistics for organisers: from participants to started projects, overall and per region.

The funnel counts people, never pairs, so every stage is part of the stage before it:

- participants: people who consented and did not delete their data (active, paused or blocked);
- suggested: of those, the people with at least one suggestion;
- accepted: the people who said yes to at least one suggestion;
- introduced: the people in at least one introduction (both sides said yes);
- contacted: the people in an introduction where the two met or talked;
- projects: the people in an introduction that started a joint project.

Per region, a person counts in their own region, so the regions add up to the total. With a scope, only the
participants in it are counted (storage.scope.Scope).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, fields

from sqlalchemy import func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.engagement import claim_job_run
from storage.models import (
    AnswerValue,
    Introduction,
    ItemKind,
    OutboxMessage,
    OutboxState,
    Participant,
    ParticipantStatus,
    ProfileItem,
    Suggestion,
)
from storage.outbox import requeue_parked
from storage.scope import Scope, participant_ids_in_scope
from storage.types import utcnow

__all__ = [
    "NO_REGION",
    "STAGES",
    "DemandItem",
    "FlaggedIntroduction",
    "Funnel",
    "FunnelReport",
    "ParkedMessage",
    "ProjectLine",
    "claim_run",
    "demand_items",
    "flagged_introductions",
    "funnel_report",
    "parked_messages",
    "participant_languages",
    "retry_parked",
    "started_projects",
]


NO_REGION = "none"  # the funnel's region code for people who did not choose a region yet (listed last)


@dataclass(frozen=True)
class Funnel:
    """The counts of one funnel (overall or one region): people at each stage."""

    participants: int = 0
    suggested: int = 0
    accepted: int = 0
    introduced: int = 0
    contacted: int = 0
    projects: int = 0

    def as_tuple(self) -> tuple[int, ...]:
        """The counts in stage order."""
        return tuple(getattr(self, stage) for stage in STAGES)

    def conversions(self) -> tuple[float | None, ...]:
        """Each stage's share of the stage before it (0–1), from the second stage on; None after a zero."""
        counts = self.as_tuple()
        return tuple(
            (later / earlier if earlier else None) for earlier, later in zip(counts, counts[1:], strict=False)
        )


STAGES: tuple[str, ...] = tuple(field.name for field in fields(Funnel))


@dataclass(frozen=True)
class FunnelReport:
    """The whole funnel and one funnel per region (regions without participants are left out)."""

    overall: Funnel
    by_region: dict[str, Funnel]


@dataclass(frozen=True)
class ProjectLine:
    """A started project: its one-line description and the two sides' organisations and regions."""

    introduction_id: int
    description: str
    started_at: dt.datetime | None
    organisation_a: str
    organisation_b: str
    region_a: str
    region_b: str


def _counted_participants(session: Session, scope: Scope) -> dict[int, Participant]:
    rows = session.exec(
        select(Participant).where(
            col(Participant.consent_at).is_not(None),
            Participant.status != ParticipantStatus.DELETED,
            scope.condition(),
        )
    ).all()
    return {row.id: row for row in rows if row.id is not None}


def funnel_report(session: Session, *, scope: Scope | None = None) -> FunnelReport:
    """The funnel of people overall and per region, within the scope."""
    scope = scope or Scope.everything()
    people = _counted_participants(session, scope)
    reached: dict[str, set[int]] = {stage: set() for stage in STAGES}
    reached["participants"] = set(people)
    for a, b, answer_a, answer_b in session.exec(
        select(
            Suggestion.participant_a_id, Suggestion.participant_b_id, Suggestion.answer_a, Suggestion.answer_b
        )
    ).all():
        reached["suggested"].update((a, b))
        if answer_a == AnswerValue.YES:
            reached["accepted"].add(a)
        if answer_b == AnswerValue.YES:
            reached["accepted"].add(b)
    for a, b, contacted_at, project_started_at in session.exec(
        select(
            Introduction.participant_a_id,
            Introduction.participant_b_id,
            Introduction.contacted_at,
            Introduction.project_started_at,
        )
    ).all():
        reached["introduced"].update((a, b))
        if contacted_at is not None or project_started_at is not None:
            reached["contacted"].update((a, b))
        if project_started_at is not None:
            reached["projects"].update((a, b))
    overall = dict.fromkeys(STAGES, 0)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STAGES, 0))
    for stage, ids in reached.items():
        for pid in ids:
            person = people.get(pid)
            if person is None:  # outside the scope, deleted, or never consented
                continue
            overall[stage] += 1
            counts[person.region or NO_REGION][stage] += 1  # not "outside": not chosen yet
    return FunnelReport(
        overall=Funnel(**overall),
        by_region={
            region: Funnel(**values)
            for region, values in sorted(counts.items(), key=lambda pair: (pair[0] == NO_REGION, pair[0]))
        },
    )


def started_projects(session: Session, *, scope: Scope | None = None, limit: int = 20) -> list[ProjectLine]:
    """The most recently started projects with at least one side in the scope, newest first."""
    scope = scope or Scope.everything()
    in_scope = participant_ids_in_scope(session, scope=scope)
    rows = session.exec(
        select(Introduction)
        .where(
            col(Introduction.project_started_at).is_not(None),
            or_(
                scope.covers(Introduction.participant_a_id),
                scope.covers(Introduction.participant_b_id),
            ),
        )
        .order_by(col(Introduction.project_started_at).desc(), col(Introduction.id).desc())
        .limit(limit)
    ).all()
    ids = {pid for row in rows for pid in (row.participant_a_id, row.participant_b_id)}
    people = (
        {p.id: p for p in session.exec(select(Participant).where(col(Participant.id).in_(ids))).all()}
        if ids
        else {}
    )

    def side(pid: int) -> tuple[str, str]:
        person = people.get(pid)
        outside = (
            in_scope is not None and pid not in in_scope
        )  # the other side, outside the scope: no details
        if person is None or person.status == ParticipantStatus.DELETED or outside:
            return "", ""
        return person.organisation or "", person.region or ""

    lines = []
    for row in rows:
        org_a, region_a = side(row.participant_a_id)
        org_b, region_b = side(row.participant_b_id)
        lines.append(
            ProjectLine(
                introduction_id=row.id or 0,
                description=(row.project_description or "").strip(),
                started_at=row.project_started_at,
                organisation_a=org_a,
                organisation_b=org_b,
                region_a=region_a,
                region_b=region_b,
            )
        )
    return lines


@dataclass(frozen=True)
class ParkedMessage:
    """An outbox message that failed too often: its kind, to whom (a participant's name, if any; never the
    message text), attempts and last error."""

    outbox_id: int
    kind: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    recipient: str | None = None


def _parked_conditions(scope: Scope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(OutboxMessage.state) == OutboxState.PARKED]
    if not scope.is_global:  # a scoped organiser's: messages to participants in their scope only
        conditions.append(scope.covers(OutboxMessage.participant_id))
    return conditions


def parked_messages(
    session: Session, *, limit: int = 10, scope: Scope | None = None
) -> tuple[int, list[ParkedMessage]]:
    """How many outbox messages are parked (in the scope), and the oldest `limit` of them."""
    conditions = _parked_conditions(scope or Scope.everything())
    total = session.exec(select(func.count()).select_from(OutboxMessage).where(*conditions)).one()
    rows = session.exec(
        select(OutboxMessage, Participant.name)
        .join(Participant, col(Participant.id) == col(OutboxMessage.participant_id), isouter=True)
        .where(*conditions)
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    ).all()
    return int(total), [
        ParkedMessage(
            outbox_id=row.id or 0,
            kind=row.kind,
            attempts=row.attempts,
            last_error=(row.last_error or "")[:120],
            created_at=row.created_at,
            recipient=name,
        )
        for row, name in rows
    ]


def retry_parked(
    session: Session,
    *,
    outbox_id: int | None = None,
    now: dt.datetime | None = None,
    scope: Scope | None = None,
) -> int:
    """Put parked messages (one, or all when `outbox_id` is None; in a scope only its own) back in the queue.

    Returns how many.
    """
    scope = scope or Scope.everything()
    ids = None if outbox_id is None else [outbox_id]
    if not scope.is_global:
        query = select(OutboxMessage.id).where(*_parked_conditions(scope))
        if outbox_id is not None:
            query = query.where(OutboxMessage.id == outbox_id)
        ids = [int(i) for i in session.exec(query).all() if i is not None]
        if not ids:
            return 0
    return requeue_parked(session, now=now or utcnow(), message_ids=ids)


@dataclass(frozen=True)
class DemandItem:
    """An offer or need of an active, consenting participant (for the unmet-demand report)."""

    item_id: int
    participant_id: int
    kind: str
    text: str
    normalised: str
    role: str
    region: str


def demand_items(session: Session, *, scope: Scope | None = None) -> list[DemandItem]:
    """Every offer and need of active, consenting participants in the scope."""
    scope = scope or Scope.everything()
    rows = session.exec(
        select(ProfileItem, Participant.role, Participant.region)
        .join(Participant, col(Participant.id) == col(ProfileItem.participant_id))
        .where(
            col(Participant.status) == ParticipantStatus.ACTIVE,
            col(Participant.consent_at).is_not(None),
            col(ProfileItem.kind).in_([ItemKind.OFFER, ItemKind.NEED]),
            scope.condition(),
        )
        .order_by(col(ProfileItem.id))
    ).all()
    return [
        DemandItem(
            item_id=item.id or 0,
            participant_id=item.participant_id,
            kind=item.kind,
            text=item.text,
            normalised=item.normalised,
            role=role or "other",
            region=region or "outside",
        )
        for item, role, region in rows
    ]


def claim_run(
    session: Session, *, key: str, now: dt.datetime | None = None, claimed_by: str | None = None
) -> bool:
    """Claim one run of scheduled work (e.g. `organiser-summary:2026-W48`); False when it was claimed before.

    The shared JobRun claim: unique per key across processes; a claim whose process died (not finished
    after an hour) is taken over.
    """
    return claim_job_run(
        session,
        key=key,
        owner=claimed_by or "organiser",
        now=now or utcnow(),
        stale_after=dt.timedelta(hours=1),
    )


def participant_languages(session: Session, *, telegram_ids: list[int]) -> dict[int, str]:
    """The chosen language of those among `telegram_ids` who are participants."""
    if not telegram_ids:
        return {}
    rows = session.exec(
        select(Participant.telegram_id, Participant.language).where(
            col(Participant.telegram_id).in_(telegram_ids)
        )
    ).all()
    return {int(tid): language for tid, language in rows if tid is not None}


@dataclass(frozen=True)
class FlaggedIntroduction:
    """An introduction a side flagged for the coordinator ("plans changed") that has had no contact since.

    A side outside the organiser's scope shows no name or organisation (its region only).
    """

    introduction_id: int
    flagged_at: dt.datetime
    name_a: str
    organisation_a: str
    region_a: str
    name_b: str
    organisation_b: str
    region_b: str


def flagged_introductions(
    session: Session, *, scope: Scope | None = None, limit: int = 10
) -> tuple[int, list[FlaggedIntroduction]]:
    """(how many flagged introductions wait for a coordinator, the newest `limit`), within the scope."""
    scope = scope or Scope.everything()
    query = select(Introduction).where(
        col(Introduction.flagged_for_coordinator_at).is_not(None),
        col(Introduction.contacted_at).is_(None),
        col(Introduction.project_started_at).is_(None),
    )
    in_scope = participant_ids_in_scope(session, scope=scope)
    if in_scope is not None:
        query = query.where(
            col(Introduction.participant_a_id).in_(in_scope)
            | col(Introduction.participant_b_id).in_(in_scope)
        )
    rows = session.exec(query.order_by(col(Introduction.flagged_for_coordinator_at).desc())).all()
    shown = rows[:limit]
    ids = {pid for row in shown for pid in (row.participant_a_id, row.participant_b_id)}
    people = (
        {p.id: p for p in session.exec(select(Participant).where(col(Participant.id).in_(ids))).all()}
        if ids
        else {}
    )

    def side(pid: int) -> tuple[str, str, str]:
        person = people.get(pid)
        if person is None or person.status == ParticipantStatus.DELETED:
            return "", "", ""
        # Both sides by name, as in the notice: who flagged asked their region's organisers to help with this
        # pair (and /privacy says they get both names and organisations).
        return person.name or "", person.organisation or "", person.region or ""

    lines = []
    for row in shown:
        assert row.flagged_for_coordinator_at is not None
        name_a, org_a, region_a = side(row.participant_a_id)
        name_b, org_b, region_b = side(row.participant_b_id)
        lines.append(
            FlaggedIntroduction(
                row.id or 0, row.flagged_for_coordinator_at, name_a, org_a, region_a, name_b, org_b, region_b
            )
        )
    return len(rows), lines
