"""Erasing a person (AVG/GDPR): everything personal goes, a tombstone row stays.

`erase_participant` is pure storage so that `/delete`, organisers and operators use the same rule:

- the participant row stays as a tombstone: status `deleted`, `deleted_at` set, every personal column
  cleared (Telegram ids, username, name, organisation, role, region, e-mail, conversation state);
- their profile items, never-suggest rows (both directions) and event memberships are deleted;
- their pending suggestions are withdrawn, and the reasons stored on every suggestion they were part of
  (which quote their offers and needs) are cleared, so the other side sees "this person has left";
- outbox rows to them, and rows about their suggestions (cards, digest cards, introductions, relayed
  messages) are deleted;
- the personal fields of invitations they redeemed are cleared (an import's row key quotes the name);
- project descriptions of their introductions are cleared (they may quote either side).

`erase_participants` is the one path every erasure takes (`/delete`, the retention pass): the rows above in
one transaction, then `scrub_files`, so the erased values do not stay readable in the database files either:
SQLite runs with `secure_delete` (freed space is zeroed) and its WAL is checkpointed and truncated at once;
on PostgreSQL the touched tables are vacuumed at once and rewritten by the next daily retention pass. What
stays elsewhere (PostgreSQL's WAL segments until they are recycled, backups until they expire) is described
in docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from storage.db import SQLITE_BUSY_TIMEOUT_MS, transaction
from storage.models import (
    CardCopy,
    FollowUp,
    Introduction,
    Invitation,
    NeverSuggest,
    Organiser,
    OutboxMessage,
    OutboxState,
    Participant,
    ParticipantEvent,
    ParticipantStatus,
    ProfileItem,
    Suggestion,
    SuggestionStatus,
)
from storage.outbox import Message, enqueue
from storage.types import utcnow

__all__ = [
    "ERASURE_NOTICE",
    "ERASURE_TABLES",
    "ErasureReport",
    "erase_participant",
    "erase_participants",
    "find_values",
    "followups_of",
    "forget_erasure_notices",
    "invitations_of",
    "relayed_messages_of",
    "scrub_files",
    "suggestion_outbox_prefixes",
]

logger = logging.getLogger(__name__)

#: The tables an erasure changes (vacuumed afterwards on PostgreSQL).
ERASURE_TABLES = (
    "participant",
    "profile_item",
    "never_suggest",
    "participant_event",
    "suggestion",
    "introduction",
    "outbox",
    "invitation",
)
#: The outbox kind of the notice an organiser's erasure leaves for the person (`erase_participants`).
ERASURE_NOTICE = "erased"
_VACUUM_LOCK_TIMEOUT = "500ms"  # below PostgreSQL's deadlock_timeout (1 s)
_CHECKPOINT_WAIT_MS = 1000


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
    session.exec(delete(CardCopy).where(col(CardCopy.participant_id) == participant_id))  # their chat id
    if telegram_id is not None:  # an organiser who also took part: their organiser row stays, unnamed
        session.exec(
            update(Organiser)
            .where(col(Organiser.telegram_id) == telegram_id)
            .values(name=None, username=None)
        )

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
        # The digest's card about this suggestion to the other side: `digest:<other>:<week>:<suggestion>`.
        outbox_filters.append(col(OutboxMessage.dedupe_key).like(f"digest:%:%:{suggestion.id}"))
    outbox = session.exec(delete(OutboxMessage).where(or_(*outbox_filters)))

    invitations = session.exec(
        update(Invitation)
        .where(col(Invitation.participant_id) == participant_id)
        .values(name=None, email=None, prefill={}, telegram_id=None, source_key=None)
    )
    session.exec(
        update(Introduction)
        .where(
            or_(
                col(Introduction.participant_a_id) == participant_id,
                col(Introduction.participant_b_id) == participant_id,
            )
        )
        .values(project_description=None, project_line_a=None, project_line_b=None)
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
    participant.retention_warned_at = None
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


def erase_participants(
    engine: Engine,
    *,
    participant_ids: Sequence[int],
    now: dt.datetime | None = None,
    rewrite: bool = False,
    notices: Sequence[Message] = (),
) -> list[ErasureReport]:
    """Erase these participants in one transaction, then scrub the database files (`scrub_files`, with
    `rewrite`); the reports of those found.

    The one path of every erasure (`/delete`, the retention pass, an organiser's). Safe to run again: erasing
    a tombstone changes nothing that matters. `notices` (outbox messages of kind `ERASURE_NOTICE`, built
    from what was read before the erasure) are queued in the same transaction, after the rows they would
    otherwise be erased with: the person erased by an organiser is told, and the row holds only their chat
    id, no participant link and nothing else personal; `forget_erasure_notices` removes it once it is done.
    """
    if not participant_ids:
        return []
    moment = now or utcnow()

    def work(session: Session) -> list[ErasureReport]:
        reports = [erase_participant(session, participant_id=pid, now=moment) for pid in participant_ids]
        for notice in notices:
            message: Message = {**notice, "kind": ERASURE_NOTICE, "participant_id": None}
            enqueue(session, **message)
        return [report for report in reports if report is not None]

    reports = transaction(engine, work)
    scrub_files(engine, rewrite=rewrite)
    return reports


def forget_erasure_notices(session: Session) -> int:
    """Delete the erasure notices that are done (delivered, refused or given up): after erasure, the chat id
    in such a row is the last trace of the person. Returns how many rows went."""
    done = session.exec(
        delete(OutboxMessage).where(
            col(OutboxMessage.kind) == ERASURE_NOTICE,
            col(OutboxMessage.state).not_in([OutboxState.PENDING, OutboxState.SENDING]),
        )
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def scrub_files(engine: Engine, *, rewrite: bool = False) -> bool:
    """Make erased values unreadable in the database files too; False when it had to be postponed.

    SQLite (with `secure_delete` on, see storage.db: freed space is zeroed at once; builds differ in their
    default): checkpoint the WAL into the database file and truncate it, so old page versions holding erased
    values are gone. A checkpoint needs every reader on the newest snapshot; when one is busy for more than
    a second, it waits for the next erasure or the daily pass.

    PostgreSQL: VACUUM the tables an erasure touches, so no old row version is visible to any query. The
    bytes of removed versions may stay in the pages' free space until the space is reused: `rewrite=True`
    (the daily retention pass, after a day with erasures) rewrites the tables with VACUUM FULL, which locks
    each table for the moment of its rewrite. A table whose lock is not free within half a second waits for
    the next time. WAL segments and backups are not touched (see docs/operations.md).
    """
    if engine.dialect.name == "sqlite":
        return _checkpoint(engine)
    if engine.dialect.name == "postgresql":
        return _vacuum(engine, full=rewrite)
    return True


def _checkpoint(engine: Engine) -> bool:
    # A TRUNCATE checkpoint holds back new writers while it waits for readers: wait briefly, else postpone.
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={_CHECKPOINT_WAIT_MS}")
            try:
                busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    except Exception as exc:  # the erasure itself is committed; this only hurries the file along
        logger.warning("could not checkpoint the database after an erasure: %s", type(exc).__name__)
        return False
    if busy:
        logger.info("the WAL checkpoint after an erasure was postponed: a reader was busy")
    return not busy


def _vacuum(engine: Engine, *, full: bool) -> bool:
    # One table at a time, each giving up quickly on a lock (before PostgreSQL's deadlock check would pick a
    # victim among the handlers queued behind it); a table that could not be done waits for the next pass.
    command = "VACUUM FULL" if full else "VACUUM"
    skipped = 0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"SET lock_timeout = '{_VACUUM_LOCK_TIMEOUT}'")
        try:
            for table in ERASURE_TABLES:
                try:
                    conn.exec_driver_sql(f"{command} {table}")
                except Exception as exc:
                    skipped += 1
                    logger.info("%s %s postponed: %s", command, table, type(exc).__name__)
        finally:
            conn.exec_driver_sql("RESET lock_timeout")
    return skipped == 0


def relayed_messages_of(
    session: Session, *, sender_id: int, suggestion_ids: Iterable[int]
) -> list[OutboxMessage]:
    """The messages `sender_id` had relayed within these suggestions (`relay:<suggestion>:<sender>:...`)."""
    prefixes = [f"relay:{sid}:{sender_id}:" for sid in suggestion_ids]
    if not prefixes:
        return []
    filters = [col(OutboxMessage.dedupe_key).startswith(prefix) for prefix in prefixes]
    return list(
        session.exec(select(OutboxMessage).where(or_(*filters)).order_by(col(OutboxMessage.id))).all()
    )


def followups_of(session: Session, *, participant_id: int) -> list[FollowUp]:
    """The follow-up questions sent (or planned) to the participant, with their answers."""
    return list(
        session.exec(
            select(FollowUp).where(FollowUp.participant_id == participant_id).order_by(col(FollowUp.id))
        ).all()
    )


def invitations_of(session: Session, *, participant_id: int) -> list[Invitation]:
    """The invitations the participant came through."""
    return list(
        session.exec(
            select(Invitation).where(Invitation.participant_id == participant_id).order_by(col(Invitation.id))
        ).all()
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
