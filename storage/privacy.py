"""Erasing a person (AVG/GDPR): everything personal goes, a tombstone row stays.

`erase_participant` is pure storage so that `/delete`, organisers and operators use the same rule:

- the participant row stays as a tombstone: status `deleted`, `deleted_at` set, every personal column
  cleared (Telegram ids, username, name, organisation, role, region, e-mail, conversation state);
- their profile items, never-suggest rows (both directions) and event memberships are deleted;
- their pending suggestions are withdrawn, and the reasons stored on every suggestion they were part of
  (which quote their offers and needs) are cleared, so the other side sees "this person has left";
- outbox rows to them, and rows about their suggestions (introductions, relayed messages) are deleted;
- the personal fields of invitations they redeemed are cleared;
- project descriptions of their introductions are cleared (they may quote either side).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    Introduction,
    Invitation,
    NeverSuggest,
    OutboxMessage,
    Participant,
    ParticipantEvent,
    ParticipantStatus,
    ProfileItem,
    Suggestion,
    SuggestionStatus,
)
from storage.types import utcnow

__all__ = ["ErasureReport", "erase_participant", "find_values", "suggestion_outbox_prefixes"]


@dataclass(frozen=True)
class ErasureReport:
    """What `erase_participant` removed or changed."""

    participant_id: int
    profile_items: int
    never_rows: int
    suggestions_withdrawn: int
    suggestions_scrubbed: int
    outbox_rows: int
    invitations: int


def suggestion_outbox_prefixes(suggestion_id: int) -> tuple[str, ...]:
    """Dedupe-key prefixes of outbox rows that quote a suggestion's sides (see bot.services)."""
    return (f"intro:{suggestion_id}:", f"sg:{suggestion_id}:", f"relay:{suggestion_id}:")


def erase_participant(
    session: Session, *, participant_id: int, now: dt.datetime | None = None
) -> ErasureReport | None:
    """Erase everything personal about a participant; None when there is no such participant."""
    now = now or utcnow()
    participant = session.get(Participant, participant_id)
    if participant is None:
        return None
    telegram_id, chat_id = participant.telegram_id, participant.chat_id

    items = session.exec(delete(ProfileItem).where(col(ProfileItem.participant_id) == participant_id))
    never = session.exec(
        delete(NeverSuggest).where(
            or_(
                col(NeverSuggest.participant_id) == participant_id,
                col(NeverSuggest.other_id) == participant_id,
            )
        )
    )
    session.exec(delete(ParticipantEvent).where(col(ParticipantEvent.participant_id) == participant_id))

    suggestions = session.exec(
        select(Suggestion).where(
            or_(
                col(Suggestion.participant_a_id) == participant_id,
                col(Suggestion.participant_b_id) == participant_id,
            )
        )
    ).all()
    withdrawn = 0
    for suggestion in suggestions:
        if suggestion.status == SuggestionStatus.PENDING:
            suggestion.status = SuggestionStatus.WITHDRAWN
            suggestion.closed_at = now
            withdrawn += 1
        suggestion.reasons = {}
        session.add(suggestion)

    outbox_filters = [col(OutboxMessage.participant_id) == participant_id]
    for chat in {telegram_id, chat_id} - {None}:
        outbox_filters.append(col(OutboxMessage.chat_id) == chat)
    for suggestion in suggestions:
        assert suggestion.id is not None
        for prefix in suggestion_outbox_prefixes(suggestion.id):
            outbox_filters.append(col(OutboxMessage.dedupe_key).startswith(prefix))
    outbox = session.exec(delete(OutboxMessage).where(or_(*outbox_filters)))

    invitations = session.exec(
        update(Invitation)
        .where(col(Invitation.participant_id) == participant_id)
        .values(name=None, email=None, prefill={})
    )
    session.exec(
        update(Introduction)
        .where(
            or_(
                col(Introduction.participant_a_id) == participant_id,
                col(Introduction.participant_b_id) == participant_id,
            )
        )
        .values(project_description=None)
    )

    participant.telegram_id = None
    participant.chat_id = None
    participant.username = None
    participant.name = None
    participant.organisation = None
    participant.role = None
    participant.region = None
    participant.email = None
    participant.conversation_state = None
    participant.conversation_data = {}
    participant.status = ParticipantStatus.DELETED
    participant.deleted_at = now
    participant.updated_at = now
    participant.last_seen_at = None
    session.add(participant)
    session.flush()
    return ErasureReport(
        participant_id=participant_id,
        profile_items=items.rowcount,  # type: ignore[attr-defined]
        never_rows=never.rowcount,  # type: ignore[attr-defined]
        suggestions_withdrawn=withdrawn,
        suggestions_scrubbed=len(suggestions),
        outbox_rows=outbox.rowcount,  # type: ignore[attr-defined]
        invitations=invitations.rowcount,  # type: ignore[attr-defined]
    )


def find_values(session: Session, *, needles: Iterable[str | int]) -> list[tuple[str, str]]:
    """Every (table, column) in the whole schema holding one of `needles`: a check that erasure is complete.

    Text and JSON cells match when they contain a string needle (case-insensitive); number cells when they
    equal an integer needle. Scans every row: meant for tests and audits, not for hot paths.
    """
    texts = [n.casefold() for n in needles if isinstance(n, str) and n]
    numbers = {n for n in needles if isinstance(n, int)}
    hits: list[tuple[str, str]] = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(sa_select(table)).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                if isinstance(value, int) and not isinstance(value, bool):
                    found = value in numbers or any(str(value) == t for t in texts)
                else:
                    cell = (value if isinstance(value, str) else json.dumps(value, default=str)).casefold()
                    found = any(t in cell for t in texts) or any(
                        str(n) in cell for n in numbers if len(str(n)) >= 5
                    )
                if found and (table.name, column) not in hits:
                    hits.append((table.name, column))
    return hits
