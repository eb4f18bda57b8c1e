"""Queries behind the retention promise: activity, who is due a warning or an erasure, stale invitations.

A person's last activity is `last_seen_at` (recorded on every interaction, to the hour), else the moment
they consented or were imported. The decision who is warned or erased is made in `bot.services.retention`;
the erasure itself is `storage.privacy.erase_participants`, the same path `/delete` takes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from storage.invitations import InvitationKind
from storage.models import Invitation, Participant, ParticipantStatus

__all__ = [
    "RetentionRow",
    "erased_since",
    "mark_warned",
    "record_activity",
    "retention_rows",
    "scrub_expired_invitations",
]


@dataclass(frozen=True)
class RetentionRow:
    """What the retention decision needs about one (not erased) participant."""

    participant_id: int
    chat_id: int | None
    language: str
    status: str
    last_activity: dt.datetime
    warned_at: dt.datetime | None


def retention_rows(session: Session) -> list[RetentionRow]:
    """Every participant not erased yet, with their last activity and retention warning."""
    people = session.exec(
        select(Participant)
        .where(col(Participant.status) != ParticipantStatus.DELETED)
        .order_by(col(Participant.id))
    ).all()
    return [
        RetentionRow(
            participant_id=p.id,
            chat_id=p.chat_id,
            language=p.language or "nl",
            status=p.status,
            last_activity=max(m for m in (p.last_seen_at, p.consent_at, p.created_at) if m is not None),
            warned_at=p.retention_warned_at,
        )
        for p in people
        if p.id is not None
    ]


def mark_warned(session: Session, *, participant_ids: Sequence[int], now: dt.datetime) -> None:
    """Record that these participants' retention warning was queued."""
    for start in range(0, len(participant_ids), 500):
        session.execute(
            update(Participant)
            .where(col(Participant.id).in_(list(participant_ids[start : start + 500])))
            .values(retention_warned_at=now)
            .execution_options(synchronize_session=False)
        )


def record_activity(
    session: Session, *, telegram_id: int, now: dt.datetime, resolution: dt.timedelta = dt.timedelta(0)
) -> bool:
    """The person behind `telegram_id` did something: `last_seen_at = now`, unless it was set within
    `resolution` (no write then). True when a row was written.

    Someone marked `blocked` (a 403) who sends anything has unblocked the bot: they are active again.
    """
    unblocked = session.execute(
        update(Participant)
        .where(col(Participant.telegram_id) == telegram_id)
        .where(col(Participant.status) == ParticipantStatus.BLOCKED)
        .values(status=ParticipantStatus.ACTIVE, blocked_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(Participant)
        .where(col(Participant.telegram_id) == telegram_id)
        .where(col(Participant.status) != ParticipantStatus.DELETED)
        .where(
            or_(col(Participant.last_seen_at).is_(None), col(Participant.last_seen_at) <= now - resolution)
        )
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount or unblocked.rowcount)  # type: ignore[attr-defined]


def erased_since(session: Session, *, since: dt.datetime) -> int:
    """How many participants were erased (by /delete or retention) since `since`."""
    return len(
        session.exec(
            select(Participant.id)
            .where(Participant.status == ParticipantStatus.DELETED)
            .where(col(Participant.deleted_at) >= since)
        ).all()
    )


def scrub_expired_invitations(session: Session, *, now: dt.datetime) -> int:
    """Clear the personal fields (name, e-mail, prefill, Telegram id) of personal invitations that expired
    unused: the organiser's data about someone who never came. Returns how many were cleared."""
    result = session.execute(
        update(Invitation)
        .where(col(Invitation.kind) == InvitationKind.PERSONAL)
        .where(col(Invitation.used_at).is_(None))
        .where(col(Invitation.expires_at) <= now)
        .where(
            or_(
                col(Invitation.name).is_not(None),
                col(Invitation.email).is_not(None),
                col(Invitation.telegram_id).is_not(None),
                col(Invitation.source_key).is_not(None),
            )
        )
        .values(name=None, email=None, prefill={}, telegram_id=None, source_key=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
