"""Card copies: the messages that show a suggestion card, so an answer on any copy can update every copy.

Copies sent as direct replies (/matches) and digest messages opened into a card are rows of `card_copy`;
a card the outbox delivered (`sg:<suggestion>:<participant>`) is found by its row's Telegram message id.
A digest message (`digest:<participant>:<week>`) without a `card_copy` row shows its week's list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.models import CardCopy, OutboxMessage, OutboxState

__all__ = ["card_copies", "digest_lists", "forget_card_copy", "record_card_copies"]


def record_card_copies(
    session: Session,
    *,
    participant_id: int,
    chat_id: int,
    copies: Iterable[tuple[int, int]],
    now: dt.datetime,
    digest_week: str | None = None,
) -> None:
    """Remember that message `message_id` in `chat_id` shows suggestion `suggestion_id`, per (suggestion,
    message) pair in `copies`; a message that showed another card before now shows this one.
    `digest_week`: the message is that week's digest, opened into the card (it keeps a way back)."""
    for suggestion_id, message_id in copies:
        forget_card_copy(session, chat_id=chat_id, message_id=message_id)
        session.add(
            CardCopy(
                suggestion_id=suggestion_id,
                participant_id=participant_id,
                chat_id=chat_id,
                message_id=message_id,
                digest_week=digest_week,
                created_at=now,
            )
        )
    session.flush()


def forget_card_copy(session: Session, *, chat_id: int, message_id: int) -> None:
    """The message no longer shows a card (a digest message went back to its list)."""
    session.execute(
        delete(CardCopy).where(col(CardCopy.chat_id) == chat_id, col(CardCopy.message_id) == message_id)
    )


def card_copies(
    session: Session, *, suggestion_id: int, participant_id: int
) -> list[tuple[int, int, str | None]]:
    """Every known message showing this person's card of this suggestion: (chat_id, message_id, the digest
    week when it is a digest message opened into the card)."""
    recorded = session.exec(
        select(CardCopy.chat_id, CardCopy.message_id, CardCopy.digest_week)
        .where(CardCopy.suggestion_id == suggestion_id, CardCopy.participant_id == participant_id)
        .order_by(col(CardCopy.id))
    ).all()
    sent = session.exec(
        select(OutboxMessage.chat_id, OutboxMessage.telegram_message_id).where(
            OutboxMessage.dedupe_key == f"sg:{suggestion_id}:{participant_id}",
            OutboxMessage.state == OutboxState.SENT,
            col(OutboxMessage.telegram_message_id).is_not(None),
        )
    ).all()
    copies: dict[tuple[int, int], str | None] = {}
    for sent_chat, sent_message in sent:
        if sent_message is not None:
            copies[(sent_chat, sent_message)] = None
    for chat_id, message_id, week in recorded:
        copies[(chat_id, message_id)] = week
    return [(chat_id, message_id, week) for (chat_id, message_id), week in copies.items()]


def digest_lists(session: Session, *, participant_id: int, limit: int) -> list[tuple[int, int, str]]:
    """This person's newest `limit` delivered digest messages that show their week's list (not opened into a
    card): (chat_id, message_id, week), newest first."""
    sent = session.exec(
        select(OutboxMessage.chat_id, OutboxMessage.telegram_message_id, OutboxMessage.dedupe_key)
        .where(
            OutboxMessage.participant_id == participant_id,
            OutboxMessage.kind == "digest",
            OutboxMessage.state == OutboxState.SENT,
            col(OutboxMessage.telegram_message_id).is_not(None),
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
    ).all()
    opened = set(
        session.exec(
            select(CardCopy.chat_id, CardCopy.message_id).where(
                CardCopy.participant_id == participant_id, col(CardCopy.digest_week).is_not(None)
            )
        ).all()
    )
    return [
        (chat_id, message_id, key.rsplit(":", 1)[-1])
        for chat_id, message_id, key in sent
        if message_id is not None and (chat_id, message_id) not in opened
    ]
