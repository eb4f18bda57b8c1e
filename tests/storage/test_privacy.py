"""Erasure leaves a tombstone and no personal data anywhere (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from storage import session_scope
from storage.invitations import create_invitation, get_or_create_event, redeem_invitation
from storage.models import (
    ItemKind,
    NeverSuggest,
    OutboxMessage,
    Participant,
    ParticipantStatus,
    ProfileItem,
    Suggestion,
    SuggestionStatus,
)
from storage.outbox import enqueue
from storage.participants import add_items, create_participant, join_event
from storage.privacy import erase_participant, find_values
from storage.suggestions import add_never, create_suggestion

NOW = dt.datetime(2026, 11, 24, 18, 0, tzinfo=dt.UTC)


def test_erase_participant_leaves_only_a_tombstone(engine) -> None:
    with session_scope(engine) as session:
        eve = create_participant(
            session, telegram_id=777001, chat_id=777001, language="nl", username="eve_zonnig", now=NOW
        )
        eve.name, eve.organisation, eve.email = "Eve Zonneveld", "Zonnig Techniek BV", "eve@zonnig.example"
        eve.region, eve.role = "achterhoek", "company"
        eve.conversation_state, eve.conversation_data = "ob_offers", {"draft": "Eve Zonneveld"}
        add_items(session, participant=eve, kind=ItemKind.OFFER, texts=[("zonnepanelen workshop", "x")])
        bob = create_participant(session, telegram_id=777002, chat_id=777002, language="nl", now=NOW)
        bob.name = "Bob"
        assert eve.id is not None and bob.id is not None
        pending = create_suggestion(
            session, a_id=eve.id, b_id=bob.id, score=0.5, source="matches",
            reasons={"a": [{"kind": "offer_need", "own": "zonnepanelen workshop"}], "b": []},
        )  # fmt: skip
        add_never(session, participant_id=bob.id, other_id=eve.id)
        enqueue(session, dedupe_key=f"intro:{pending.id}:{bob.id}", chat_id=777002, kind="intro",
                text="Maak kennis met Eve Zonneveld (@eve_zonnig)", participant_id=bob.id)  # fmt: skip
        enqueue(session, dedupe_key="digest:eve", chat_id=777001, kind="digest", text="Hoi Eve Zonneveld")
        enqueue(session, dedupe_key="digest:bob", chat_id=777002, kind="digest", text="Hoi Bob")
        event = get_or_create_event(session, code="ede-2022", name="Ede")
        join_event(session, participant_id=eve.id, event_id=event.id)  # type: ignore[arg-type]
        invitation = create_invitation(
            session, name="Eve Zonneveld", email="eve@zonnig.example", prefill={"organisation": "Zonnig"},
            source_key="import:e1:eve zonneveld", telegram_id=777001,
        )  # fmt: skip
        redeem_invitation(session, token=invitation.token, participant_id=eve.id, telegram_id=777001, now=NOW)
        eve_id, bob_id = eve.id, bob.id

    needles: list[str | int] = ["Eve Zonneveld", "eve_zonnig", "Zonnig Techniek", "eve@zonnig.example"]
    needles += ["zonnepanelen workshop", 777001]
    with Session(engine) as session:
        assert find_values(session, needles=needles)  # the check itself can fail

    with session_scope(engine) as session:
        report = erase_participant(session, participant_id=eve_id, now=NOW)
        assert report is not None and report.suggestions_withdrawn == 1

    with Session(engine) as session:
        assert find_values(session, needles=needles) == []
        tomb = session.get(Participant, eve_id)
        assert tomb is not None and tomb.status == ParticipantStatus.DELETED and tomb.deleted_at is not None
        assert session.exec(select(ProfileItem)).all() == []
        assert session.exec(select(NeverSuggest)).all() == []
        suggestion = session.exec(select(Suggestion)).one()
        assert suggestion.status == SuggestionStatus.WITHDRAWN and suggestion.reasons == {}
        assert [row.dedupe_key for row in session.exec(select(OutboxMessage)).all()] == ["digest:bob"]
        assert session.get(Participant, bob_id).name == "Bob"  # type: ignore[union-attr]


def test_erasing_nobody_is_harmless(engine) -> None:
    with session_scope(engine) as session:
        assert erase_participant(session, participant_id=424242) is None


def test_erasing_an_organiser_who_took_part_unnames_their_organiser_row(engine) -> None:
    from storage.models import Organiser
    from storage.organisers import add_organiser

    with session_scope(engine) as session:
        person = create_participant(session, telegram_id=5150, chat_id=5150, language="nl", username="ria_tp")
        person.name = "Ria Reinders"
        add_organiser(session, telegram_id=5150, added_by=1, name="Ria Reinders", username="ria_tp")
        participant_id = person.id
    with session_scope(engine) as session:
        assert participant_id is not None and erase_participant(session, participant_id=participant_id)
    with Session(engine) as session:
        row = session.exec(select(Organiser).where(Organiser.telegram_id == 5150)).one()
        assert (row.name, row.username) == (None, None)  # still an organiser, no longer named
