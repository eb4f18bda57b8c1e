"""Broadcast rules that handlers, the progress job and the CLI share: segments, previews, progress."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.services.numbers import count
from bot.texts import catalogue, t
from matching import normalise_phrase
from storage import session_scope
from storage.broadcasts import cancel_broadcast, progress_counts, running_broadcasts
from storage.models import Broadcast, BroadcastStatus, Event
from storage.types import utcnow

# A broadcast started in Telegram gets its progress message just after its rows are queued; until then (or
# for this long, should sending it have failed) the progress job leaves it alone.
PROGRESS_MESSAGE_GRACE = dt.timedelta(minutes=1)

__all__ = [
    "ProgressEdit",
    "describe_segment",
    "due",
    "progress_text",
    "progress_updates",
    "region_label",
    "role_label",
    "theme_segment",
]


def theme_segment(keyword: str) -> dict[str, Any]:
    """The segment for a theme keyword: the words as typed and the matcher's normalised terms."""
    keyword = keyword.strip()[:100]
    return {"theme": keyword, "theme_terms": normalise_phrase(keyword).split()}


def describe_segment(session: Session, segment: dict[str, Any], language: str) -> str:
    """The segment in words ("iedereen", "regio Achterhoek · rol bedrijf"), HTML-escaped."""
    parts = []
    if segment.get("region"):
        parts.append(t(language, "broadcast.seg_region", region=region_label(language, segment["region"])))
    if segment.get("role"):
        parts.append(t(language, "broadcast.seg_role", role=role_label(language, segment["role"])))
    if segment.get("event") is not None:
        event = session.get(Event, int(segment["event"]))
        parts.append(t(language, "broadcast.seg_event", event=event.name if event else "?"))
    if segment.get("theme") is not None:
        parts.append(t(language, "broadcast.seg_theme", theme=segment["theme"]))
    return " · ".join(parts) if parts else t(language, "broadcast.seg_all")


def region_label(language: str, code: str) -> str:
    """A region code's name for people ("arnhem-nijmegen" → "Arnhem-Nijmegen")."""
    return catalogue(language).get(f"organiser.region.{code}", code)


def role_label(language: str, code: str) -> str:
    """A role code's name for people ("company" → "bedrijf")."""
    return catalogue(language).get(f"organiser.role.{code}", code)


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
