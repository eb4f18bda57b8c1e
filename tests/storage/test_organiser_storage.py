"""Organiser queries on both databases: funnel, broadcasts, event links, invitations, parked messages."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from storage import session_scope
from storage.broadcasts import (
    cancel_broadcast,
    count_recipients,
    create_draft,
    open_draft,
    running_broadcasts,
    start_broadcast,
)
from storage.events import event_invitation, personal_invitations, unused_invitations
from storage.imports import link_event
from storage.invitations import RedemptionProblem, create_invitation, get_or_create_event, redeem_invitation
from storage.models import OutboxMessage, OutboxState, Participant
from storage.organisers import add_organiser, organisers_with_chat, record_organiser_chat, remove_organiser
from storage.outbox import enqueue
from storage.scope import Scope
from storage.stats import funnel_report, parked_messages, retry_parked, started_projects
from tests.bot.organiser_data import NOW, delete, introduce, person, suggest


def test_funnel_counts_people_overall_and_per_region_without_deleted_people(engine) -> None:
    a = person(engine, 1, region="achterhoek", organisation="A", offers=("stages",))
    b = person(engine, 2, region="foodvalley", organisation="B", needs=("stages",))
    c = person(engine, 3, region="achterhoek", organisation="C", themes=("water",))
    d = person(engine, 4, region="foodvalley", offers=("cnc",))
    e = person(engine, 5, region="achterhoek")  # suggested, never said yes
    person(engine, 6, region="foodvalley")  # no suggestion yet
    introduce(engine, a, b, project="Techniekdag")
    introduce(engine, a, c, contacted=True)
    suggest(engine, c, d)
    suggest(engine, c, e, answer_a="yes")
    suggest(engine, a, e)
    delete(engine, d)
    with Session(engine) as session:
        report = funnel_report(session, scope=Scope.everything())
        projects = started_projects(session, scope=Scope.everything())
        foodvalley = funnel_report(session, scope=Scope(region="foodvalley"))
        elsewhere = started_projects(session, scope=Scope(region="rivierenland"))
    # People, not pairs: 6 suggestions among 5 people count as the 4 people who have one.
    assert report.overall.as_tuple() == (5, 4, 3, 3, 3, 2)
    assert report.by_region["achterhoek"].as_tuple() == (3, 3, 2, 2, 2, 1)
    assert report.by_region["foodvalley"].as_tuple() == (2, 1, 1, 1, 1, 1)
    assert report.overall.conversions() == (0.8, 0.75, 1.0, 1.0, 2 / 3)
    assert [(p.description, p.organisation_a, p.organisation_b) for p in projects] == [
        ("Techniekdag", "A", "B")
    ]
    assert foodvalley.overall.as_tuple() == (2, 1, 1, 1, 1, 1)
    assert list(foodvalley.by_region) == ["foodvalley"]
    assert elsewhere == []


def test_broadcast_recipients_segments_idempotent_start_and_cancel(engine) -> None:
    ids = [person(engine, 10 + k, region="achterhoek", role="company") for k in range(3)]
    person(engine, 20, region="foodvalley", role="school", themes=("waterstof",))
    delete(engine, ids[2])
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede")
        assert event.id is not None
        link_event(session, participant_id=ids[0], event_id=event.id)
        assert count_recipients(session, segment={}) == 3
        assert count_recipients(session, segment={"region": "achterhoek"}) == 2
        assert count_recipients(session, segment={"role": "school"}) == 1
        assert count_recipients(session, segment={"event": event.id}) == 1
        assert count_recipients(session, segment={"theme": "waterstof", "theme_terms": ["waterstof"]}) == 1
        assert count_recipients(session, segment={"theme": "de", "theme_terms": []}) == 0
        paused = session.get(Participant, ids[1])
        assert paused is not None
        paused.status = "paused"
        session.add(paused)
    with session_scope(engine) as session:
        draft = create_draft(
            session, created_by=7, text="Hoi", segment={"region": "achterhoek", "ui": {"step": "x"}}
        )
        assert open_draft(session, created_by=7) is draft
        assert start_broadcast(session, broadcast=draft) == 1
        assert start_broadcast(session, broadcast=draft) == 1  # idempotent: no second row
        broadcast_id = draft.id
    with session_scope(engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        assert [r.dedupe_key for r in rows] == [f"broadcast:{broadcast_id}:{ids[0]}"]
        assert [b.id for b in running_broadcasts(session)] == [broadcast_id]
        assert broadcast_id is not None
        assert cancel_broadcast(session, broadcast_id=broadcast_id) == 1
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).one().state == OutboxState.CANCELLED


def test_event_links_are_reused_and_personal_links_are_single_use_and_expire(engine) -> None:
    ttl = dt.timedelta(days=60)
    p1, p2, p3 = (person(engine, k, offers=("x",)) for k in (1, 2, 3))
    with session_scope(engine) as session:
        assert event_invitation(session, code="ede-2026", ttl=ttl, now=NOW) is None  # no stray event
        get_or_create_event(session, code="ede-2026")
        first, event = event_invitation(session, code="ede-2026", ttl=ttl, now=NOW) or (None, None)
        again, _ = event_invitation(session, code="ede-2026", ttl=ttl, now=NOW + dt.timedelta(days=1)) or (
            None,
            None,
        )
        later, _ = event_invitation(session, code="ede-2026", ttl=ttl, now=NOW + dt.timedelta(days=50)) or (
            None,
            None,
        )
        assert first is not None and again is not None and later is not None
        assert first.id == again.id and later.id != first.id and event is not None
        personal = create_invitation(session, name="Anna", ttl=ttl, now=NOW)
        assert [i.id for i in personal_invitations(session, now=NOW)] == [personal.id]
        assert redeem_invitation(session, token=personal.token, participant_id=p1, now=NOW).problem is None
        used = redeem_invitation(session, token=personal.token, participant_id=p2, now=NOW)
        assert used.problem == RedemptionProblem.USED
        assert personal_invitations(session, now=NOW) == []
        old = create_invitation(session, name="Bert", ttl=ttl, now=NOW)
        expired = redeem_invitation(session, token=old.token, participant_id=p3, now=NOW + ttl)
        assert expired.problem == RedemptionProblem.EXPIRED
        assert personal_invitations(session, now=NOW + ttl) == []


def test_parked_messages_are_listed_and_retried(engine) -> None:
    with session_scope(engine) as session:
        for k in range(3):
            row = enqueue(session, dedupe_key=f"k{k}", chat_id=1, kind="digest", text="x")
            assert row is not None
            row.state = OutboxState.PARKED if k else OutboxState.SENT
            row.attempts = 8
            session.add(row)
    with session_scope(engine) as session:
        total, rows = parked_messages(session, limit=1)
        assert total == 2 and len(rows) == 1
        assert retry_parked(session, outbox_id=rows[0].outbox_id) == 1
        assert retry_parked(session) == 1
    with Session(engine) as session:
        states = sorted(r.state for r in session.exec(select(OutboxMessage)).all())
        assert states == ["pending", "pending", "sent"]


def test_a_run_is_claimed_once(engine) -> None:
    from storage.stats import claim_run

    with session_scope(engine) as session:
        assert claim_run(session, key="organiser-summary:2026-W48", now=NOW)
        assert not claim_run(session, key="organiser-summary:2026-W48", now=NOW)
    with session_scope(engine) as session:
        assert not claim_run(session, key="organiser-summary:2026-W48", now=NOW)
        assert claim_run(session, key="organiser-summary:2026-W49", now=NOW)


def test_unused_invitations_in_scope_and_expired_ones_renewed(engine) -> None:
    ttl = dt.timedelta(days=30)
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede")
        create_invitation(session, name="Anna", prefill={"region": "achterhoek"}, event_id=event.id, now=NOW)
        create_invitation(
            session, name="Bram", prefill={"region": "foodvalley"}, ttl=dt.timedelta(days=1), now=NOW
        )
        used = create_invitation(session, name="Carla", prefill={"region": "achterhoek"}, now=NOW)
        used.used_at = NOW
        session.add(used)
    later = NOW + dt.timedelta(days=5)
    with session_scope(engine) as session:
        everyone = unused_invitations(session, scope=Scope.everything(), renew_ttl=ttl, now=later)
    assert [(i.name, i.renewed, i.event_code) for i in everyone] == [
        ("Anna", False, "ede"),
        ("Bram", True, ""),
    ]
    assert everyone[1].expires_at == later + ttl
    with session_scope(engine) as session:
        assert [
            i.name for i in unused_invitations(session, scope=Scope(region="foodvalley"), renew_ttl=ttl)
        ] == ["Bram"]
        assert [
            i.name for i in unused_invitations(session, scope=Scope(event_code="ede"), renew_ttl=ttl)
        ] == ["Anna"]
        assert unused_invitations(session, scope=Scope(event_code="elders"), renew_ttl=ttl) == []


def test_organisers_with_a_chat_recorded_participating_or_delivered_to_before(engine) -> None:
    person(engine, 902, offers=("stages",))  # an organiser who took part: their chat exists
    with session_scope(engine) as session:
        add_organiser(session, telegram_id=903, added_by=901)
        assert not record_organiser_chat(session, telegram_id=999, configured=[901], now=NOW)  # no organiser
        assert record_organiser_chat(session, telegram_id=901, configured=[901], now=NOW)
        assert not record_organiser_chat(session, telegram_id=901, configured=[901], now=NOW)  # once
        for chat_id, state in ((904, OutboxState.SENT), (905, OutboxState.CANCELLED)):  # 905: chat not found
            row = enqueue(session, dedupe_key=f"k{chat_id}", chat_id=chat_id, kind="stats", text="x")
            assert row is not None
            row.state = state
            session.add(row)
    with Session(engine) as session:
        ids = [901, 902, 903, 904, 905]
        assert organisers_with_chat(session, telegram_ids=ids) == {901, 902, 904}
    with session_scope(engine) as session:
        assert remove_organiser(session, telegram_id=903)
        add_organiser(session, telegram_id=906, added_by=901)
        assert record_organiser_chat(session, telegram_id=906, configured=[901], now=NOW)
        assert remove_organiser(session, telegram_id=906)  # the record of their chat goes with them
    with Session(engine) as session:
        assert organisers_with_chat(session, telegram_ids=[906]) == set()
