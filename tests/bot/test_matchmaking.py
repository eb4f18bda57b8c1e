"""Matchmaking rules on a real database (SQLite and PostgreSQL): profiles, history, double opt-in."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

import matching
from bot.reasons import reason_lines
from bot.services import matchmaking as mm
from storage import session_scope
from storage.models import (
    Introduction,
    NeverSuggest,
    Participant,
    ParticipantStatus,
    Suggestion,
    SuggestionStatus,
)
from tests.factories import add_participant

NOW = dt.datetime(2026, 11, 24, 18, 0, tzinfo=dt.UTC)


def make_person(
    session: Session,
    telegram_id: int,
    name: str,
    *,
    organisation: str,
    role: str,
    region: str,
    offers: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
    themes: tuple[str, ...] = (),
    complete: bool = True,
) -> Participant:
    return add_participant(
        session, telegram_id, name, organisation=organisation, role=role, region=region, offers=offers,
        needs=needs, themes=themes, completed_at=NOW if complete else None, now=NOW,
    )  # fmt: skip


@pytest.fixture
def three(engine) -> dict[str, int]:
    """A vmbo teacher, an installer and a half-finished profile."""
    with session_scope(engine) as session:
        school = make_person(
            session, 11, "Sanne de Vries", organisation="Het Streek", role="school", region="foodvalley",
            offers=("leerlingen voor een praktijkopdracht",), needs=("gastlessen over warmtepompen",),
            themes=("energietransitie",),
        )  # fmt: skip
        company = make_person(
            session, 12, "Ruud Jansen", organisation="Jansen Installatietechniek", role="company",
            region="foodvalley", offers=("gastlessen warmtepomp-installatie",),
            needs=("stagiairs installatietechniek",), themes=("energietransitie",),
        )  # fmt: skip
        draft = make_person(
            session, 13, "Half", organisation="X", role="mbo", region="achterhoek", complete=False
        )
        return {"school": school.id, "company": company.id, "draft": draft.id}  # type: ignore[dict-item]


def test_load_profiles_only_completed_active(engine, three) -> None:
    with Session(engine) as session:
        profiles = mm.load_profiles(session)
    ids = {p.id for p in profiles}
    assert ids == {str(three["school"]), str(three["company"])}
    school = next(p for p in profiles if p.id == str(three["school"]))
    assert school.needs == ("gastlessen over warmtepompen",)
    assert school.region == "foodvalley" and school.role == "school"


def test_find_record_and_list_suggestions(engine, three) -> None:
    cache = mm.MatcherCache()
    with session_scope(engine) as session:
        rows = mm.find_new_suggestions(session, participant_id=three["school"], cache=cache, limit=3, now=NOW)
        assert len(rows) == 1
        row = rows[0]
        assert row.participant_a_id < row.participant_b_id
        assert {row.participant_a_id, row.participant_b_id} == {three["school"], three["company"]}
        assert set(row.reasons) == {"a", "b"}
    with session_scope(engine) as session:
        # Both sides see it; a second search does not duplicate the pair.
        assert [
            s.id for s in mm.suggestions_for(session, participant_id=three["company"], limit=5, now=NOW)
        ] == [row.id]
        assert (
            mm.find_new_suggestions(session, participant_id=three["company"], cache=cache, limit=3, now=NOW)
            == []
        )
        view = mm.matching_suggestion(
            mm.suggestions_for(session, participant_id=three["school"], limit=5, now=NOW)[0], three["school"]
        )
        lines = reason_lines("nl", view.reasons, "Ruud Jansen")
        assert any("warmtepomp" in line for line in lines)
        mirrored = mm.matching_suggestion(row, three["company"])
        assert mirrored.other_id == str(three["school"])
    assert cache.builds == 1


def test_record_suggestions_one_row_per_pair(engine, three) -> None:
    a, b = str(three["school"]), str(three["company"])
    reason = matching.Reason("need_offer", own_text="gastles", other_text="gastles warmtepomp")
    pair = [
        matching.Suggestion(a, b, 0.5, (reason,)),
        matching.Suggestion(b, a, 0.5, (matching.Reason("offer_need", "x", "y"),)),
    ]
    with session_scope(engine) as session:
        rows = mm.record_suggestions(session, pair, source="digest", week="2026-W48", now=NOW)
        assert len(rows) == 1
        again = mm.record_suggestions(session, pair, source="digest", week="2026-W48", now=NOW)
        assert [r.id for r in again] == [rows[0].id]
    with Session(engine) as session:
        stored = session.exec(select(Suggestion)).all()
        assert len(stored) == 1
        side_b = "a" if stored[0].participant_a_id == three["company"] else "b"
        assert stored[0].reasons[side_b][0]["own"] == "x"
        assert stored[0].week == "2026-W48" and stored[0].source == "digest"


def _suggest(engine, three) -> int:
    with session_scope(engine) as session:
        rows = mm.find_new_suggestions(
            session, participant_id=three["school"], cache=mm.MatcherCache(), limit=3, now=NOW
        )
        return rows[0].id  # type: ignore[return-value]


def test_both_yes_introduces_once(engine, three) -> None:
    sid = _suggest(engine, three)
    with session_scope(engine) as session:
        first = mm.answer_suggestion(
            session, suggestion_id=sid, participant_id=three["school"], answer="yes", now=NOW
        )
        assert first.introduction is None and first.other_needs_asking
        second = mm.answer_suggestion(
            session, suggestion_id=sid, participant_id=three["company"], answer="yes", now=NOW
        )
        assert second.newly_introduced and second.introduction is not None
        again = mm.answer_suggestion(
            session, suggestion_id=sid, participant_id=three["company"], answer="yes", now=NOW
        )
        assert not again.newly_introduced
    with Session(engine) as session:
        assert len(session.exec(select(Introduction)).all()) == 1
        assert session.get(Suggestion, sid).status == SuggestionStatus.INTRODUCED  # type: ignore[union-attr]


def test_decline_closes_and_can_be_undone(engine, three) -> None:
    sid = _suggest(engine, three)
    with session_scope(engine) as session:
        mm.answer_suggestion(
            session, suggestion_id=sid, participant_id=three["company"], answer="yes", now=NOW
        )
        mm.answer_suggestion(session, suggestion_id=sid, participant_id=three["school"], answer="no", now=NOW)
        assert mm.suggestions_for(session, participant_id=three["company"], limit=5, now=NOW) == []
        with pytest.raises(mm.SuggestionClosed):
            mm.answer_suggestion(
                session, suggestion_id=sid, participant_id=three["company"], answer="yes", now=NOW
            )
        # The decliner may change their mind.
        outcome = mm.answer_suggestion(
            session, suggestion_id=sid, participant_id=three["school"], answer="yes", now=NOW
        )
        assert outcome.newly_introduced


def test_undo_takes_the_answer_back_it_does_not_say_later(engine, three) -> None:
    sid = _suggest(engine, three)
    with session_scope(engine) as session:
        mm.answer_suggestion(session, suggestion_id=sid, participant_id=three["school"], answer="no", now=NOW)
        outcome = mm.answer_suggestion(
            session, suggestion_id=sid, participant_id=three["school"], answer="later", now=NOW, undo=True
        )
        row = outcome.suggestion
        mine = row.answer_a if outcome.side == "a" else row.answer_b
        when = row.answered_a_at if outcome.side == "a" else row.answered_b_at
        assert (row.status, mine, when) == ("pending", None, None)


def test_never_blocks_the_pair_for_good(engine, three) -> None:
    sid = _suggest(engine, three)
    with session_scope(engine) as session:
        mm.answer_suggestion(
            session, suggestion_id=sid, participant_id=three["school"], answer="never", now=NOW
        )
    with session_scope(engine) as session:
        assert len(session.exec(select(NeverSuggest)).all()) == 1
        history = mm.build_history(session, now=NOW + dt.timedelta(days=400))
        assert history.never == {str(three["school"]): frozenset({str(three["company"])})}
        assert (
            mm.find_new_suggestions(
                session, participant_id=three["company"], cache=mm.MatcherCache(), limit=3, now=NOW
            )
            == []
        )


def test_only_a_side_may_answer(engine, three) -> None:
    sid = _suggest(engine, three)
    with session_scope(engine) as session:
        with pytest.raises(mm.NotASide):
            mm.answer_suggestion(
                session, suggestion_id=sid, participant_id=three["draft"], answer="yes", now=NOW
            )
        with pytest.raises(mm.UnknownSuggestion):
            mm.answer_suggestion(
                session, suggestion_id=sid + 999, participant_id=three["school"], answer="yes", now=NOW
            )


def test_paused_people_are_not_suggested(engine, three) -> None:
    with session_scope(engine) as session:
        company = session.get(Participant, three["company"])
        assert company is not None
        company.status = ParticipantStatus.PAUSED
        company.updated_at = NOW + dt.timedelta(seconds=1)
        session.add(company)
    with session_scope(engine) as session:
        history = mm.build_history(session, now=NOW)
        assert str(three["company"]) in history.inactive
        assert (
            mm.find_new_suggestions(
                session, participant_id=three["school"], cache=mm.MatcherCache(), limit=3, now=NOW
            )
            == []
        )


def test_cache_rebuilds_when_the_asker_changed(engine, three) -> None:
    cache = mm.MatcherCache(max_age=3600)
    with session_scope(engine) as session:
        cache.get(session, for_id=three["school"])
        cache.get(session, for_id=three["school"])
        assert cache.builds == 1
        school = session.get(Participant, three["school"])
        assert school is not None
        school.organisation = "Het Streek Ede"
        school.updated_at = NOW + dt.timedelta(seconds=5)
        session.add(school)
        session.flush()
        cache.get(session, for_id=three["company"])  # someone else changed: the young cache is fine
        assert cache.builds == 1
        cache.get(session, for_id=three["school"])
        assert cache.builds == 2
