"""Suggestions (proposed pairs), never-suggest lists and introductions: the queries behind double opt-in.

A suggestion row holds one pair with `participant_a_id < participant_b_id`; each side answers on its own.
`reasons` is `{"a": [...], "b": [...]}`: the structured reasons from each side's point of view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import (
    Introduction,
    NeverSuggest,
    Participant,
    ParticipantStatus,
    Suggestion,
    SuggestionStatus,
)
from storage.types import utcnow

__all__ = [
    "OPEN_STATUSES",
    "PairHistory",
    "add_never",
    "create_introduction",
    "create_suggestion",
    "expire_due",
    "extend_pending",
    "get_suggestion",
    "inactive_ids",
    "incoming_since",
    "insert_suggestions",
    "introduction_for",
    "lock_suggestion",
    "never_pairs",
    "open_for",
    "own_yes_waiting",
    "open_pair_ids",
    "pair_history",
    "remove_never",
    "side_of",
    "suggestions_of",
    "unresponsive_counts",
    "week_suggestions",
    "withdraw_pending",
]

OPEN_STATUSES = (SuggestionStatus.PENDING, SuggestionStatus.INTRODUCED)


@dataclass(frozen=True)
class PairHistory:
    """Earlier outcomes of pairs, as plain ids (the service turns them into `matching.History`)."""

    suggested: frozenset[tuple[int, int]]
    declined: dict[tuple[int, int], dt.datetime]
    expired: dict[tuple[int, int], dt.datetime]


def side_of(suggestion: Suggestion, participant_id: int) -> str | None:
    """'a' or 'b' when the participant is a side of the suggestion, else None."""
    if suggestion.participant_a_id == participant_id:
        return "a"
    if suggestion.participant_b_id == participant_id:
        return "b"
    return None


def lock_suggestion(session: Session, *, suggestion_id: int) -> None:
    """Take the suggestion's write lock before reading it, until the transaction ends.

    Both sides may answer at the same moment. Without a lock each transaction reads the other's answer as
    missing (PostgreSQL's read committed; pysqlite reads outside a transaction until the first write), and
    two yeses never become an introduction. A no-op UPDATE is the portable row lock: PostgreSQL locks the
    row, SQLite takes its write lock (the other writer waits for the busy timeout).
    """
    session.execute(
        update(Suggestion).where(col(Suggestion.id) == suggestion_id).values(status=col(Suggestion.status))
    )


def get_suggestion(session: Session, *, suggestion_id: int) -> Suggestion | None:
    """The suggestion with this id, or None."""
    return session.get(Suggestion, suggestion_id)


def open_pair_ids(
    session: Session, *, participant_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], int]:
    """(a, b) → id of every pending or introduced suggestion (only those touching `participant_ids`)."""
    query = sa_select(
        col(Suggestion.participant_a_id), col(Suggestion.participant_b_id), col(Suggestion.id)
    ).where(col(Suggestion.status).in_(OPEN_STATUSES))
    if participant_ids is None:
        return {(a, b): sid for a, b, sid in session.execute(query).all()}
    wanted = sorted(set(participant_ids))
    found: dict[tuple[int, int], int] = {}
    for start in range(0, len(wanted), 450):
        chunk = wanted[start : start + 450]
        touching = or_(
            col(Suggestion.participant_a_id).in_(chunk), col(Suggestion.participant_b_id).in_(chunk)
        )
        found.update({(a, b): sid for a, b, sid in session.execute(query.where(touching)).all()})
    return found


def insert_suggestions(
    session: Session, rows: list[dict[str, Any]], *, source: str, week: str | None, now: dt.datetime
) -> list[int]:
    """Insert many new pending suggestions at once (dicts of Suggestion columns); returns their ids in order.

    Every dict needs `participant_a_id < participant_b_id`, `score` and `reasons`; `status`, `source`, `week`
    and `created_at` are set here (and added to the dicts). One statement however many pairs (the weekly
    digest records thousands).
    """
    if not rows:
        return []
    for row in rows:
        if not row["participant_a_id"] < row["participant_b_id"]:
            raise ValueError("participant_a_id must be lower than participant_b_id")
        row.update(status=SuggestionStatus.PENDING.value, source=source, week=week, created_at=now)
    result = session.execute(
        insert(Suggestion).returning(col(Suggestion.id), sort_by_parameter_order=True), rows
    )
    return [int(sid) for sid in result.scalars().all()]


def create_suggestion(
    session: Session,
    *,
    a_id: int,
    b_id: int,
    score: float,
    reasons: dict[str, Any],
    source: str,
    week: str | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Suggestion:
    """A new pending suggestion for the pair; `a_id < b_id` is required."""
    if not a_id < b_id:
        raise ValueError("participant_a_id must be lower than participant_b_id")
    suggestion = Suggestion(
        participant_a_id=a_id,
        participant_b_id=b_id,
        score=score,
        reasons=reasons,
        source=source,
        week=week,
        expires_at=expires_at,
        created_at=now or utcnow(),
    )
    session.add(suggestion)
    session.flush()
    return suggestion


def _other_side(participant_id: int) -> ColumnElement[int]:
    """In SQL: the id of a suggestion's side that is not `participant_id`."""
    return func.coalesce(
        func.nullif(col(Suggestion.participant_a_id), participant_id), col(Suggestion.participant_b_id)
    )


def open_for(
    session: Session, *, participant_id: int, now: dt.datetime, limit: int | None = None
) -> list[Suggestion]:
    """Pending suggestions this person still has to answer ("later" included), the other side active.

    Ordered: suggestions the other side already accepted first, then by score.
    """
    other = aliased(Participant)
    is_a = col(Suggestion.participant_a_id) == participant_id
    is_b = col(Suggestion.participant_b_id) == participant_id
    mine_open_a = is_a & (col(Suggestion.answer_a).is_(None) | (col(Suggestion.answer_a) == "later"))
    mine_open_b = is_b & (col(Suggestion.answer_b).is_(None) | (col(Suggestion.answer_b) == "later"))
    other_id = _other_side(participant_id)
    query = (
        select(Suggestion)
        .join(other, col(other.id) == other_id)
        .where(
            Suggestion.status == SuggestionStatus.PENDING,
            or_(mine_open_a, mine_open_b),
            other.status == ParticipantStatus.ACTIVE,
            or_(col(Suggestion.expires_at).is_(None), col(Suggestion.expires_at) > now),
        )
    )
    rows = list(session.exec(query).all())

    def order(row: Suggestion) -> tuple[int, int, float, int]:
        side = side_of(row, participant_id)
        theirs = row.answer_b if side == "a" else row.answer_a
        mine = row.answer_a if side == "a" else row.answer_b
        return (0 if theirs == "yes" else 1, 1 if mine == "later" else 0, -row.score, row.id or 0)

    rows.sort(key=order)
    return rows[:limit] if limit is not None else rows


def own_yes_waiting(session: Session, *, participant_id: int, now: dt.datetime) -> list[Suggestion]:
    """Suggestions this person said yes to that did not lead to an introduction yet, oldest answer first.

    The other side's answer plays no part: a suggestion the other side declined stays in this list exactly as
    long as an unanswered one would (until its expiry; a paused other side keeps it waiting), so the list
    never tells the decline. Withdrawn ones (the other side left) and expired ones are not listed.
    """
    other = aliased(Participant)
    is_a = col(Suggestion.participant_a_id) == participant_id
    is_b = col(Suggestion.participant_b_id) == participant_id
    other_id = _other_side(participant_id)
    query = (
        select(Suggestion)
        .join(other, col(other.id) == other_id)
        .where(
            col(Suggestion.status).in_((SuggestionStatus.PENDING, SuggestionStatus.DECLINED)),
            or_(is_a & (col(Suggestion.answer_a) == "yes"), is_b & (col(Suggestion.answer_b) == "yes")),
            col(other.status) != ParticipantStatus.DELETED,
            or_(
                col(Suggestion.expires_at).is_(None),
                col(Suggestion.expires_at) > now,
                col(other.status) == ParticipantStatus.PAUSED,
            ),
        )
    )
    rows = list(session.exec(query).all())

    def answered_at(row: Suggestion) -> tuple[dt.datetime, int]:
        when = row.answered_a_at if side_of(row, participant_id) == "a" else row.answered_b_at
        return (when or row.created_at, row.id or 0)

    return sorted(rows, key=answered_at)


def suggestions_of(session: Session, *, participant_id: int) -> list[Suggestion]:
    """Every suggestion the participant is a side of, oldest first."""
    return list(
        session.exec(
            select(Suggestion)
            .where(
                or_(
                    col(Suggestion.participant_a_id) == participant_id,
                    col(Suggestion.participant_b_id) == participant_id,
                )
            )
            .order_by(col(Suggestion.id))
        ).all()
    )


def withdraw_pending(session: Session, *, participant_id: int, now: dt.datetime | None = None) -> int:
    """Withdraw the participant's pending suggestions (pause, deletion, blocked); returns how many."""
    now = now or utcnow()
    rows = [s for s in suggestions_of(session, participant_id=participant_id) if s.status == "pending"]
    for row in rows:
        row.status = SuggestionStatus.WITHDRAWN
        row.closed_at = now
        session.add(row)
    session.flush()
    return len(rows)


def extend_pending(session: Session, *, participant_id: int, by: dt.timedelta) -> int:
    """After a pause of length `by`: the participant's pending suggestions expire that much later (the
    pause kept them waiting); returns how many were moved. Their declined ones move too: the other side
    lists one it said yes to until its expiry (`own_yes_waiting`), and a decline must not end it sooner."""
    moved = 0
    for row in suggestions_of(session, participant_id=participant_id):
        waiting = (SuggestionStatus.PENDING, SuggestionStatus.DECLINED)
        if row.status not in waiting or row.expires_at is None:
            continue
        row.expires_at = row.expires_at + by
        session.add(row)
        moved += 1
    session.flush()
    return moved


def expire_due(session: Session, *, now: dt.datetime, participant_id: int | None = None) -> int:
    """Pending suggestions past `expires_at` become `expired` (closed at their expiry); returns how many.

    Run before the matcher reads `pair_history`, so a lapsed pair counts as expired (suggested again only
    after the cooldown) instead of as still open. With `participant_id`, only that person's suggestions.
    A suggestion with a paused side waits: it does not expire during the pause (see `extend_pending`).
    """
    paused = sa_select(col(Participant.id)).where(col(Participant.status) == ParticipantStatus.PAUSED)
    query = (
        update(Suggestion)
        .where(col(Suggestion.status) == SuggestionStatus.PENDING)
        .where(col(Suggestion.expires_at).is_not(None), col(Suggestion.expires_at) <= now)
        .where(
            col(Suggestion.participant_a_id).not_in(paused), col(Suggestion.participant_b_id).not_in(paused)
        )
    )
    if participant_id is not None:
        query = query.where(
            or_(
                col(Suggestion.participant_a_id) == participant_id,
                col(Suggestion.participant_b_id) == participant_id,
            )
        )
    result = session.execute(
        query.values(status=SuggestionStatus.EXPIRED, closed_at=col(Suggestion.expires_at)).execution_options(
            synchronize_session=False
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def pair_history(session: Session, *, participant_id: int | None = None) -> PairHistory:
    """Pairs suggested (pending/introduced), declined and expired/withdrawn, for everyone or one person."""
    query = sa_select(
        col(Suggestion.participant_a_id),
        col(Suggestion.participant_b_id),
        col(Suggestion.status),
        col(Suggestion.closed_at),
        col(Suggestion.created_at),
    )
    if participant_id is not None:
        query = query.where(
            or_(
                col(Suggestion.participant_a_id) == participant_id,
                col(Suggestion.participant_b_id) == participant_id,
            )
        )
    suggested: set[tuple[int, int]] = set()
    declined: dict[tuple[int, int], dt.datetime] = {}
    expired: dict[tuple[int, int], dt.datetime] = {}
    for a, b, status, closed_at, created_at in session.execute(query).all():
        pair = (a, b)
        when = closed_at or created_at
        if status in OPEN_STATUSES:
            suggested.add(pair)
        elif status == SuggestionStatus.DECLINED:
            declined[pair] = max(when, declined.get(pair, when))
        else:
            expired[pair] = max(when, expired.get(pair, when))
    return PairHistory(frozenset(suggested), declined, expired)


def never_pairs(session: Session, *, participant_id: int | None = None) -> dict[int, set[int]]:
    """participant id -> ids they never want suggested (for everyone, or rows touching one person)."""
    query = select(NeverSuggest.participant_id, NeverSuggest.other_id)
    if participant_id is not None:
        query = query.where(
            or_(
                col(NeverSuggest.participant_id) == participant_id,
                col(NeverSuggest.other_id) == participant_id,
            )
        )
    result: dict[int, set[int]] = {}
    for owner, other in session.exec(query).all():
        result.setdefault(owner, set()).add(other)
    return result


def add_never(session: Session, *, participant_id: int, other_id: int) -> None:
    """Never suggest `other_id` to `participant_id` again (idempotent)."""
    exists = session.exec(
        select(NeverSuggest.id).where(
            NeverSuggest.participant_id == participant_id, NeverSuggest.other_id == other_id
        )
    ).first()
    if exists is None:
        session.add(NeverSuggest(participant_id=participant_id, other_id=other_id))
        session.flush()


def remove_never(session: Session, *, participant_id: int, other_id: int) -> None:
    """Undo `add_never`."""
    for row in session.exec(
        select(NeverSuggest).where(
            NeverSuggest.participant_id == participant_id, NeverSuggest.other_id == other_id
        )
    ).all():
        session.delete(row)
    session.flush()


def incoming_since(session: Session, *, since: dt.datetime) -> dict[int, int]:
    """participant id -> suggestions created since `since` that they are a side of."""
    counts: dict[int, int] = {}
    for column in (Suggestion.participant_a_id, Suggestion.participant_b_id):
        query = (
            select(column, func.count()).where(col(Suggestion.created_at) >= since).group_by(column)  # type: ignore[arg-type]
        )
        for participant_id, count in session.exec(query).all():
            counts[participant_id] = counts.get(participant_id, 0) + count
    return counts


def unresponsive_counts(session: Session) -> dict[int, int]:
    """participant id -> unresponsiveness reports, for those with any."""
    rows = session.exec(
        select(Participant.id, Participant.unresponsive_reports).where(Participant.unresponsive_reports > 0)
    ).all()
    return {participant_id: count for participant_id, count in rows if participant_id is not None}


def inactive_ids(session: Session, *, among: Iterable[int] | None = None) -> set[int]:
    """Ids of paused, blocked or deleted participants."""
    query = select(Participant.id).where(Participant.status != ParticipantStatus.ACTIVE)
    if among is not None:
        query = query.where(col(Participant.id).in_(list(among)))
    return {pid for pid in session.exec(query).all() if pid is not None}


def introduction_for(session: Session, *, suggestion_id: int) -> Introduction | None:
    """The introduction made from this suggestion, or None."""
    return session.exec(select(Introduction).where(Introduction.suggestion_id == suggestion_id)).first()


def create_introduction(session: Session, *, suggestion: Suggestion, now: dt.datetime) -> Introduction:
    """Record that both sides said yes (idempotent per suggestion)."""
    assert suggestion.id is not None
    existing = introduction_for(session, suggestion_id=suggestion.id)
    if existing is not None:
        return existing
    introduction = Introduction(
        suggestion_id=suggestion.id,
        participant_a_id=suggestion.participant_a_id,
        participant_b_id=suggestion.participant_b_id,
        introduced_at=now,
    )
    session.add(introduction)
    session.flush()
    return introduction


def week_suggestions(session: Session, *, participant_id: int, week: str) -> list[Suggestion]:
    """The suggestions a week's digest made for this person (any status now), in the order made."""
    return list(
        session.exec(
            select(Suggestion)
            .where(
                Suggestion.week == week,
                Suggestion.source == "digest",
                or_(
                    col(Suggestion.participant_a_id) == participant_id,
                    col(Suggestion.participant_b_id) == participant_id,
                ),
            )
            .order_by(col(Suggestion.id))
        ).all()
    )
