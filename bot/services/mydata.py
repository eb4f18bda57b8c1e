"""/mydata: everything stored about a person, as JSON-ready data (the AVG/GDPR right of access).

Complete, and only theirs: their profile, items, events, invitations, their own answers to suggestions (never
the other side's: a suggestion says only whether it led to an introduction), the follow-up questions and
their answers, introductions and project lines, and the messages they had relayed (the text only while it
waits for delivery: a delivered message's text is not kept, see storage.outbox).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from sqlmodel import Session

from bot.fields import FIELDS
from storage import participants as store
from storage import suggestions as suggestion_store
from storage.models import Participant, ParticipantStatus, SuggestionStatus
from storage.privacy import followups_of, invitations_of, relayed_messages_of

__all__ = ["personal_data"]


_TAG = re.compile(r"<[^>]*>")


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _plain(text: Any) -> str | None:
    """A queued message's Telegram HTML as the person reads it: no tags, no entities."""
    return html.unescape(_TAG.sub("", text)) if isinstance(text, str) else None


def _named(session: Session, participant_id: int) -> dict[str, Any] | None:
    other = session.get(Participant, participant_id)
    if other is None or other.status == ParticipantStatus.DELETED:
        return None
    return {"name": other.name, "organisation": other.organisation}


def personal_data(session: Session, *, participant: Participant) -> dict[str, Any]:
    """Everything stored about the participant, as JSON-ready data (for /mydata)."""
    assert participant.id is not None
    pid = participant.id
    person: dict[str, Any] = {
        "id": pid,
        "telegram_id": participant.telegram_id,
        "username": participant.username,
    }
    person.update({question.export: question.value(participant) for question in FIELDS if question.column})
    person.update(
        {
            "language": participant.language,
            "email": participant.email,
            "status": participant.status,
            "consent_at": _iso(participant.consent_at),
            "profile_completed_at": _iso(participant.profile_completed_at),
            "paused_at": _iso(participant.paused_at),
            "created_at": _iso(participant.created_at),
            "last_seen_at": _iso(participant.last_seen_at),
            "retention_warned_at": _iso(participant.retention_warned_at),
            # "X reageerde niet" reports about you: they lower how often you are suggested (see /privacy).
            "unresponsive_reports": participant.unresponsive_reports,
            "conversation_state": participant.conversation_state,
        }
    )
    items = [
        {"kind": item.kind, "text": item.text, "created_at": _iso(item.created_at)}
        for item in store.items_of(session, participant_id=pid)
    ]
    suggestions = []
    others: dict[int, int] = {}
    for row in suggestion_store.suggestions_of(session, participant_id=pid):
        assert row.id is not None
        side = suggestion_store.side_of(row, pid)
        other_id = row.participant_b_id if side == "a" else row.participant_a_id
        others[row.id] = other_id
        entry: dict[str, Any] = {
            "id": row.id,
            "created_at": _iso(row.created_at),
            "shown_to_you_at": _iso(row.shown_a_at if side == "a" else row.shown_b_at),
            "your_answer": row.answer_a if side == "a" else row.answer_b,
            "your_answer_at": _iso(row.answered_a_at if side == "a" else row.answered_b_at),
            # Only what both sides were told; the other side's answer (a "no") is theirs.
            "introduced": row.status == SuggestionStatus.INTRODUCED,
        }
        other = _named(session, other_id)
        if other is not None:
            entry["other"] = other
        suggestions.append(entry)
    records = store.personal_records(session, participant_id=pid)
    introductions = [
        {
            "id": intro.id,
            "suggestion_id": intro.suggestion_id,
            "status": intro.status,
            "introduced_at": _iso(intro.introduced_at),
            "contacted_at": _iso(intro.contacted_at),
            "flagged_for_coordinator_at": _iso(intro.flagged_for_coordinator_at),
            "project_description": intro.project_line_a
            if intro.participant_a_id == pid
            else intro.project_line_b,
        }
        for intro in records.introductions
    ]
    relayed = []
    for message in relayed_messages_of(session, sender_id=pid, suggestion_ids=list(others)):
        suggestion_id = int(message.dedupe_key.split(":")[1])
        entry = {
            "suggestion_id": suggestion_id,
            "queued_at": _iso(message.created_at),
            "state": message.state,
            "delivered_at": _iso(message.sent_at),
            "text": _plain(message.payload.get("text")),  # None once delivered: the text is not kept
        }
        other = _named(session, others[suggestion_id])
        if other is not None:
            entry["to"] = other
        relayed.append(entry)
    followups = [
        {
            "introduction_id": followup.introduction_id,
            "kind": followup.kind,
            "state": followup.state,
            "sent_at": _iso(followup.sent_at),
            "your_answer": followup.answer,
            "your_reason": followup.answer_reason,
            "answered_at": _iso(followup.answered_at),
        }
        for followup in followups_of(session, participant_id=pid)
    ]
    invitations = [
        {
            "kind": invitation.kind,
            "used_at": _iso(invitation.used_at),
            "name": invitation.name,
            "email": invitation.email,
            "prefill": invitation.prefill,
        }
        for invitation in invitations_of(session, participant_id=pid)
    ]
    return {
        "participant": person,
        "profile_items": items,
        "suggestions": suggestions,
        "introductions": introductions,
        "relayed_messages": relayed,
        "follow_ups": followups,
        "invitations": invitations,
        "never_suggest_count": records.never_suggest_count,
        "events": records.event_names,
    }
