"""The schema of the whole product, as SQLModel tables.

Status and kind columns are plain strings whose allowed values are the `StrEnum`s below, so that the
database needs no native enum types and a new value needs no migration of a type.

Personal data lives only in `participant`, `profile_item`, `invitation` and message payloads in `outbox`;
`storage.privacy` knows how to erase it. A deleted participant stays as a tombstone row (status `deleted`,
every personal column cleared) so the other side of a suggestion can degrade gracefully.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow

__all__ = [
    "AnswerValue",
    "Broadcast",
    "BroadcastStatus",
    "Event",
    "FollowUp",
    "FollowUpKind",
    "FollowUpState",
    "Introduction",
    "IntroductionStatus",
    "Invitation",
    "ItemKind",
    "JobRun",
    "NeverSuggest",
    "Organiser",
    "OrganiserDraft",
    "OutboxMessage",
    "OutboxState",
    "Participant",
    "ParticipantEvent",
    "ParticipantStatus",
    "ProcessedUpdate",
    "ProfileItem",
    "Suggestion",
    "SuggestionStatus",
]


class ParticipantStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    BLOCKED = "blocked"  # the person blocked the bot (Telegram answered 403)
    DELETED = "deleted"


class ItemKind(StrEnum):
    OFFER = "offer"
    NEED = "need"
    THEME = "theme"


class SuggestionStatus(StrEnum):
    PENDING = "pending"  # waiting for one or both answers
    INTRODUCED = "introduced"  # both said yes
    DECLINED = "declined"  # one side said no (never shown to the other side)
    EXPIRED = "expired"  # nobody answered in time
    WITHDRAWN = "withdrawn"  # one side paused, deleted or blocked the bot


class AnswerValue(StrEnum):
    YES = "yes"
    NO = "no"
    LATER = "later"
    NEVER = "never"


class IntroductionStatus(StrEnum):
    INTRODUCED = "introduced"
    CONTACTED = "contacted"
    PROJECT = "project"  # a joint project started: the outcome that counts
    STOPPED = "stopped"  # "niet meer nodig"


class FollowUpKind(StrEnum):
    CONTACT_CHECK = "contact_check"  # day 3: have you met?
    PROJECT_CHECK = "project_check"  # day 14: did you start a project?
    LAST_CHECK = "last_check"  # day 30
    LONG_CHECK = "long_check"  # ~6 months: does the collaboration still run?
    REMINDER = "reminder"  # a nudge to the other side after "nog niet"


class FollowUpState(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    ANSWERED = "answered"
    CANCELLED = "cancelled"


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; a crash leaves it here until the claim goes stale
    SENT = "sent"
    PARKED = "parked"  # failed too often; organisers can see and retry it
    BLOCKED = "blocked"  # the recipient blocked the bot
    CANCELLED = "cancelled"


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def _fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE", index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index),
    )


class Event(SQLModel, table=True):
    """A meeting or cohort people joined through (e.g. the Ede network afternoon of 10 March 2022)."""

    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    held_on: dt.date | None = None
    created_at: dt.datetime = _created()


class Participant(SQLModel, table=True):
    """A person who talks to the bot (or an imported one), with their profile and conversation state."""

    __tablename__ = "participant"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True, nullable=True))
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    username: str | None = Field(default=None, sa_column=Column(String(64)))
    name: str | None = Field(default=None, sa_column=Column(String(200)))
    organisation: str | None = Field(default=None, sa_column=Column(String(200)))
    role: str | None = Field(default=None, sa_column=Column(String(32)))
    region: str | None = Field(default=None, sa_column=Column(String(32), index=True))
    reach: str = Field(default="anywhere", sa_column=Column(String(16), nullable=False, default="anywhere"))
    language: str = Field(default="nl", sa_column=Column(String(8), nullable=False, default="nl"))
    email: str | None = Field(default=None, sa_column=Column(String(320)))
    status: str = Field(
        default=ParticipantStatus.ACTIVE,
        sa_column=Column(String(16), nullable=False, index=True, default=ParticipantStatus.ACTIVE),
    )
    consent_at: dt.datetime | None = _ts()
    profile_completed_at: dt.datetime | None = _ts()
    # Multi-step conversations (onboarding, editing, relaying) survive restarts: state name plus draft data.
    conversation_state: str | None = Field(default=None, sa_column=Column(String(64)))
    conversation_data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    unresponsive_reports: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    last_seen_at: dt.datetime | None = _ts()  # last interaction (to the hour): the retention clock
    retention_warned_at: dt.datetime | None = _ts()  # "erased in a month unless you take part" was queued
    last_silence_notice_at: dt.datetime | None = _ts()
    paused_at: dt.datetime | None = _ts()
    blocked_at: dt.datetime | None = _ts()
    deleted_at: dt.datetime | None = _ts()
    created_at: dt.datetime = _created()
    updated_at: dt.datetime = _created()


class ParticipantEvent(SQLModel, table=True):
    """Which events a participant joined through."""

    __tablename__ = "participant_event"

    participant_id: int = Field(
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True)
    )
    event_id: int = Field(
        sa_column=Column(Integer, ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    )
    joined_at: dt.datetime = _created()


class ProfileItem(SQLModel, table=True):
    """One offer, need or theme of a participant: the words they wrote and the matcher's normalised form."""

    __tablename__ = "profile_item"
    __table_args__ = (Index("ix_profile_item_participant_kind", "participant_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = _fk("participant.id", index=False)
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    normalised: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    created_at: dt.datetime = _created()


class NeverSuggest(SQLModel, table=True):
    """A person's "never suggest this person again" list."""

    __tablename__ = "never_suggest"
    __table_args__ = (UniqueConstraint("participant_id", "other_id"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = _fk("participant.id")
    other_id: int = _fk("participant.id")
    created_at: dt.datetime = _created()


class Suggestion(SQLModel, table=True):
    """A proposed pair. `participant_a_id < participant_b_id`; each side answers independently."""

    __tablename__ = "suggestion"
    __table_args__ = (Index("ix_suggestion_pair", "participant_a_id", "participant_b_id"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_a_id: int = _fk("participant.id", index=False)
    participant_b_id: int = _fk("participant.id")
    score: float = 0.0
    reasons: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # No index on status: most rows are pending, and an index there made SQLite (which has no statistics
    # unless ANALYZE ran) read every pending suggestion instead of one person's by the pair indexes.
    status: str = Field(
        default=SuggestionStatus.PENDING,
        sa_column=Column(String(16), nullable=False, default=SuggestionStatus.PENDING),
    )
    answer_a: str | None = Field(default=None, sa_column=Column(String(8)))
    answer_b: str | None = Field(default=None, sa_column=Column(String(8)))
    answered_a_at: dt.datetime | None = _ts()
    answered_b_at: dt.datetime | None = _ts()
    shown_a_at: dt.datetime | None = _ts()
    shown_b_at: dt.datetime | None = _ts()
    source: str = Field(default="matches", sa_column=Column(String(16), nullable=False, default="matches"))
    week: str | None = Field(
        default=None, sa_column=Column(String(10), index=True)
    )  # ISO week, e.g. 2026-W48
    created_at: dt.datetime = _created()
    expires_at: dt.datetime | None = _ts()
    closed_at: dt.datetime | None = _ts()


class CardCopy(SQLModel, table=True):
    """A message in a person's chat that shows a suggestion card, so an answer on any copy updates them all.

    Recorded for cards sent as direct replies (/matches) and for a digest message opened into a card; a card
    sent through the outbox is found by its outbox row (`sg:<suggestion>:<participant>`) instead. One row
    per message: a digest message shows one card at a time.
    """

    __tablename__ = "card_copy"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id", name="uq_card_copy_message"),
        Index("ix_card_copy_card", "suggestion_id", "participant_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = _fk("suggestion.id", index=False)
    participant_id: int = _fk("participant.id", index=False)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    digest_week: str | None = Field(default=None, sa_column=Column(String(10)))  # a digest opened into it
    created_at: dt.datetime = _created()


class Introduction(SQLModel, table=True):
    """Both sides said yes: they were introduced. Tracks the funnel onwards to a started project."""

    __tablename__ = "introduction"

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("suggestion.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    participant_a_id: int = _fk("participant.id")
    participant_b_id: int = _fk("participant.id")
    status: str = Field(
        default=IntroductionStatus.INTRODUCED,
        sa_column=Column(String(16), nullable=False, default=IntroductionStatus.INTRODUCED),
    )
    introduced_at: dt.datetime = _created()
    contacted_at: dt.datetime | None = _ts()
    project_started_at: dt.datetime | None = _ts()
    project_description: str | None = Field(default=None, sa_column=Column(Text))  # both lines, combined
    project_line_a: str | None = Field(default=None, sa_column=Column(Text))  # side a's own line
    project_line_b: str | None = Field(default=None, sa_column=Column(Text))  # side b's own line
    stopped_at: dt.datetime | None = _ts()
    still_running: bool | None = None
    flagged_for_coordinator_at: dt.datetime | None = _ts()


class FollowUp(SQLModel, table=True):
    """A scheduled follow-up question (nudge) to one side of an introduction, and its answer."""

    __tablename__ = "follow_up"
    __table_args__ = (
        UniqueConstraint("introduction_id", "participant_id", "kind"),
        Index("ix_follow_up_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    introduction_id: int = _fk("introduction.id", index=False)
    participant_id: int = _fk("participant.id")
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    due_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    state: str = Field(
        default=FollowUpState.SCHEDULED,
        sa_column=Column(String(16), nullable=False, default=FollowUpState.SCHEDULED),
    )
    sent_at: dt.datetime | None = _ts()
    answer: str | None = Field(default=None, sa_column=Column(String(32)))
    answer_reason: str | None = Field(default=None, sa_column=Column(String(32)))
    answered_at: dt.datetime | None = _ts()
    created_at: dt.datetime = _created()


class Broadcast(SQLModel, table=True):
    """An organiser's message to everyone or to a segment, delivered through the outbox."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    created_by: int | None = Field(default=None, sa_column=Column(BigInteger))  # organiser's Telegram id
    text: str = Field(sa_column=Column(Text, nullable=False))
    parse_mode: str | None = Field(default="HTML", sa_column=Column(String(16)))
    segment: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(
        default=BroadcastStatus.DRAFT,
        sa_column=Column(String(16), nullable=False, default=BroadcastStatus.DRAFT),
    )
    total: int = 0
    progress_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    progress_message_id: int | None = None
    progress_updated_at: dt.datetime | None = _ts()
    created_at: dt.datetime = _created()
    started_at: dt.datetime | None = _ts()
    finished_at: dt.datetime | None = _ts()


class OutboxMessage(SQLModel, table=True):
    """A message the bot sends on its own initiative: first a row, then delivered at Telegram's pace.

    `dedupe_key` makes enqueueing idempotent (e.g. `digest:42:2026-W48`); a row becomes `sent` in the same
    transaction that records `telegram_message_id`, so a confirmed message is never sent again.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    participant_id: int | None = _fk("participant.id", nullable=True, ondelete="SET NULL")
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    method: str = Field(default="sendMessage", sa_column=Column(String(32), nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    broadcast_id: int | None = _fk("broadcast.id", nullable=True, ondelete="SET NULL")
    priority: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    state: str = Field(
        default=OutboxState.PENDING, sa_column=Column(String(16), nullable=False, default=OutboxState.PENDING)
    )
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    next_attempt_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    not_before: dt.datetime | None = _ts()  # quiet hours: not delivered before this moment
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64)))
    claimed_at: dt.datetime | None = _ts()
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    uncertain_deliveries: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    created_at: dt.datetime = _created()
    sent_at: dt.datetime | None = _ts()


class Organiser(SQLModel, table=True):
    """An organiser added with `/organisers add`, with their scope (those in ORGANISER_IDS need no row)."""

    __tablename__ = "organiser"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    added_by: int | None = Field(default=None, sa_column=Column(BigInteger))
    # The scope (storage.scope.Scope): a region code and/or an event code; both empty = a global organiser.
    region: str | None = Field(default=None, sa_column=Column(String(32), index=True))
    event_code: str | None = Field(default=None, sa_column=Column(String(64)))
    # How the organiser is shown in /organisers (from Telegram when they were added).
    name: str | None = Field(default=None, sa_column=Column(String(200)))
    username: str | None = Field(default=None, sa_column=Column(String(64)))
    created_at: dt.datetime = _created()


class OrganiserChat(SQLModel, table=True):
    """An organiser who has a chat with the bot: they sent it something (Telegram knows the chat).

    Organisers need not be participants, so nothing else records it; Telegram answers "chat not found" to a
    message for someone who never started the bot, so the weekly summary waits for this (storage.organisers).
    """

    __tablename__ = "organiser_chat"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    started_at: dt.datetime = _created()


class OrganiserDraft(SQLModel, table=True):
    """An organiser's multi-step command in progress (e.g. `/event new`: code, name, date).

    Keyed by Telegram id, as organisers need not be participants; kept in the database so the next step
    works after a restart and in whichever process receives it.
    """

    __tablename__ = "organiser_draft"

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    step: str = Field(sa_column=Column(String(16), nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: dt.datetime = _created()


class Invitation(SQLModel, table=True):
    """A personal (single use) or event-wide deep link `https://t.me/<bot>?start=<token>`, with prefill."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    kind: str = Field(default="personal", sa_column=Column(String(16), nullable=False, default="personal"))
    event_id: int | None = _fk("event.id", nullable=True, ondelete="SET NULL")
    name: str | None = Field(default=None, sa_column=Column(String(200)))
    email: str | None = Field(default=None, sa_column=Column(String(320)))
    prefill: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source_key: str | None = Field(
        default=None, sa_column=Column(String(200), unique=True)
    )  # idempotent import
    participant_id: int | None = _fk("participant.id", nullable=True, ondelete="SET NULL")
    # The Telegram user it is for, when the organiser knew it: nobody else can redeem it.
    telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: dt.datetime = _created()
    expires_at: dt.datetime | None = _ts()
    used_at: dt.datetime | None = _ts()


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a replayed update is handled once."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: dt.datetime = _created()


class JobRun(SQLModel, table=True):
    """A claim on one run of scheduled work (e.g. `digest:2026-W48`), so it runs once across workers."""

    __tablename__ = "job_run"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64)))
    started_at: dt.datetime = _created()
    finished_at: dt.datetime | None = _ts()
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
