"""Claiming, marking and releasing outbox rows, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from storage import session_scope
from storage.models import OutboxMessage, OutboxState, Participant, ParticipantStatus
from storage.outbox import (
    attachment,
    claim_due,
    count_by_state,
    enqueue,
    list_parked,
    mark_blocked,
    mark_failed,
    mark_sent,
    next_due_at,
    release_claims,
    requeue_parked,
    reschedule,
)

NOW = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
STALE = dt.timedelta(minutes=5)


def _queue(engine, count: int, **kwargs) -> None:
    with session_scope(engine) as session:
        for i in range(count):
            enqueue(session, dedupe_key=f"k{i}", chat_id=100 + i, kind="test", text=f"m{i}", **kwargs)


def _claim(engine, owner: str, *, now=NOW, limit=10, exclude=()) -> list[OutboxMessage]:
    with session_scope(engine) as session:
        return claim_due(session, owner=owner, now=now, limit=limit, stale_after=STALE, exclude_chats=exclude)


def test_claim_takes_due_rows_once(engine) -> None:
    _queue(engine, 5, not_before=NOW - dt.timedelta(seconds=1))
    first = _claim(engine, "a", limit=3)
    second = _claim(engine, "b", limit=10)
    assert [row.payload["text"] for row in first] == ["m0", "m1", "m2"]
    assert [row.payload["text"] for row in second] == ["m3", "m4"]
    assert {row.state for row in first + second} == {OutboxState.SENDING}
    assert _claim(engine, "c") == []


def test_not_before_and_next_attempt_are_respected(engine) -> None:
    later = NOW + dt.timedelta(hours=10)
    with session_scope(engine) as session:
        enqueue(session, dedupe_key="quiet", chat_id=1, kind="digest", text="x", not_before=later)
    assert _claim(engine, "a") == []
    with Session(engine) as session:
        assert next_due_at(session) == later
    assert len(_claim(engine, "a", now=later)) == 1


def test_excluded_chats_are_skipped(engine) -> None:
    _queue(engine, 3, not_before=NOW)
    rows = _claim(engine, "a", exclude=[100, 101])
    assert [row.chat_id for row in rows] == [102]


def test_stale_claims_go_back_to_anyone(engine) -> None:
    _queue(engine, 1, not_before=NOW)
    assert len(_claim(engine, "dead")) == 1
    assert _claim(engine, "b", now=NOW + dt.timedelta(minutes=4)) == []
    taken = _claim(engine, "b", now=NOW + dt.timedelta(minutes=6))
    assert len(taken) == 1 and taken[0].claimed_by == "b"
    with session_scope(engine) as session:
        # The dead owner's late confirmation is refused: the row is someone else's now.
        assert not mark_sent(session, message_id=taken[0].id, owner="dead", telegram_message_id=1, now=NOW)
        assert mark_sent(session, message_id=taken[0].id, owner="b", telegram_message_id=7, now=NOW)
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage)).one()
        assert (row.state, row.telegram_message_id, row.attempts) == (OutboxState.SENT, 7, 1)
    assert _claim(engine, "c", now=NOW + dt.timedelta(hours=1)) == []


def test_reschedule_fail_and_requeue(engine) -> None:
    _queue(engine, 2, not_before=NOW)
    first, second = _claim(engine, "a")
    with session_scope(engine) as session:
        later = NOW + dt.timedelta(seconds=30)
        assert reschedule(session, message_id=first.id, owner="a", at=later, error="502", count_attempt=True)
        assert mark_failed(session, message_id=second.id, owner="a", error="400: chat not found")
    assert _claim(engine, "a") == []
    assert len(_claim(engine, "a", now=NOW + dt.timedelta(seconds=31))) == 1
    with session_scope(engine) as session:
        parked = list_parked(session)
        assert [row.last_error for row in parked] == ["400: chat not found"]
        assert count_by_state(session)["parked"] == 1
        assert requeue_parked(session, now=NOW) == 1
    assert [row.id for row in _claim(engine, "a", now=NOW + dt.timedelta(seconds=1))] == [second.id]


def test_blocked_person_stops_all_their_rows(engine) -> None:
    with session_scope(engine) as session:
        person = Participant(telegram_id=77, chat_id=77)
        session.add(person)
        session.flush()
        for i in range(3):
            enqueue(session, dedupe_key=f"b{i}", chat_id=77, kind="nudge", text="x", participant_id=person.id)
        enqueue(session, dedupe_key="other", chat_id=78, kind="nudge", text="x")
    rows = _claim(engine, "a", now=NOW + dt.timedelta(days=1), limit=1)
    with session_scope(engine) as session:
        assert mark_blocked(session, chat_id=rows[0].chat_id, now=NOW) == 3
    with Session(engine) as session:
        assert session.exec(select(Participant)).one().status == ParticipantStatus.BLOCKED
        assert count_by_state(session)["blocked"] == 3
        assert count_by_state(session)["pending"] == 1


def test_release_gives_claims_back(engine) -> None:
    _queue(engine, 3, not_before=NOW)
    rows = _claim(engine, "a")
    with session_scope(engine) as session:
        assert release_claims(session, owner="a", message_ids=[rows[0].id]) == 1
        assert release_claims(session, owner="someone-else") == 0
    assert [row.id for row in _claim(engine, "b")] == [rows[0].id]


def test_attachment_payloads() -> None:
    assert attachment("photo", data=b"\x89PNG", filename="funnel.png") == {
        "photo_b64": "iVBORw==",
        "filename": "funnel.png",
    }
    assert attachment("document", path="/tmp/x.csv") == {"document_path": "/tmp/x.csv"}
    with pytest.raises(ValueError):
        attachment("video", data=b"")
    with pytest.raises(ValueError):
        attachment("photo")


@pytest.mark.postgres
def test_skip_locked_lets_two_workers_claim_disjoint_rows(migrated_urls) -> None:
    from storage import make_engine

    engine = make_engine(migrated_urls("postgresql"))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM outbox")
        _queue(engine, 6, not_before=NOW)
        with Session(engine, expire_on_commit=False) as first:
            # The first worker holds its row locks (transaction still open) while the second claims.
            rows_a = claim_due(first, owner="a", now=NOW, limit=3, stale_after=STALE)
            rows_b = _claim(engine, "b", limit=10)
            first.commit()
        assert len(rows_a) == 3 and len(rows_b) == 3
        assert not {row.id for row in rows_a} & {row.id for row in rows_b}
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM outbox")
        engine.dispose()


def test_a_delivered_message_keeps_its_bookkeeping_but_not_its_text(engine) -> None:
    with session_scope(engine) as session:
        markup = {"inline_keyboard": [[{"text": "Antwoord", "callback_data": "relay:1"}]]}
        enqueue(
            session, dedupe_key="relay:1:2:3", chat_id=7, kind="relay", text="bel 0612", reply_markup=markup
        )
    (row,) = _claim(engine, "a")
    with session_scope(engine) as session:
        assert mark_sent(session, message_id=row.id, owner="a", telegram_message_id=99, now=NOW)
    with Session(engine) as session:
        sent = session.exec(select(OutboxMessage)).one()
    assert sent.payload == {}
    assert (sent.state, sent.telegram_message_id, sent.sent_at, sent.chat_id, sent.kind, sent.dedupe_key) == (
        OutboxState.SENT, 99, NOW, 7, "relay", "relay:1:2:3",
    )  # fmt: skip
