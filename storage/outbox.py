"""The outbox: messages the bot sends on its own initiative are first rows here, then delivered.

Enqueueing is idempotent by `dedupe_key`: enqueueing the same key twice leaves one row. The sender
(`bot/jobs/sender.py`) claims due rows, delivers them at Telegram's pace and marks each `sent` in the same
transaction that records the Telegram message id.

Life of a row: `pending` → (claimed) `sending` → `sent`, or back to `pending` with a later `next_attempt_at`
(429, 5xx, network error, one timed-out send), or `parked` after too many attempts or a permanent error
(organisers see parked rows and can requeue them), or `blocked` when the person blocked the bot. A claim
that is not finished within the stale timeout (the claiming process died) is claimed again by anyone.

Privacy: a row's payload (the message text, buttons, files) is kept only as long as it is needed to deliver
it. `mark_sent` empties it in the statement that records the delivery, so a relayed message or an
introduction is not stored once it arrived; the row's bookkeeping (who, when, which kind, Telegram's message
id) stays. A row that cannot be delivered keeps its payload while an organiser may still retry it, until
`give_up_undelivered` (the daily retention pass) empties it: parked rows are then cancelled.

Payload: `text` (sendMessage) or `caption` (sendPhoto/sendDocument), `parse_mode`, `reply_markup` (a dict
in Bot API JSON form) and any other Bot API parameter by name. A sendMessage gets
`link_preview_options: {"is_disabled": true}` unless given: no message the bot sends unfurls a link.
A file for sendPhoto/sendDocument is given with `attachment(...)`: `<photo|document>` (a Telegram file_id
or URL), `<photo|document>_path` (a file path read at send time) or `<photo|document>_b64` (the bytes,
base64) plus an optional `filename`.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import event, func, insert, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, OutboxState, Participant, ParticipantStatus
from storage.types import utcnow

__all__ = [
    "CHAT_NOT_FOUND",
    "FILE_METHODS",
    "Message",
    "add_enqueue_listener",
    "attachment",
    "claim_due",
    "count_by_state",
    "enqueue",
    "enqueue_many",
    "give_up_undelivered",
    "last_relayed_to",
    "list_parked",
    "mark_blocked",
    "mark_failed",
    "mark_sent",
    "mark_unreachable",
    "next_due_at",
    "release_claims",
    "requeue_blocked",
    "requeue_parked",
    "reschedule",
    "unsent_to",
]

CHAT_NOT_FOUND = "chat not found: the recipient never started a chat with the bot"

FILE_METHODS = {"sendPhoto": "photo", "sendDocument": "document"}
_ENQUEUED = "koppelbot_outbox_enqueued"
_listeners: dict[str, list[Callable[[], None]]] = {}
_listeners_lock = threading.Lock()


def _engine_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _announce(session: Session) -> None:
    """Rows became due in this session: its commit wakes the listeners of its database."""
    session.info.setdefault(_ENQUEUED, set()).add(_engine_key(session.get_bind()))  # type: ignore[arg-type]


def add_enqueue_listener(engine: Engine, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after every commit that enqueued rows on `engine`'s database (in this process).

    The callback may run in any thread; it must be quick and thread-safe. Returns a function that removes
    the listener again. The session hooks that notice such commits exist only while a listener does
    (importing this module registers nothing).
    """
    key = _engine_key(engine)
    with _listeners_lock:
        _listeners.setdefault(key, []).append(callback)
        if not event.contains(OrmSession, "after_commit", _notify_enqueued):
            event.listen(OrmSession, "after_commit", _notify_enqueued)
            event.listen(OrmSession, "after_rollback", _forget_enqueued)

    def remove() -> None:
        with _listeners_lock:
            callbacks = _listeners.get(key, [])
            if callback in callbacks:
                callbacks.remove(callback)
            if not callbacks:
                _listeners.pop(key, None)
            if not _listeners and event.contains(OrmSession, "after_commit", _notify_enqueued):
                event.remove(OrmSession, "after_commit", _notify_enqueued)
                event.remove(OrmSession, "after_rollback", _forget_enqueued)

    return remove


def _notify_enqueued(session: OrmSession) -> None:
    engines = session.info.pop(_ENQUEUED, None)
    if not engines:
        return
    for key in engines:
        with _listeners_lock:
            callbacks = list(_listeners.get(key, []))
        for callback in callbacks:
            callback()


def _forget_enqueued(session: OrmSession) -> None:
    session.info.pop(_ENQUEUED, None)


def attachment(
    kind: str, *, path: str | Path | None = None, data: bytes | None = None, filename: str | None = None
) -> dict[str, Any]:
    """The payload part for a photo or document (`kind`), to pass as `enqueue(..., extra=...)`.

    Give either `path` (read when the message is sent, so the file must still exist then) or `data`
    (stored in the row, base64-encoded; keep it small, e.g. a chart). `filename` names the upload.
    """
    if kind not in FILE_METHODS.values():
        raise ValueError(f"attachment kind must be photo or document, not {kind!r}")
    if (path is None) == (data is None):
        raise ValueError("give exactly one of path= or data=")
    part: dict[str, Any] = (
        {f"{kind}_path": str(path)}
        if path is not None
        else {f"{kind}_b64": base64.b64encode(data or b"").decode()}
    )
    if filename:
        part["filename"] = filename
    return part


class Message(TypedDict):
    """One message to queue: `enqueue`'s keyword arguments, and an element of `enqueue_many`'s list.

    `text` is the message text (or the caption for a photo/document, `parse_mode` "HTML" unless given);
    `extra` holds other Bot API parameters; `not_before` holds the message back (quiet hours); a higher
    `priority` is sent first.
    """

    dedupe_key: str
    chat_id: int
    kind: str
    text: NotRequired[str | None]
    participant_id: NotRequired[int | None]
    reply_markup: NotRequired[dict[str, Any] | None]
    parse_mode: NotRequired[str | None]
    method: NotRequired[str]
    extra: NotRequired[dict[str, Any] | None]
    broadcast_id: NotRequired[int | None]
    not_before: NotRequired[dt.datetime | None]
    priority: NotRequired[int]


_FIELDS = frozenset(Message.__annotations__)


def _values(**message: Unpack[Message]) -> dict[str, Any]:
    unknown = message.keys() - _FIELDS
    if unknown:  # a misspelt keyword must not be dropped silently
        raise TypeError(f"unknown outbox message fields: {', '.join(sorted(unknown))}")
    method = message.get("method", "sendMessage")
    payload: dict[str, Any] = dict(message.get("extra") or {})
    text = message.get("text")
    if text is not None:
        payload["caption" if method in FILE_METHODS else "text"] = text
    if method == "sendMessage":  # no link previews: a URL in a name must not unfurl in others' messages
        payload.setdefault("link_preview_options", {"is_disabled": True})
    parse_mode = message.get("parse_mode", "HTML")
    if parse_mode:
        payload["parse_mode"] = parse_mode
    reply_markup = message.get("reply_markup")
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    not_before = message.get("not_before")
    now = utcnow()
    return {
        "dedupe_key": message["dedupe_key"],
        "chat_id": message["chat_id"],
        "participant_id": message.get("participant_id"),
        "kind": message["kind"],
        "method": method,
        "payload": payload,
        "broadcast_id": message.get("broadcast_id"),
        "not_before": not_before,
        "next_attempt_at": max(not_before or now, now),
        "priority": message.get("priority", 0),
        "state": OutboxState.PENDING.value,
        "attempts": 0,
        "uncertain_deliveries": 0,
        "created_at": now,
    }


def enqueue(session: Session, **message: Unpack[Message]) -> OutboxMessage | None:
    """Queue one message; returns the new row, or None when `dedupe_key` was queued before.

    The row is added to the session; the caller's transaction decides when it is committed.
    """
    dedupe_key = message["dedupe_key"]
    existing = session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)).first()
    if existing is not None:
        return None
    row = OutboxMessage(**_values(**message))
    session.add(row)
    session.flush()
    _announce(session)
    return row


def enqueue_many(session: Session, messages: Sequence[dict[str, Any]], *, chunk: int = 500) -> int:
    """Queue many messages at once (each a dict of `enqueue`'s keyword arguments); returns how many are new.

    Same rules as `enqueue` (a dedupe key queued before is skipped), with one lookup per `chunk` keys
    instead of one per message: what the digest for 10,000 people needs.
    """
    added = 0
    for start in range(0, len(messages), chunk):
        part = messages[start : start + chunk]
        keys = [message["dedupe_key"] for message in part]
        taken = set(
            session.exec(
                select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(keys))
            ).all()
        )
        rows = []
        for message in part:
            if message["dedupe_key"] in taken:
                continue
            taken.add(message["dedupe_key"])
            rows.append(_values(**message))
        if rows:
            session.execute(insert(OutboxMessage.__table__), rows)  # type: ignore[attr-defined]
            added += len(rows)
    if added:
        _announce(session)
    return added


def count_by_state(session: Session, *, broadcast_id: int | None = None) -> dict[str, int]:
    """How many outbox rows are in each state (optionally for one broadcast)."""
    query = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    if broadcast_id is not None:
        query = query.where(OutboxMessage.broadcast_id == broadcast_id)
    counts = {state.value: 0 for state in OutboxState}
    for state, count in session.exec(query).all():
        counts[state] = count
    return counts


def _due(now: dt.datetime) -> Any:
    # A row never tried is due as soon as `not_before` has passed, whatever clock enqueued it (tests and
    # the demo run a controlled clock); a retry waits for `next_attempt_at`, set by the sender's clock.
    return (
        (col(OutboxMessage.state) == OutboxState.PENDING)
        & or_(col(OutboxMessage.last_error).is_(None), col(OutboxMessage.next_attempt_at) <= now)
        & or_(col(OutboxMessage.not_before).is_(None), col(OutboxMessage.not_before) <= now)
    )


def _stale(now: dt.datetime, stale_after: dt.timedelta) -> Any:
    return (col(OutboxMessage.state) == OutboxState.SENDING) & (
        col(OutboxMessage.claimed_at) < now - stale_after
    )


def claim_due(
    session: Session,
    *,
    owner: str,
    now: dt.datetime,
    limit: int,
    stale_after: dt.timedelta,
    exclude_chats: Iterable[int] = (),
) -> list[OutboxMessage]:
    """Claim up to `limit` due rows for `owner` (state `sending`) and return them, oldest first per priority.

    Due: pending with `next_attempt_at` and `not_before` passed, or claimed longer than `stale_after` ago
    (its process died). Rows are locked with FOR UPDATE SKIP LOCKED on PostgreSQL, so several workers share
    the outbox without waiting on each other; on SQLite writes are serialised and the conditional update
    below makes the claim atomic. The caller commits.
    """
    if limit <= 0:
        return []
    excluded = list(exclude_chats)
    query = (
        select(OutboxMessage.id)
        .where(or_(_due(now), _stale(now, stale_after)))
        .order_by(
            col(OutboxMessage.priority).desc(), col(OutboxMessage.next_attempt_at), col(OutboxMessage.id)
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if excluded:
        query = query.where(col(OutboxMessage.chat_id).not_in(excluded))
    ids = list(session.exec(query).all())
    if not ids:
        return []
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids))
        .where(or_(_due(now), _stale(now, stale_after)))
        .values(state=OutboxState.SENDING, claimed_by=owner, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    rows = session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids))
        .where(OutboxMessage.claimed_by == owner)
        .where(OutboxMessage.claimed_at == now)
        .where(OutboxMessage.state == OutboxState.SENDING)
        .execution_options(populate_existing=True)
    ).all()
    return sorted(rows, key=lambda row: ids.index(row.id))


def _claimed(message_id: int, owner: str) -> Any:
    return (
        (col(OutboxMessage.id) == message_id)
        & (col(OutboxMessage.state) == OutboxState.SENDING)
        & (col(OutboxMessage.claimed_by) == owner)
    )


def _update_claimed(session: Session, message_id: int, owner: str, values: dict[str, Any]) -> bool:
    """Set `values` on a row only while `owner` still holds its claim; False when the claim was lost."""
    result = session.execute(
        update(OutboxMessage)
        .where(_claimed(message_id, owner))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(
    session: Session, *, message_id: int, owner: str, telegram_message_id: int | None, now: dt.datetime
) -> bool:
    """Record a confirmed delivery: state `sent` and the Telegram message id, in one statement.

    The payload is emptied in the same statement: what was delivered is not kept (see the module notes).
    Returns False when the claim was lost (another worker took the row over after a stale timeout).
    """
    values: dict[str, Any] = {
        "state": OutboxState.SENT,
        "payload": {},
        "telegram_message_id": telegram_message_id,
        "sent_at": now,
        "attempts": OutboxMessage.attempts + 1,
        "claimed_by": None,
        "claimed_at": None,
        "last_error": None,
    }
    return _update_claimed(session, message_id, owner, values)


def reschedule(
    session: Session,
    *,
    message_id: int,
    owner: str,
    at: dt.datetime,
    error: str,
    count_attempt: bool,
    uncertain: bool = False,
) -> bool:
    """Give a claimed row back as pending, due again at `at` (after a 429, a 5xx or a network error)."""
    values: dict[str, Any] = {
        "state": OutboxState.PENDING,
        "next_attempt_at": at,
        "claimed_by": None,
        "claimed_at": None,
        "last_error": error[:500],
    }
    if count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    if uncertain:
        values["uncertain_deliveries"] = OutboxMessage.uncertain_deliveries + 1
    return _update_claimed(session, message_id, owner, values)


def mark_failed(
    session: Session, *, message_id: int, owner: str, error: str, uncertain: bool = False
) -> bool:
    """Park a claimed row: it failed too often or for good. Organisers see it with `list_parked`."""
    values: dict[str, Any] = {
        "state": OutboxState.PARKED,
        "attempts": OutboxMessage.attempts + 1,
        "claimed_by": None,
        "claimed_at": None,
        "last_error": error[:500],
    }
    if uncertain:
        values["uncertain_deliveries"] = OutboxMessage.uncertain_deliveries + 1
    return _update_claimed(session, message_id, owner, values)


def mark_unreachable(session: Session, *, message_id: int, owner: str) -> bool:
    """Skip a claimed row for good: Telegram knows no chat with the recipient (they never started the bot,
    e.g. an organiser in ORGANISER_IDS before their first /start). Not parked: nobody can fix it by retrying,
    so it does not make /healthz unhealthy; `koppelbot status` counts it."""
    values: dict[str, Any] = {
        "state": OutboxState.CANCELLED,
        "attempts": OutboxMessage.attempts + 1,
        "claimed_by": None,
        "claimed_at": None,
        "last_error": CHAT_NOT_FOUND,
    }
    return _update_claimed(session, message_id, owner, values)


def unsent_to(session: Session, *, chat_id: int, kind: str) -> list[OutboxMessage]:
    """The rows of `kind` to `chat_id` not sent yet (pending, or being sent right now)."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.chat_id) == chat_id)
            .where(col(OutboxMessage.kind) == kind)
            .where(col(OutboxMessage.state).in_([OutboxState.PENDING, OutboxState.SENDING]))
        ).all()
    )


def mark_blocked(session: Session, *, chat_id: int, now: dt.datetime) -> int:
    """The person behind `chat_id` blocked the bot: mark them `blocked` and stop every unsent row to them.

    Returns how many outbox rows were stopped. A deleted participant stays deleted.
    """
    session.execute(
        update(Participant)
        .where(col(Participant.chat_id) == chat_id)
        .where(col(Participant.status).in_([ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED]))
        .values(status=ParticipantStatus.BLOCKED, blocked_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.chat_id) == chat_id)
        .where(col(OutboxMessage.state).in_([OutboxState.PENDING, OutboxState.SENDING]))
        .values(state=OutboxState.BLOCKED, claimed_by=None, claimed_at=None, last_error="blocked by the user")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def give_up_undelivered(session: Session, *, created_before: dt.datetime) -> int:
    """Empty the payloads of rows that will not be delivered and were queued before `created_before`.

    Parked rows (an organiser could still retry them) become `cancelled`; blocked and cancelled rows keep
    their state. Returns how many rows had a payload emptied.
    """
    final = [OutboxState.PARKED, OutboxState.BLOCKED, OutboxState.CANCELLED]
    rows = session.exec(
        select(OutboxMessage.id, OutboxMessage.payload)
        .where(col(OutboxMessage.state).in_(final))
        .where(col(OutboxMessage.created_at) < created_before)
    ).all()
    ids = [row_id for row_id, payload in rows if payload]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(chunk))
            .values(payload={})
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(chunk))
            .where(col(OutboxMessage.state) == OutboxState.PARKED)
            .values(state=OutboxState.CANCELLED, last_error="given up: not delivered in time")
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def release_claims(session: Session, *, owner: str, message_ids: Sequence[int] | None = None) -> int:
    """Give rows claimed by `owner` back as pending (a sender stopping cleanly); returns how many."""
    query = (
        update(OutboxMessage)
        .where(col(OutboxMessage.state) == OutboxState.SENDING)
        .where(col(OutboxMessage.claimed_by) == owner)
    )
    if message_ids is not None:
        query = query.where(col(OutboxMessage.id).in_(list(message_ids)))
    result = session.execute(
        query.values(state=OutboxState.PENDING, claimed_by=None, claimed_at=None).execution_options(
            synchronize_session=False
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def next_due_at(session: Session) -> dt.datetime | None:
    """When the earliest pending row becomes due (None when nothing is pending).

    Rows never tried count from their `not_before` (or the distant past: due now).
    """
    earliest = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    moments: list[dt.datetime] = []
    fresh = session.exec(
        select(OutboxMessage.not_before)
        .where(OutboxMessage.state == OutboxState.PENDING)
        .where(col(OutboxMessage.last_error).is_(None))
        .order_by(col(OutboxMessage.not_before).asc().nulls_first())
        .limit(1)
    ).all()
    if fresh:
        moments.append(fresh[0] or earliest)
    retry = session.exec(
        select(OutboxMessage.next_attempt_at, OutboxMessage.not_before)
        .where(OutboxMessage.state == OutboxState.PENDING)
        .where(col(OutboxMessage.last_error).is_not(None))
        .order_by(col(OutboxMessage.next_attempt_at))
        .limit(1)
    ).all()
    if retry:
        next_attempt, not_before = retry[0]
        moments.append(max(next_attempt, not_before) if not_before is not None else next_attempt)
    return min(moments) if moments else None


def list_parked(session: Session, *, limit: int = 50) -> list[OutboxMessage]:
    """Parked rows, newest first: what organisers should look at."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PARKED)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        ).all()
    )


def requeue_parked(session: Session, *, now: dt.datetime, message_ids: Sequence[int] | None = None) -> int:
    """Give parked rows (all, or the given ids) a fresh set of attempts; returns how many."""
    query = update(OutboxMessage).where(col(OutboxMessage.state) == OutboxState.PARKED)
    if message_ids is not None:
        query = query.where(col(OutboxMessage.id).in_(list(message_ids)))
    result = session.execute(
        query.values(
            state=OutboxState.PENDING,
            attempts=0,
            uncertain_deliveries=0,
            next_attempt_at=now,
            last_error=None,
        ).execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        _announce(session)
    return int(result.rowcount)  # type: ignore[attr-defined]


def requeue_blocked(session: Session, *, dedupe_key: str, now: dt.datetime) -> str | None:
    """The row of `dedupe_key` stopped by a 403 is due again (its recipient unblocked the bot); returns the
    row's state before (None: no such row), so a caller knows whether it was sent, waiting or stopped."""
    row = session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)).first()
    if row is None:
        return None
    state = str(row.state)
    if row.state == OutboxState.BLOCKED:
        row.state, row.attempts, row.uncertain_deliveries = OutboxState.PENDING, 0, 0
        row.next_attempt_at, row.last_error, row.claimed_by, row.claimed_at = now, None, None, None
        session.add(row)
        session.flush()
        _announce(session)
    return state


def last_relayed_to(session: Session, *, recipient_id: int) -> tuple[int, int] | None:
    """(suggestion id, sender id) of the newest message relayed to `recipient_id` (`relay:<s>:<sender>:…`)
    that reached them (one refused while they had blocked the bot is no message they could answer)."""
    key = session.exec(
        select(OutboxMessage.dedupe_key)
        .where(col(OutboxMessage.participant_id) == recipient_id, col(OutboxMessage.kind) == "relay")
        .where(col(OutboxMessage.state) == OutboxState.SENT)
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    ).first()
    parts = (key or "").split(":")
    if len(parts) < 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return int(parts[1]), int(parts[2])
