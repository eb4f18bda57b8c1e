"""Broadcasts for the handlers, the progress job and the CLI: the draft conversation, segments, progress."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.cleaning import strip_controls
from bot.numbers import count
from bot.organiser_views import with_sender
from bot.services.events import waiting_for_text as event_conversation
from bot.texts import default_language, t
from matching import REGIONS, ROLES, normalise_phrase
from storage import session_scope
from storage.broadcasts import (
    BroadcastLine,
    broadcast_history,
    cancel_broadcast,
    count_recipients,
    create_draft,
    open_draft,
    progress_counts,
    running_broadcasts,
    scope_segment,
    segment_scope,
    start_broadcast,
)
from storage.db import transaction
from storage.events import list_events
from storage.models import Broadcast, BroadcastStatus, Event
from storage.organisers import is_organiser
from storage.scope import Scope
from storage.types import utcnow

# A broadcast started in Telegram gets its progress message just after its rows are queued; until then (or
# for this long, should sending it have failed) the progress job leaves it alone.
PROGRESS_MESSAGE_GRACE = dt.timedelta(minutes=1)

# The draft's steps (`ui.step`): what the organiser's next text or press means.
TEXT, THEME, SEGMENT, PREVIEW, SENDING = "text", "theme", "segment", "preview", "sending"
TOO_LONG = "too_long"
DRAFT = BroadcastStatus.DRAFT
MAX_BROADCAST_TEXT = 3500  # leaves room for the preview's own lines within Telegram's 4096
INACTIVE_WEEKS = (2, 4, 8, 12)  # the choices of the segment "niet actief sinds N weken"

__all__ = [
    "INACTIVE_WEEKS",
    "MAX_BROADCAST_TEXT",
    "BroadcastLine",
    "Scope",
    "DraftInput",
    "Preview",
    "ProgressEdit",
    "discard",
    "draft_scope",
    "expects_text",
    "due",
    "events",
    "halt",
    "history",
    "new_draft",
    "prefilled_draft",
    "preview",
    "progress_text",
    "progress_updates",
    "queue",
    "record_progress_message",
    "regions",
    "segment_for",
    "status_for",
    "take_text",
    "theme_segment",
    "update_draft",
    "waiting_for_text",
]


def theme_segment(keyword: str) -> dict[str, Any]:
    """The segment for a theme keyword: the words as typed and the matcher's normalised terms."""
    keyword = keyword.strip()[:100]
    return {"theme": keyword, "theme_terms": normalise_phrase(keyword).split()}


# -- drafts (the /broadcast conversation) -------------------------------------------------------------
def _step(draft: Broadcast) -> str | None:
    ui = draft.segment.get("ui") or {}
    return str(ui["step"]) if "step" in ui else None


def _with_ui(segment: dict[str, Any], **changes: object) -> dict[str, Any]:
    ui = {**(segment.get("ui") or {}), **changes}
    return {**segment, "ui": ui}


def _filters(segment: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in segment.items() if key != "ui"}


def _kept(segment: dict[str, Any]) -> dict[str, Any]:
    """What survives a change of filters: the draft's UI state and the organiser's scope."""
    return {key: value for key, value in segment.items() if key in ("ui", "scope")}


def waiting_for_text(session: Session, *, telegram_id: int, configured: list[int]) -> bool:
    """True when an organiser's next text is for them: a broadcast's message or keyword, or `/event new`."""
    draft = open_draft(session, created_by=telegram_id)
    waiting = draft is not None and _step(draft) in {TEXT, THEME}
    if not waiting and not event_conversation(session, telegram_id=telegram_id):  # `/event new` waits too
        return False
    return is_organiser(session, telegram_id=telegram_id, configured=configured)


def expects_text(engine: Engine, *, telegram_id: int, configured: list[int]) -> bool:
    """`waiting_for_text` in its own transaction, for PTB's synchronous message filter."""
    return transaction(
        engine, lambda session: waiting_for_text(session, telegram_id=telegram_id, configured=configured)
    )


def new_draft(
    session: Session, *, created_by: int, language: str, scope: Scope | None = None, sender: str = ""
) -> None:
    """Start a draft that waits for its message (a scoped organiser's reaches only their scope); `sender` is
    the organiser's name on its sender line."""
    ui = {"language": language, "step": TEXT, "sender": sender}
    segment = {**scope_segment(scope or Scope.everything()), "ui": ui}
    create_draft(session, created_by=created_by, segment=segment)


def prefilled_draft(
    session: Session,
    *,
    created_by: int,
    language: str,
    text: str,
    segment: dict[str, Any],
    scope: Scope | None = None,
    sender: str = "",
) -> int:
    """A draft with text and segment filled in (from the unmet-demand report), ready for its preview."""
    draft = create_draft(
        session,
        created_by=created_by,
        text=text,
        segment={
            **segment,
            **scope_segment(scope or Scope.everything()),
            "ui": {"language": language, "step": PREVIEW, "sender": sender},
        },
    )
    assert draft.id is not None
    return draft.id


@dataclass(frozen=True)
class DraftInput:
    """What the organiser's text did to their draft: `next` is the step now (or the problem)."""

    draft_id: int
    next: str  # SEGMENT (ask for it), PREVIEW (show it), TOO_LONG, or THEME (ask again)


def take_text(session: Session, *, created_by: int, html: str, plain: str) -> DraftInput | None:
    """The organiser's text for their open draft: the message itself, or a theme keyword; None: no draft."""
    draft = open_draft(session, created_by=created_by)
    if draft is None or draft.id is None:
        return None
    step = _step(draft)
    html, plain = strip_controls(html), strip_controls(plain)
    if step == TEXT:
        if len(html) > MAX_BROADCAST_TEXT:
            return DraftInput(draft.id, TOO_LONG)
        draft.text = html  # Telegram formatting (bold, links, ...) survives as HTML
        draft.segment = _with_ui(draft.segment, step=SEGMENT)
        session.add(draft)
        return DraftInput(draft.id, SEGMENT)
    if step == THEME:
        keyword = " ".join(plain.split())
        if not keyword or len(keyword) > 100:
            return DraftInput(draft.id, THEME)
        draft.segment = _with_ui({**theme_segment(keyword), **_kept(draft.segment)}, step=PREVIEW)
        session.add(draft)
        return DraftInput(draft.id, PREVIEW)
    return None


@dataclass(frozen=True)
class Preview:
    """A draft as it would go out: its text, its segment (the event resolved to its name), how many get it."""

    text: str
    segment: dict[str, Any]
    event_name: str | None
    recipients: int


def outgoing_text(draft: Broadcast) -> str:
    """What each recipient gets: the sender line (in the draft's language, like its text), then the text."""
    ui = draft.segment.get("ui") or {}
    language = str(ui.get("language") or default_language())
    return with_sender(language, str(ui.get("sender") or ""), draft.text)


def preview(session: Session, *, broadcast_id: int) -> Preview | None:
    """The preview of a draft (its text as recipients get it), or None when it is gone."""
    draft = session.get(Broadcast, broadcast_id)
    if draft is None:
        return None
    segment = _filters(draft.segment)
    event = session.get(Event, int(segment["event"])) if segment.get("event") is not None else None
    return Preview(
        outgoing_text(draft),
        segment,
        event.name if event is not None else None,
        count_recipients(session, segment=segment),
    )


def status_for(session: Session, *, broadcast_id: int, presser: int, halting: bool) -> str | None:
    """The broadcast's status when the presser may act on it (their own draft; anyone may halt), else None."""
    row = session.get(Broadcast, broadcast_id)
    if row is None or (row.created_by is not None and row.created_by != presser and not halting):
        return None
    return row.status


def discard(session: Session, *, broadcast_id: int) -> None:
    """Throw a draft away."""
    draft = session.get(Broadcast, broadcast_id)
    if draft is not None:
        session.delete(draft)


def update_draft(
    session: Session, *, broadcast_id: int, step: str, filters: dict[str, Any] | None = None
) -> None:
    """Move a draft to `step`, with new segment filters when given."""
    draft = session.get(Broadcast, broadcast_id)
    if draft is None or draft.status != BroadcastStatus.DRAFT:
        return
    segment = _filters(draft.segment) if filters is None else dict(filters)
    draft.segment = _with_ui({**segment, **_kept(draft.segment)}, step=step)
    session.add(draft)


def draft_scope(session: Session, *, broadcast_id: int) -> Scope:
    """The scope a draft is kept within (the global scope for a global organiser's)."""
    draft = session.get(Broadcast, broadcast_id)
    return segment_scope(draft.segment) if draft is not None else Scope(event_code="")


def regions(session: Session, *, broadcast_id: int) -> list[str]:
    """The region codes a draft may choose: all, or the scoped organiser's own."""
    scope = draft_scope(session, broadcast_id=broadcast_id)
    return [code for code in REGIONS if scope.region is None or code == scope.region]


def segment_for(
    session: Session, *, dimension: str, value: str, broadcast_id: int | None = None
) -> dict[str, Any] | None:
    """The filter a segment button chose; None for one not on offer (forged, stale, out of scope)."""
    scope = Scope.everything() if broadcast_id is None else draft_scope(session, broadcast_id=broadcast_id)
    if dimension == "region" and value in REGIONS and scope.region in (None, value):
        return {"region": value}
    if dimension == "role" and value in ROLES:
        return {"role": value}
    if dimension == "inactive" and value.isdigit() and int(value) in INACTIVE_WEEKS:
        return {"inactive_weeks": int(value)}
    if dimension == "event" and value.isdigit():
        known = {event_id for event_id, _, _ in _events(session, scope, limit=100)}
        return {"event": int(value)} if int(value) in known else None
    return None


def history(
    session: Session, *, scope: Scope, organiser_id: int | None = None, limit: int = 10
) -> list[BroadcastLine]:
    """The newest sent broadcasts with their delivery counts (recipients in the scope; the organiser's own
    in full), for /broadcasts."""
    return broadcast_history(session, scope=scope, organiser_id=organiser_id, limit=limit)


def _events(session: Session, scope: Scope, *, limit: int = 20) -> list[tuple[int, str, int]]:
    return [
        (event.id, event.name, n)
        for event, n in list_events(session, limit=limit, scope=scope)
        if event.id is not None
    ]


def events(session: Session, *, broadcast_id: int | None = None) -> list[tuple[int, str, int]]:
    """(id, name, participants) of the newest events, for the buttons (a scoped draft: those with participants
    in its scope, counting only those)."""
    scope = Scope.everything() if broadcast_id is None else draft_scope(session, broadcast_id=broadcast_id)
    return _events(session, scope)


def queue(session: Session, *, broadcast_id: int) -> int | None:
    """Confirmed: one outbox row per recipient; returns the total (None when it is no draft any more)."""
    draft = session.get(Broadcast, broadcast_id)
    if draft is None or draft.status != BroadcastStatus.DRAFT:
        return None
    draft.segment = _with_ui(draft.segment, step=SENDING)
    return start_broadcast(session, broadcast=draft, text=outgoing_text(draft))


def record_progress_message(session: Session, *, broadcast_id: int, chat_id: int, message_id: int) -> None:
    """Remember the message the progress job edits."""
    row = session.get(Broadcast, broadcast_id)
    if row is not None:
        row.progress_chat_id = chat_id
        row.progress_message_id = message_id
        session.add(row)


def halt(session: Session, *, broadcast_id: int) -> int:
    """Cancel a running broadcast's pending messages; returns how many."""
    return cancel_broadcast(session, broadcast_id=broadcast_id)


# -- progress ---------------------------------------------------------------------------------------------
def due(last: dt.datetime | None, now: dt.datetime, interval: float) -> bool:
    """True when the progress message may be edited again (at most once every `interval` seconds)."""
    return last is None or (now - last).total_seconds() >= interval


def progress_text(
    language: str, counts: dict[str, int], total: int, *, finished: bool, cancelled: bool
) -> str:
    """ "Verstuurd 1.240 / 3.000 · 2 geblokkeerd" while it runs; the final report with the true counts."""
    values = {
        "sent": count(counts.get("sent", 0), language),
        "total": count(total, language),
        "blocked": count(counts.get("blocked", 0), language),
        "failed": count(counts.get("parked", 0), language),
        "cancelled": count(counts.get("cancelled", 0), language),
    }
    if not finished:
        return t(language, "broadcast.progress", **values)
    key = "broadcast.final_cancelled" if cancelled else "broadcast.final"
    return t(language, key, **values)


@dataclass(frozen=True)
class ProgressEdit:
    """One edit of a progress message to make."""

    broadcast_id: int
    chat_id: int
    message_id: int
    text: str
    finished: bool
    language: str


def progress_updates(
    engine: Engine, *, interval: float, now: dt.datetime | None = None
) -> list[ProgressEdit]:
    """The progress edits due now; records them (and finishes broadcasts with nothing left in flight)."""
    now = now or utcnow()
    edits = []
    with session_scope(engine) as session:
        for broadcast in running_broadcasts(session):
            edit = _progress(session, broadcast, now=now, interval=interval)
            if edit is not None:
                edits.append(edit)
    return edits


def _progress(
    session: Session, broadcast: Broadcast, *, now: dt.datetime, interval: float
) -> ProgressEdit | None:
    if not due(broadcast.progress_updated_at, now, interval):
        return None
    has_message = broadcast.progress_chat_id is not None and broadcast.progress_message_id is not None
    if not has_message and broadcast.created_by is not None and broadcast.started_at is not None:
        if now - broadcast.started_at < PROGRESS_MESSAGE_GRACE:
            return None  # the organiser's progress message is being sent right now: wait for it
    assert broadcast.id is not None
    if broadcast.status == BroadcastStatus.CANCELLED:
        # A row the sender held while the broadcast was cancelled may come back as pending: cancel it too.
        cancel_broadcast(session, broadcast_id=broadcast.id)
    counts = progress_counts(session, broadcast_id=broadcast.id)
    finished = counts["pending"] + counts["sending"] == 0
    ui = dict(broadcast.segment.get("ui") or {})
    language = str(ui.get("language") or "nl")
    shown = [counts[state] for state in ("sent", "blocked", "parked", "cancelled")]
    if finished:
        broadcast.finished_at = now
        if broadcast.status == BroadcastStatus.SENDING:
            broadcast.status = BroadcastStatus.DONE
    elif ui.get("shown") == shown:
        return None  # nothing changed since the last edit: no call, no "message is not modified"
    ui["shown"] = shown
    broadcast.segment = {**broadcast.segment, "ui": ui}
    broadcast.progress_updated_at = now
    session.add(broadcast)
    if broadcast.progress_chat_id is None or broadcast.progress_message_id is None:
        return None  # started from the command line (or the progress message was lost): nobody to tell
    text = progress_text(
        language,
        counts,
        broadcast.total,
        finished=finished,
        cancelled=broadcast.status == BroadcastStatus.CANCELLED,
    )
    return ProgressEdit(
        broadcast_id=broadcast.id,
        chat_id=broadcast.progress_chat_id,
        message_id=broadcast.progress_message_id,
        text=text,
        finished=finished,
        language=language,
    )
