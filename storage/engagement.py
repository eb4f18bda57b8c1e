"""Queries behind the engagement jobs: job-run claims, digest recipients, waiting answers, follow-ups.

All functions take the session (the caller commits) and keyword-only arguments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, cast, func, literal, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    FollowUp,
    FollowUpKind,
    FollowUpState,
    Introduction,
    IntroductionStatus,
    JobRun,
    OutboxMessage,
    Participant,
    ParticipantStatus,
    ProfileItem,
    Suggestion,
    SuggestionStatus,
)

__all__ = [
    "Recipient",
    "cancel_followups",
    "claim_job_run",
    "create_followups",
    "digest_recipients",
    "digest_sent_to",
    "due_followups",
    "finish_job_run",
    "get_job_run",
    "introductions_without_followups",
    "item_counts",
    "last_suggested_at",
    "waiting_for_answer",
]

Recipient = tuple[int, int, str]  # participant id, chat id, language


# -- job runs ----------------------------------------------------------------------------------------------
def get_job_run(session: Session, *, key: str) -> JobRun | None:
    """The claim on one run of scheduled work, or None."""
    return session.exec(select(JobRun).where(JobRun.key == key)).first()


def claim_job_run(
    session: Session, *, key: str, owner: str, now: dt.datetime, stale_after: dt.timedelta
) -> bool:
    """Claim the run `key` (e.g. `digest:2026-W48`) for `owner`; False when someone else has it.

    A claim that never finished and is older than `stale_after` (its process died) is taken over.
    """
    existing = get_job_run(session, key=key)
    if existing is None:
        try:
            with session.begin_nested():
                session.add(JobRun(key=key, claimed_by=owner, started_at=now))
            return True
        except IntegrityError:
            existing = get_job_run(session, key=key)
            if existing is None:  # pragma: no cover - deleted in between
                return False
    if existing.finished_at is not None or existing.started_at > now - stale_after:
        return False
    result = session.execute(
        update(JobRun)
        .where(col(JobRun.id) == existing.id)
        .where(col(JobRun.started_at) == existing.started_at)
        .where(col(JobRun.finished_at).is_(None))
        .values(claimed_by=owner, started_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_job_run(session: Session, *, key: str, now: dt.datetime, details: dict[str, Any]) -> None:
    """Mark the run `key` finished, with a summary."""
    session.execute(
        update(JobRun)
        .where(col(JobRun.key) == key)
        .values(finished_at=now, details=details)
        .execution_options(synchronize_session=False)
    )


# -- digest ------------------------------------------------------------------------------------------------
def digest_recipients(session: Session) -> list[Recipient]:
    """Active participants with a completed profile and a chat: (participant id, chat id, language)."""
    rows = session.exec(
        select(Participant.id, Participant.chat_id, Participant.language)
        .where(Participant.status == ParticipantStatus.ACTIVE)
        .where(col(Participant.profile_completed_at).is_not(None))
        .where(col(Participant.chat_id).is_not(None))
        .order_by(col(Participant.id))
    ).all()
    return [
        (pid, chat, language or "nl") for pid, chat, language in rows if pid is not None and chat is not None
    ]


def digest_sent_to(session: Session, *, week: str) -> set[int]:
    """The participants whose digest for `week` is queued already (its first message is in the outbox)."""
    header = literal("digest:") + cast(col(OutboxMessage.participant_id), String) + literal(f":{week}")
    rows = session.exec(
        select(OutboxMessage.participant_id)
        .where(col(OutboxMessage.kind) == "digest")
        .where(col(OutboxMessage.dedupe_key) == header)
    ).all()
    return {pid for pid in rows if pid is not None}


def waiting_for_answer(
    session: Session, *, now: dt.datetime, exclude_ids: Iterable[int] = (), participant_id: int | None = None
) -> dict[int, list[Suggestion]]:
    """participant id → pending suggestions they saw but did not answer yet ("later" included), oldest first.

    Only suggestions whose other side is still active and that have not expired; `exclude_ids` leaves out
    suggestion ids (e.g. the ones made this week); `participant_id`: only that person's (the key then is
    theirs alone). Scans light columns first and loads only the rows needed.
    """
    excluded = set(exclude_ids)
    active = set(
        session.exec(select(Participant.id).where(Participant.status == ParticipantStatus.ACTIVE)).all()
    )
    query = (
        sa_select(
            col(Suggestion.id),
            col(Suggestion.participant_a_id),
            col(Suggestion.participant_b_id),
            col(Suggestion.answer_a),
            col(Suggestion.answer_b),
            col(Suggestion.shown_a_at),
            col(Suggestion.shown_b_at),
        )
        .where(col(Suggestion.status) == SuggestionStatus.PENDING)
        .where(or_(col(Suggestion.expires_at).is_(None), col(Suggestion.expires_at) > now))
        .order_by(col(Suggestion.created_at), col(Suggestion.id))
    )
    if participant_id is not None:
        query = query.where(
            or_(
                col(Suggestion.participant_a_id) == participant_id,
                col(Suggestion.participant_b_id) == participant_id,
            )
        )
    scan = session.execute(query).all()
    wanted: dict[int, list[int]] = defaultdict(list)
    for sid, a, b, answer_a, answer_b, shown_a, shown_b in scan:
        if sid is None or sid in excluded:
            continue
        for me, other, answer, shown in ((a, b, answer_a, shown_a), (b, a, answer_b, shown_b)):
            if shown is not None and answer in (None, "later") and other in active:
                if participant_id is None or me == participant_id:
                    wanted[me].append(sid)
    ids = sorted({sid for sids in wanted.values() for sid in sids})
    rows: dict[int, Suggestion] = {}
    for start in range(0, len(ids), 900):
        for row in session.exec(
            select(Suggestion).where(col(Suggestion.id).in_(ids[start : start + 900]))
        ).all():
            assert row.id is not None
            rows[row.id] = row
    return {me: [rows[sid] for sid in sids if sid in rows] for me, sids in wanted.items()}


def last_suggested_at(session: Session) -> dict[int, dt.datetime]:
    """participant id → when they were last part of a new suggestion."""
    result: dict[int, dt.datetime] = {}
    for column in (col(Suggestion.participant_a_id), col(Suggestion.participant_b_id)):
        query = select(column, func.max(Suggestion.created_at)).group_by(column)
        for participant_id, when in session.exec(query).all():
            if when is not None and (participant_id not in result or when > result[participant_id]):
                result[participant_id] = when
    return result


def item_counts(session: Session) -> dict[int, dict[str, int]]:
    """participant id → number of profile items per kind (offer, need, theme)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    query = select(ProfileItem.participant_id, ProfileItem.kind, func.count()).group_by(
        col(ProfileItem.participant_id), col(ProfileItem.kind)
    )
    for participant_id, kind, count in session.exec(query).all():
        counts[participant_id][kind] = count
    return dict(counts)


# -- follow-ups --------------------------------------------------------------------------------------------
def introductions_without_followups(session: Session, *, limit: int = 1000) -> list[Introduction]:
    """Introductions (not stopped) that have no follow-up rows yet."""
    has_rows = select(FollowUp.introduction_id).distinct()
    return list(
        session.exec(
            select(Introduction)
            .where(col(Introduction.id).not_in(has_rows))
            .where(Introduction.status != IntroductionStatus.STOPPED)
            .order_by(col(Introduction.id))
            .limit(limit)
        ).all()
    )


def create_followups(
    session: Session,
    *,
    introduction: Introduction,
    schedule: list[tuple[FollowUpKind, dt.datetime]],
    participant_ids: Iterable[int] | None = None,
) -> list[FollowUp]:
    """One scheduled follow-up per side (or the given sides) and kind; existing ones are kept as they are.

    The introduction's row is locked first, so two rounds at once (the scheduler of two processes) do not
    both create the same rows (PostgreSQL; SQLite has one writer at a time anyway)."""
    assert introduction.id is not None
    session.exec(select(Introduction.id).where(Introduction.id == introduction.id).with_for_update()).first()
    existing = {
        (row.participant_id, row.kind)
        for row in session.exec(select(FollowUp).where(FollowUp.introduction_id == introduction.id)).all()
    }
    created: list[FollowUp] = []
    sides = (introduction.participant_a_id, introduction.participant_b_id)
    for participant_id in participant_ids if participant_ids is not None else sides:
        for kind, due_at in schedule:
            if (participant_id, kind) in existing:
                continue
            row = FollowUp(
                introduction_id=introduction.id, participant_id=participant_id, kind=kind, due_at=due_at
            )
            session.add(row)
            created.append(row)
    session.flush()
    return created


def due_followups(session: Session, *, now: dt.datetime, limit: int = 500) -> list[FollowUp]:
    """Scheduled follow-ups whose moment has come, oldest first."""
    return list(
        session.exec(
            select(FollowUp)
            .where(FollowUp.state == FollowUpState.SCHEDULED)
            .where(col(FollowUp.due_at) <= now)
            .order_by(col(FollowUp.due_at), col(FollowUp.id))
            .limit(limit)
        ).all()
    )


def cancel_followups(
    session: Session,
    *,
    introduction_id: int,
    participant_id: int | None = None,
    kinds: Iterable[str] | None = None,
) -> int:
    """Cancel scheduled follow-ups of an introduction (one side, some kinds, or all); returns how many."""
    query = (
        update(FollowUp)
        .where(col(FollowUp.introduction_id) == introduction_id)
        .where(col(FollowUp.state) == FollowUpState.SCHEDULED)
    )
    if participant_id is not None:
        query = query.where(col(FollowUp.participant_id) == participant_id)
    if kinds is not None:
        query = query.where(col(FollowUp.kind).in_(list(kinds)))
    result = session.execute(
        query.values(state=FollowUpState.CANCELLED).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
