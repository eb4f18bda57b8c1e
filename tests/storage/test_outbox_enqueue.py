"""Enqueueing is idempotent by dedupe key, on both databases."""

from __future__ import annotations

from sqlmodel import Session, select

from storage import session_scope
from storage.models import OutboxMessage
from storage.outbox import count_by_state, enqueue


def test_same_dedupe_key_is_queued_once(engine) -> None:
    with session_scope(engine) as session:
        first = enqueue(session, dedupe_key="digest:1:2026-W48", chat_id=11, kind="digest", text="Hallo")
        again = enqueue(session, dedupe_key="digest:1:2026-W48", chat_id=11, kind="digest", text="Hallo")
    assert first is not None and again is None
    with session_scope(engine) as session:
        assert enqueue(session, dedupe_key="digest:1:2026-W48", chat_id=11, kind="digest", text="x") is None
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        assert len(rows) == 1
        assert rows[0].payload == {
            "text": "Hallo",
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},  # no message of ours unfurls a link
        }
        assert count_by_state(session)["pending"] == 1


def test_captions_and_markup(engine) -> None:
    markup = {"inline_keyboard": [[{"text": "Ja", "callback_data": "fu:1:yes"}]]}
    with session_scope(engine) as session:
        row = enqueue(
            session, dedupe_key="k", chat_id=1, kind="stats", text="Funnel", method="sendPhoto",
            extra={"photo_path": "x.png"}, reply_markup=markup,
        )  # fmt: skip
        assert row is not None
        assert row.payload == {
            "photo_path": "x.png",
            "caption": "Funnel",
            "parse_mode": "HTML",
            "reply_markup": markup,
        }


def test_enqueue_listeners_hook_sessions_only_while_listening(engine) -> None:
    """Importing the outbox registers no global session hook; a listener hears committed enqueues only."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session as OrmSession

    from storage import outbox

    assert not event.contains(OrmSession, "after_commit", outbox._notify_enqueued)
    heard: list[str] = []
    remove = outbox.add_enqueue_listener(engine, lambda: heard.append("enqueued"))
    try:
        assert event.contains(OrmSession, "after_commit", outbox._notify_enqueued)
        with session_scope(engine) as session:
            session.exec(select(OutboxMessage)).all()  # a commit without an enqueue: nothing heard
        assert heard == []
        with session_scope(engine) as session:
            enqueue(session, dedupe_key="k1", chat_id=11, kind="test", text="Hallo")
        assert heard == ["enqueued"]
    finally:
        remove()
    assert not event.contains(OrmSession, "after_commit", outbox._notify_enqueued)
