"""An organiser's scope on both databases: which participants, pairs and parked messages it covers."""

from __future__ import annotations

from sqlmodel import Session

from storage import session_scope
from storage.broadcasts import count_recipients, scope_segment
from storage.exports import export_data
from storage.imports import link_event
from storage.invitations import get_or_create_event
from storage.models import OutboxState
from storage.organisers import (
    add_organiser,
    list_organisers,
    organiser_scope,
    organisers_for_region,
)
from storage.outbox import enqueue
from storage.scope import Scope, participant_ids_in_scope
from storage.stats import demand_items, funnel_report, parked_messages, retry_parked
from tests.bot.organiser_data import introduce, person, suggest


def _world(engine) -> tuple[int, int, int, int]:
    a = person(engine, 1, region="achterhoek", organisation="A", needs=("stages",))
    b = person(engine, 2, region="foodvalley", organisation="B", offers=("cnc",))
    c = person(engine, 3, region="achterhoek", organisation="C", offers=("les",))
    d = person(engine, 4, region="foodvalley", organisation="D", needs=("water",))
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede-2022", name="Netwerkmiddag Ede")
        assert event.id is not None
        link_event(session, participant_id=b, event_id=event.id)
        link_event(session, participant_id=c, event_id=event.id)
    introduce(engine, a, b, project="Techniekdag")
    suggest(engine, b, d)
    suggest(engine, c, d)
    return a, b, c, d


def test_scope_everything_is_global_and_keeps_its_fields() -> None:
    assert Scope.everything() == Scope(region=None, event_code=None)
    assert Scope.everything().is_global
    assert not Scope(region="achterhoek").is_global and not Scope(event_code="ede").is_global


def test_a_scope_selects_its_region_its_event_or_both(engine) -> None:
    a, b, c, d = _world(engine)
    with Session(engine) as session:
        assert participant_ids_in_scope(session, scope=Scope.everything()) is None
        assert participant_ids_in_scope(session, scope=Scope(region="achterhoek")) == {a, c}
        assert participant_ids_in_scope(session, scope=Scope(event_code="ede-2022")) == {b, c}
        assert participant_ids_in_scope(session, scope=Scope(region="achterhoek", event_code="ede-2022")) == {
            c
        }
        assert participant_ids_in_scope(session, scope=Scope(event_code="nope")) == set()


def test_funnel_export_demand_and_recipients_stay_within_the_scope(engine) -> None:
    a, b, c, d = _world(engine)
    region = Scope(region="achterhoek")
    with Session(engine) as session:
        assert funnel_report(session).overall.participants == 4
        report = funnel_report(session, scope=region)
        assert report.overall.participants == 2 and set(report.by_region) == {"achterhoek"}
        assert report.overall.suggested == 2  # people: a (with b) and c (with d); b and d are elsewhere
        data = export_data(session, scope=region)
        assert [p["id"] for p in data.participants] == [a, c]
        assert len(data.suggestions) == 2
        outside = {row["name_b"] for row in data.suggestions}
        assert outside == {None}  # the side outside the region shows no name
        assert {item.participant_id for item in demand_items(session, scope=region)} == {a, c}
        assert count_recipients(session, segment={}) == 4
        assert count_recipients(session, segment=scope_segment(region)) == 2
        assert count_recipients(session, segment={**scope_segment(region), "region": "foodvalley"}) == 0
        event = scope_segment(Scope(event_code="ede-2022"))
        assert count_recipients(session, segment=event) == 2


def test_parked_messages_and_their_retry_stay_within_the_scope(engine) -> None:
    a, b, _, _ = _world(engine)
    with session_scope(engine) as session:
        for pid in (a, b):
            row = enqueue(
                session, dedupe_key=f"x:{pid}", chat_id=pid, kind="digest", text="hoi", participant_id=pid
            )
            assert row is not None
            row.state = OutboxState.PARKED
            session.add(row)
    region = Scope(region="foodvalley")
    with session_scope(engine) as session:
        total, rows = parked_messages(session, scope=region)
        assert total == 1 and len(rows) == 1
        assert parked_messages(session)[0] == 2
        assert retry_parked(session, scope=region) == 1
        assert parked_messages(session)[0] == 1


def test_organisers_have_a_scope_and_a_name(engine) -> None:
    with session_scope(engine) as session:
        assert add_organiser(
            session, telegram_id=50, added_by=1, scope=Scope(region="achterhoek"), name="Ria"
        )
        assert add_organiser(session, telegram_id=51, added_by=1)
        assert not add_organiser(session, telegram_id=51, added_by=1, scope=Scope(event_code="ede"))
    with Session(engine) as session:
        assert organiser_scope(session, telegram_id=1, configured=[1]) == Scope.everything()
        assert organiser_scope(session, telegram_id=50, configured=[1]) == Scope(region="achterhoek")
        assert organiser_scope(session, telegram_id=51, configured=[1]) == Scope(event_code="ede")
        assert organiser_scope(session, telegram_id=99, configured=[1]) is None
        lines = list_organisers(session, configured=[1])
        assert [(line.telegram_id, line.name, line.configured) for line in lines] == [
            (1, None, True),
            (50, "Ria", False),
            (51, None, False),
        ]
        assert organisers_for_region(session, region="achterhoek", configured=[1]) == [50]
        assert organisers_for_region(session, region="foodvalley", configured=[1]) == [1]
        assert organisers_for_region(session, region=None, configured=[1]) == [1]
