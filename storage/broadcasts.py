"""Broadcasts: an organiser's message to everyone or to a segment, delivered through the outbox.

A broadcast's life: `draft` (the organiser is writing it and choosing the segment; the draft lives in this
row, whether or not the organiser is a participant) → `sending` (one outbox row per recipient, dedupe key
`broadcast:<id>:<participant>`) → `done`, or `cancelled` (pending rows cancelled). `finished_at` is set
once no row is pending or being sent, when the final report has been made.

A segment is a dict of filters that must all hold: `region`, `role`, `event` (an event id) and `theme`
(the keyword as typed) with `theme_terms` (its normalised terms: a recipient has a profile item, offer, need
or theme, holding every term), and `could_offer` (from the unmet-demand report: `roles`, `terms`, `askers`;
a recipient has one of the roles or an offer holding one of the terms, and is none of the askers), and
`inactive_weeks` (no interaction for that many weeks: `last_seen_at`, or `created_at` for someone never seen).
Recipients are active participants who consented and have a chat.
`scope` (an organiser's `storage.scope.Scope` as `{"region": ..., "event_code": ...}`) is set when a scoped
organiser starts the draft and restricts every recipient to it, whatever other filters say, except
`could_offer` (those who could offer may live anywhere: that is its point; its askers are the organiser's
own people, and choosing another segment brings the scope back). The draft's own UI
state (`ui`: language, step, last shown counts) is kept in the same dict and ignored when selecting
recipients.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, literal, or_, true, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.models import (
    Broadcast,
    BroadcastStatus,
    Event,
    ItemKind,
    OutboxMessage,
    OutboxState,
    Participant,
    ParticipantEvent,
    ParticipantStatus,
    ProfileItem,
)
from storage.outbox import count_by_state, enqueue_many
from storage.scope import Scope
from storage.types import utcnow

__all__ = [
    "FILTER_KEYS",
    "BroadcastLine",
    "broadcast_history",
    "cancel_broadcast",
    "count_recipients",
    "create_draft",
    "open_draft",
    "progress_counts",
    "recipient_ids",
    "running_broadcasts",
    "scope_segment",
    "segment_scope",
    "start_broadcast",
]

FILTER_KEYS = ("region", "role", "event", "theme_terms", "could_offer", "inactive_weeks")


def _conditions(segment: Mapping[str, Any]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        col(Participant.status) == ParticipantStatus.ACTIVE,
        col(Participant.consent_at).is_not(None),
        col(Participant.chat_id).is_not(None),
    ]
    if not isinstance(segment.get("could_offer"), Mapping):  # those who could offer may live anywhere
        conditions.extend(segment_scope(segment).conditions())
    if segment.get("region"):
        conditions.append(col(Participant.region) == str(segment["region"]))
    if segment.get("role"):
        conditions.append(col(Participant.role) == str(segment["role"]))
    if segment.get("event") is not None:
        conditions.append(
            exists().where(
                col(ParticipantEvent.participant_id) == col(Participant.id),
                col(ParticipantEvent.event_id) == int(segment["event"]),
            )
        )
    terms = [str(term) for term in segment.get("theme_terms") or [] if str(term).strip()]
    if segment.get("theme") is not None and not terms:
        conditions.append(literal(False))  # a keyword with no meaningful word matches nobody
    if terms:
        padded = literal(" ") + col(ProfileItem.normalised) + literal(" ")
        conditions.append(
            exists().where(
                col(ProfileItem.participant_id) == col(Participant.id),
                *(padded.like(f"% {term} %") for term in terms),
            )
        )
    weeks = segment.get("inactive_weeks")
    if weeks:
        cutoff = utcnow() - dt.timedelta(weeks=int(weeks))
        conditions.append(
            or_(
                col(Participant.last_seen_at) < cutoff,
                and_(col(Participant.last_seen_at).is_(None), col(Participant.created_at) < cutoff),
            )
        )
    could_offer = segment.get("could_offer")
    if isinstance(could_offer, Mapping):
        conditions.append(_could_offer(could_offer))
    return conditions


def segment_scope(segment: Mapping[str, Any]) -> Scope:
    """The organiser's scope stored in a segment (the global scope when there is none)."""
    stored = segment.get("scope")
    if not isinstance(stored, Mapping):
        return Scope.everything()
    region, event_code = stored.get("region"), stored.get("event_code")
    return Scope(
        region=str(region) if region is not None else None,
        event_code=str(event_code) if event_code is not None else None,
    )


def scope_segment(scope: Scope) -> dict[str, Any]:
    """The segment entry that keeps a broadcast within `scope` (empty for the global scope)."""
    if scope.is_global:
        return {}
    return {"scope": {"region": scope.region, "event_code": scope.event_code}}


def _could_offer(filters: Mapping[str, Any]) -> ColumnElement[bool]:
    """Someone who could offer what was asked: a fitting role, or an offer sharing one of the terms."""
    roles = [str(role) for role in filters.get("roles") or []]
    terms = [str(term) for term in filters.get("terms") or [] if str(term).strip()]
    askers = [int(pid) for pid in filters.get("askers") or []]
    either: list[ColumnElement[bool]] = []
    if roles:
        either.append(col(Participant.role).in_(roles))
    if terms:
        padded = literal(" ") + col(ProfileItem.normalised) + literal(" ")
        either.append(
            exists().where(
                col(ProfileItem.participant_id) == col(Participant.id),
                col(ProfileItem.kind) == ItemKind.OFFER,
                or_(*(padded.like(f"% {term} %") for term in terms)),
            )
        )
    clause: ColumnElement[bool] = or_(*either) if either else literal(False)
    if askers:
        clause = and_(clause, col(Participant.id).not_in(askers))
    return clause


def recipient_ids(session: Session, *, segment: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(participant id, chat id) of everyone the segment reaches, by participant id."""
    rows = session.exec(
        select(Participant.id, Participant.chat_id).where(*_conditions(segment)).order_by(col(Participant.id))
    ).all()
    return [(int(pid), int(chat)) for pid, chat in rows if pid is not None and chat is not None]


def count_recipients(session: Session, *, segment: Mapping[str, Any]) -> int:
    """How many people the segment reaches."""
    return int(session.exec(select(func.count(col(Participant.id))).where(*_conditions(segment))).one())


def create_draft(
    session: Session,
    *,
    created_by: int | None,
    text: str = "",
    segment: Mapping[str, Any] | None = None,
) -> Broadcast:
    """A new draft; any older open draft of the same organiser is dropped (one draft at a time)."""
    if created_by is not None:
        for old in session.exec(
            select(Broadcast).where(
                Broadcast.created_by == created_by, Broadcast.status == BroadcastStatus.DRAFT
            )
        ).all():
            session.delete(old)
    draft = Broadcast(created_by=created_by, text=text, segment=dict(segment or {}))
    session.add(draft)
    session.flush()
    return draft


def open_draft(session: Session, *, created_by: int) -> Broadcast | None:
    """The organiser's current draft, if any."""
    return session.exec(
        select(Broadcast)
        .where(Broadcast.created_by == created_by, Broadcast.status == BroadcastStatus.DRAFT)
        .order_by(col(Broadcast.id).desc())
    ).first()


def start_broadcast(
    session: Session, *, broadcast: Broadcast, now: dt.datetime | None = None, text: str | None = None
) -> int:
    """Queue one outbox message per recipient and mark the broadcast sending; returns the recipient count.

    `text` is what each recipient gets (default: the broadcast's text as written).

    Idempotent: starting it again queues nobody twice (dedupe key `broadcast:<id>:<participant>`).
    """
    assert broadcast.id is not None
    now = now or utcnow()
    recipients = recipient_ids(session, segment=broadcast.segment)
    enqueue_many(
        session,
        [
            {
                "dedupe_key": f"broadcast:{broadcast.id}:{participant_id}",
                "chat_id": chat_id,
                "kind": "broadcast",
                "text": broadcast.text if text is None else text,
                "participant_id": participant_id,
                "parse_mode": broadcast.parse_mode,
                "broadcast_id": broadcast.id,
            }
            for participant_id, chat_id in recipients
        ],
    )
    if broadcast.status == BroadcastStatus.DRAFT:
        broadcast.status = BroadcastStatus.SENDING
        broadcast.total = len(recipients)
        broadcast.started_at = now
    session.add(broadcast)
    session.flush()
    return broadcast.total


def cancel_broadcast(session: Session, *, broadcast_id: int) -> int:
    """Stop a broadcast: its pending messages become cancelled; returns how many were cancelled."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return 0
    result = session.exec(  # type: ignore[call-overload]
        update(OutboxMessage)
        .where(
            col(OutboxMessage.broadcast_id) == broadcast_id,
            col(OutboxMessage.state) == OutboxState.PENDING,
        )
        .values(state=OutboxState.CANCELLED)
    )
    if broadcast.status in (BroadcastStatus.SENDING, BroadcastStatus.QUEUED, BroadcastStatus.DRAFT):
        broadcast.status = BroadcastStatus.CANCELLED
        session.add(broadcast)
    session.flush()
    return int(result.rowcount or 0)


def progress_counts(session: Session, *, broadcast_id: int) -> dict[str, int]:
    """The broadcast's outbox rows per state (pending, sending, sent, parked, blocked, cancelled)."""
    return count_by_state(session, broadcast_id=broadcast_id)


def running_broadcasts(session: Session) -> list[Broadcast]:
    """Broadcasts that were started and have not had their final report yet."""
    return list(
        session.exec(
            select(Broadcast)
            .where(
                col(Broadcast.started_at).is_not(None),
                col(Broadcast.finished_at).is_(None),
                col(Broadcast.status).in_([BroadcastStatus.SENDING, BroadcastStatus.CANCELLED]),
            )
            .order_by(col(Broadcast.id))
        ).all()
    )


@dataclass(frozen=True)
class BroadcastLine:
    """One sent (or stopped) broadcast for the history: what, when, to whom, and how delivery went."""

    broadcast_id: int
    text: str
    parse_mode: str | None
    segment: dict[str, Any]
    event_name: str | None
    status: str
    started_at: dt.datetime | None
    recipients: int
    counts: dict[str, int]  # outbox state → messages (sent, blocked, parked, pending, sending, cancelled)


def broadcast_history(
    session: Session, *, scope: Scope, organiser_id: int | None = None, limit: int = 10
) -> list[BroadcastLine]:
    """The newest started broadcasts with their delivery counts, counting only recipients in the scope.

    With a scope, a broadcast that reached nobody in it is left out, except the organiser's own
    (`organiser_id`, e.g. a could_offer broadcast to people elsewhere), counted in full.
    """
    candidates = session.exec(
        select(Broadcast)
        .where(col(Broadcast.started_at).is_not(None))
        .order_by(col(Broadcast.started_at).desc(), col(Broadcast.id).desc())
        .limit(limit * 5 if not scope.is_global else limit)
    ).all()
    own = {
        b.id
        for b in candidates
        if b.id is not None and organiser_id is not None and b.created_by == organiser_id
    }
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    others = [b.id for b in candidates if b.id is not None and b.id not in own]
    for ids, where in ((others, scope.covers(OutboxMessage.participant_id)), (list(own), true())):
        if not ids:
            continue
        for broadcast_id, state, number in session.exec(
            select(OutboxMessage.broadcast_id, OutboxMessage.state, func.count())
            .where(col(OutboxMessage.broadcast_id).in_(ids), where)
            .group_by(col(OutboxMessage.broadcast_id), col(OutboxMessage.state))
        ).all():
            if broadcast_id is not None:
                counts[int(broadcast_id)][str(state)] = int(number)
    event_ids = {int(b.segment["event"]) for b in candidates if b.segment.get("event") is not None}
    names = (
        {e.id: e.name for e in session.exec(select(Event).where(col(Event.id).in_(event_ids))).all()}
        if event_ids
        else {}
    )
    lines = []
    for broadcast in candidates:
        if broadcast.id is None:
            continue
        mine = counts.get(broadcast.id, {})
        if not scope.is_global and not mine and broadcast.id not in own:
            continue
        segment = {key: value for key, value in broadcast.segment.items() if key != "ui"}
        event = segment.get("event")
        lines.append(
            BroadcastLine(
                broadcast_id=broadcast.id,
                text=broadcast.text,
                parse_mode=broadcast.parse_mode,
                segment=segment,
                event_name=names.get(int(event)) if event is not None else None,
                status=broadcast.status,
                started_at=broadcast.started_at,
                recipients=sum(mine.values()),
                counts={state.value: mine.get(state.value, 0) for state in OutboxState},
            )
        )
    return lines[:limit]
