"""Who is an organiser: the ids in ORGANISER_IDS plus those added with `/organisers add`, and their scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import (
    Organiser,
    OrganiserChat,
    OrganiserDraft,
    OutboxMessage,
    OutboxState,
    Participant,
    ParticipantStatus,
)
from storage.scope import Scope
from storage.types import utcnow

__all__ = [
    "OrganiserLine",
    "add_organiser",
    "clear_draft",
    "get_draft",
    "set_draft",
    "find_person_by_username",
    "is_organiser",
    "list_organisers",
    "organiser_ids",
    "organiser_scope",
    "organisers_for_region",
    "organisers_with_chat",
    "record_organiser_chat",
    "remove_organiser",
]


def is_organiser(session: Session, *, telegram_id: int, configured: Iterable[int]) -> bool:
    """True for a configured organiser or one added in the bot."""
    if telegram_id in set(configured):
        return True
    return session.exec(select(Organiser.id).where(Organiser.telegram_id == telegram_id)).first() is not None


def organiser_scope(session: Session, *, telegram_id: int, configured: Iterable[int]) -> Scope | None:
    """The organiser's scope (ORGANISER_IDS are global), or None for somebody who is no organiser."""
    if telegram_id in set(configured):
        return Scope.everything()
    row = session.exec(select(Organiser).where(Organiser.telegram_id == telegram_id)).first()
    if row is None:
        return None
    return Scope(region=row.region, event_code=row.event_code)


def organiser_ids(session: Session, *, configured: Iterable[int]) -> list[int]:
    """Every organiser's Telegram id, configured first, without duplicates."""
    ids = list(dict.fromkeys(configured))
    for telegram_id in session.exec(select(Organiser.telegram_id).order_by(col(Organiser.id))).all():
        if telegram_id not in ids:
            ids.append(telegram_id)
    return ids


@dataclass(frozen=True)
class OrganiserLine:
    """One organiser for /organisers: id, how they are called, their scope, configured or added."""

    telegram_id: int
    name: str | None
    username: str | None
    scope: Scope
    configured: bool


def list_organisers(session: Session, *, configured: Iterable[int]) -> list[OrganiserLine]:
    """Every organiser, configured first, with a name (from their row or their participant profile)."""
    configured = list(dict.fromkeys(configured))
    rows = {row.telegram_id: row for row in session.exec(select(Organiser).order_by(col(Organiser.id))).all()}
    ids = configured + [tid for tid in rows if tid not in configured]
    people = (
        {
            p.telegram_id: p
            for p in session.exec(select(Participant).where(col(Participant.telegram_id).in_(ids))).all()
        }
        if ids
        else {}
    )
    lines = []
    for telegram_id in ids:
        row, person = rows.get(telegram_id), people.get(telegram_id)
        is_configured = telegram_id in configured
        scope = Scope(region=row.region, event_code=row.event_code) if row and not is_configured else Scope()
        lines.append(
            OrganiserLine(
                telegram_id=telegram_id,
                name=(row.name if row else None) or (person.name if person else None),
                username=(row.username if row else None) or (person.username if person else None),
                scope=scope,
                configured=is_configured,
            )
        )
    return lines


def organisers_for_region(
    session: Session, *, region: str | None, configured: Iterable[int], fallback: bool = True
) -> list[int]:
    """Who hears about a region's matters: its regional organisers, or when it has none the global ones.

    With `fallback=False` only the regional ones (an empty list when the region has none).
    """
    if region is not None:
        regional = session.exec(
            select(Organiser.telegram_id).where(Organiser.region == region).order_by(col(Organiser.id))
        ).all()
        if regional or not fallback:
            return list(regional)
    if not fallback:
        return []
    configured = list(dict.fromkeys(configured))
    added = session.exec(
        select(Organiser.telegram_id)
        .where(col(Organiser.region).is_(None), col(Organiser.event_code).is_(None))
        .order_by(col(Organiser.id))
    ).all()
    return configured + [tid for tid in added if tid not in configured]


def find_person_by_username(session: Session, *, username: str) -> tuple[int, str | None, str | None] | None:
    """(Telegram id, name, username as stored) of the participant with this @username (any case), or None."""
    wanted = username.lstrip("@").lower()
    row = session.exec(
        select(Participant.telegram_id, Participant.name, Participant.username).where(
            func.lower(col(Participant.username)) == wanted,
            col(Participant.telegram_id).is_not(None),
            Participant.status != ParticipantStatus.DELETED,
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return int(row[0]), row[1], row[2]


def add_organiser(
    session: Session,
    *,
    telegram_id: int,
    added_by: int | None,
    scope: Scope | None = None,
    name: str | None = None,
    username: str | None = None,
) -> bool:
    """Add an organiser (global, or with a scope); False when they already were one (added in the bot).

    Adding someone who already is an organiser updates their scope (and name) instead.
    """
    scope = scope or Scope.everything()
    row = session.exec(select(Organiser).where(Organiser.telegram_id == telegram_id)).first()
    created = row is None
    if row is None:
        row = Organiser(telegram_id=telegram_id, added_by=added_by)
    row.region, row.event_code = scope.region, scope.event_code
    row.name = name or row.name
    row.username = username or row.username
    session.add(row)
    session.flush()
    return created


def remove_organiser(session: Session, *, telegram_id: int) -> bool:
    """Remove an organiser added in the bot (and the record of their chat); configured ones stay (they live in
    ORGANISER_IDS)."""
    row = session.exec(select(Organiser).where(Organiser.telegram_id == telegram_id)).first()
    if row is None:
        return False
    session.delete(row)
    chat = session.get(OrganiserChat, telegram_id)
    if chat is not None:
        session.delete(chat)
    session.flush()
    return True


def record_organiser_chat(
    session: Session, *, telegram_id: int, configured: Iterable[int], now: dt.datetime
) -> bool:
    """An organiser sent the bot something in their private chat: Telegram knows the chat now. Recorded once;
    False (nothing written) when already recorded or for somebody who is no organiser."""
    if session.get(OrganiserChat, telegram_id) is not None:
        return False
    if not is_organiser(session, telegram_id=telegram_id, configured=configured):
        return False
    session.add(OrganiserChat(telegram_id=telegram_id, started_at=now))
    session.flush()
    return True


def organisers_with_chat(session: Session, *, telegram_ids: Iterable[int]) -> set[int]:
    """Those of `telegram_ids` who started a chat with the bot, so a message to them can arrive: recorded in
    `organiser_chat`, a participant with a chat (who consented), or sent a message before (the outbox)."""
    ids = list(dict.fromkeys(telegram_ids))
    if not ids:
        return set()
    recorded = session.exec(select(OrganiserChat.telegram_id).where(col(OrganiserChat.telegram_id).in_(ids)))
    participating = session.exec(
        select(Participant.telegram_id).where(
            col(Participant.telegram_id).in_(ids),
            col(Participant.chat_id).is_not(None),
            Participant.status != ParticipantStatus.DELETED,
        )
    )
    delivered = session.exec(
        select(OutboxMessage.chat_id)
        .where(col(OutboxMessage.chat_id).in_(ids), OutboxMessage.state == OutboxState.SENT)
        .distinct()
    )
    return {int(i) for rows in (recorded, participating, delivered) for i in rows.all() if i is not None}


def get_draft(session: Session, *, telegram_id: int) -> OrganiserDraft | None:
    """The organiser's multi-step command in progress, if any."""
    return session.get(OrganiserDraft, telegram_id)


def set_draft(session: Session, *, telegram_id: int, kind: str, step: str, data: dict[str, object]) -> None:
    """Start or advance the organiser's multi-step command (one at a time)."""
    draft = session.get(OrganiserDraft, telegram_id)
    if draft is None:
        draft = OrganiserDraft(telegram_id=telegram_id, kind=kind, step=step)
    draft.kind, draft.step, draft.data, draft.updated_at = kind, step, dict(data), utcnow()
    session.add(draft)
    session.flush()


def clear_draft(session: Session, *, telegram_id: int) -> None:
    """End the organiser's multi-step command."""
    draft = session.get(OrganiserDraft, telegram_id)
    if draft is not None:
        session.delete(draft)
        session.flush()
