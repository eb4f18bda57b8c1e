"""The outbox: messages the bot sends on its own initiative are first rows here, then delivered.

Enqueueing is idempotent by `dedupe_key`: enqueueing the same key twice leaves one row. The sender (bot/jobs)
claims due rows, delivers them at Telegram's pace and marks each `sent` in the same transaction that records
the Telegram message id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from storage.models import OutboxMessage, OutboxState
from storage.types import utcnow

__all__ = ["count_by_state", "enqueue"]


def enqueue(
    session: Session,
    *,
    dedupe_key: str,
    chat_id: int,
    kind: str,
    text: str | None = None,
    participant_id: int | None = None,
    reply_markup: dict[str, Any] | None = None,
    parse_mode: str | None = "HTML",
    method: str = "sendMessage",
    extra: dict[str, Any] | None = None,
    broadcast_id: int | None = None,
    not_before: dt.datetime | None = None,
    priority: int = 0,
) -> OutboxMessage | None:
    """Queue one message; returns the new row, or None when `dedupe_key` was queued before.

    `text` is the message text (or the caption for a photo/document); `extra` holds other Bot API
    parameters. The row is added to the session; the caller's transaction decides when it is committed.
    """
    existing = session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)).first()
    if existing is not None:
        return None
    payload: dict[str, Any] = dict(extra or {})
    if text is not None:
        payload["caption" if method in {"sendPhoto", "sendDocument"} else "text"] = text
    if parse_mode:
        payload["parse_mode"] = parse_mode
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    row = OutboxMessage(
        dedupe_key=dedupe_key,
        chat_id=chat_id,
        participant_id=participant_id,
        kind=kind,
        method=method,
        payload=payload,
        broadcast_id=broadcast_id,
        not_before=not_before,
        next_attempt_at=max(not_before or utcnow(), utcnow()),
        priority=priority,
    )
    session.add(row)
    session.flush()
    return row


def count_by_state(session: Session, *, broadcast_id: int | None = None) -> dict[str, int]:
    """How many outbox rows are in each state (optionally for one broadcast)."""
    query = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    if broadcast_id is not None:
        query = query.where(OutboxMessage.broadcast_id == broadcast_id)
    counts = {state.value: 0 for state in OutboxState}
    for state, count in session.exec(query).all():
        counts[state] = count
    return counts
