"""Follow-up nudges: planning, stop conditions, quiet hours (service), and the buttons end to end."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, col, select

from bot.app import KoppelApplication, build_application
from bot.clock import Clock
from bot.runner import polling
from bot.services import followups
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.models import (
    FollowUp,
    FollowUpKind,
    FollowUpState,
    Introduction,
    IntroductionStatus,
    OutboxMessage,
    Participant,
    ParticipantStatus,
)
from storage.suggestions import create_introduction, create_suggestion
from tests.factories import QUIET_NIGHTS, add_participant

INTRODUCED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)  # a Monday


def pair(engine, *, a=(21, "Anna"), b=(22, "Bob")) -> tuple[int, int, int]:
    """Two participants who were introduced at INTRODUCED; returns (a id, b id, introduction id)."""
    with session_scope(engine) as session:
        people = []
        for telegram_id, name in (a, b):
            person = add_participant(
                session, telegram_id, name, organisation=f"{name} BV", completed_at=INTRODUCED
            )
            people.append(person.id)
        low, high = sorted(people)
        suggestion = create_suggestion(session, a_id=low, b_id=high, score=0.5, reasons={}, source="matches")
        suggestion.status = "introduced"
        introduction = create_introduction(session, suggestion=suggestion, now=INTRODUCED)
        return people[0], people[1], introduction.id


def nudges(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == "nudge").order_by(col(OutboxMessage.id))
            )
        )


def at(days: float, hour: int = 10) -> dt.datetime:
    return (INTRODUCED + dt.timedelta(days=days)).replace(hour=hour)


def test_the_nudge_sequence(engine, settings: Settings) -> None:
    a, b, _ = pair(engine)
    report = followups.run_followups(engine, settings=settings, now=at(1))
    assert report.planned == 8 and report.queued == 0
    with Session(engine) as session:
        kinds = sorted((f.participant_id, f.kind, f.due_at) for f in session.exec(select(FollowUp)))
    assert (a, FollowUpKind.CONTACT_CHECK, INTRODUCED + dt.timedelta(days=3)) in kinds
    assert (b, FollowUpKind.LONG_CHECK, INTRODUCED + dt.timedelta(days=182)) in kinds
    assert followups.run_followups(engine, settings=settings, now=at(3)).queued == 2
    assert followups.run_followups(engine, settings=settings, now=at(3)).queued == 0  # once
    texts = [row.payload["text"] for row in nudges(engine)]
    assert any("Hebben jullie al contact gehad?" in text and "Bob" in text for text in texts)
    labels = [b["text"] for row in nudges(engine)[0].payload["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Ja", "Nog niet", "Niet meer nodig"]
    assert followups.run_followups(engine, settings=settings, now=at(14)).queued == 2
    assert "gezamenlijk project" in nudges(engine)[-1].payload["text"]
    assert followups.run_followups(engine, settings=settings, now=at(30)).queued == 2
    # Nobody got in touch: the long check (does it still run?) is pointless and cancelled.
    report = followups.run_followups(engine, settings=settings, now=at(183))
    assert report.queued == 0 and report.cancelled == 2


def test_stop_and_known_contact_cancel_later_nudges(engine, settings: Settings) -> None:
    a, b, introduction_id = pair(engine)
    followups.run_followups(engine, settings=settings, now=at(3))
    with Session(engine) as session:
        fu_a = session.exec(
            select(FollowUp).where(FollowUp.participant_id == a, FollowUp.kind == "contact_check")
        ).one()
    with session_scope(engine) as session:
        outcome = followups.answer_followup(
            session, followup_id=fu_a.id, participant_id=a, answer="y", now=at(4), settings=settings
        )
        assert outcome.reply_key == "answered_contacted"
    with Session(engine) as session:
        introduction = session.get(Introduction, introduction_id)
        assert introduction.status == IntroductionStatus.CONTACTED and introduction.contacted_at == at(4)
    # Bob answers "no longer needed": everything left for the pair stops.
    with Session(engine) as session:
        fu_b = session.exec(
            select(FollowUp).where(FollowUp.participant_id == b, FollowUp.kind == "contact_check")
        ).one()
    with session_scope(engine) as session:
        followups.answer_followup(
            session, followup_id=fu_b.id, participant_id=b, answer="s", now=at(5), settings=settings
        )
    before = len(nudges(engine))
    assert followups.run_followups(engine, settings=settings, now=at(200)).queued == 0
    assert len(nudges(engine)) == before
    with Session(engine) as session:
        states = {f.state for f in session.exec(select(FollowUp).where(FollowUp.kind != "contact_check"))}
        assert states == {FollowUpState.CANCELLED}
        assert session.get(Introduction, introduction_id).status == IntroductionStatus.STOPPED


def test_forged_and_stale_answers_are_refused(engine, settings: Settings) -> None:
    a, b, _ = pair(engine)
    followups.run_followups(engine, settings=settings, now=at(3))
    with Session(engine) as session:
        fu_a = session.exec(
            select(FollowUp).where(FollowUp.participant_id == a, FollowUp.kind == "contact_check")
        ).one()
        later = session.exec(
            select(FollowUp).where(FollowUp.participant_id == a, FollowUp.kind == "last_check")
        ).one()
    with pytest.raises(followups.NotYours), session_scope(engine) as session:
        followups.answer_followup(
            session, followup_id=fu_a.id, participant_id=b, answer="y", now=at(4), settings=settings
        )
    with pytest.raises(followups.StaleFollowUp), session_scope(engine) as session:
        followups.answer_followup(
            session, followup_id=later.id, participant_id=a, answer="y", now=at(4), settings=settings
        )
    with pytest.raises(followups.StaleFollowUp), session_scope(engine) as session:
        followups.answer_followup(
            session, followup_id=99999, participant_id=a, answer="y", now=at(4), settings=settings
        )
    with pytest.raises(followups.StaleFollowUp), session_scope(engine) as session:
        followups.answer_followup(
            session, followup_id=fu_a.id, participant_id=a, answer="zz", now=at(4), settings=settings
        )


def test_quiet_hours_paused_and_blocked(engine, settings: Settings) -> None:
    settings = settings.model_copy(update=QUIET_NIGHTS)
    a, b, _ = pair(engine)
    with session_scope(engine) as session:
        session.get(Participant, b).status = ParticipantStatus.PAUSED
    sunday = dt.datetime(2026, 11, 8, 12, 0, tzinfo=dt.UTC)  # day 6, a Sunday: quiet all day
    report = followups.run_followups(engine, settings=settings, now=sunday)
    assert report.queued == 1 and report.postponed == 1
    assert nudges(engine)[0].not_before == dt.datetime(2026, 11, 9, 7, 0, tzinfo=dt.UTC)  # Monday 08:00 local
    with session_scope(engine) as session:
        session.get(Participant, b).status = ParticipantStatus.BLOCKED
    report = followups.run_followups(engine, settings=settings, now=sunday + dt.timedelta(days=2))
    assert report.queued == 0 and report.cancelled == 1


def test_not_yet_because_plans_changed_flags_for_the_coordinator(engine, settings: Settings) -> None:
    a, _b, introduction_id = pair(engine)
    followups.run_followups(engine, settings=settings, now=at(3))
    with Session(engine) as session:
        fu_a = session.exec(
            select(FollowUp).where(FollowUp.participant_id == a, FollowUp.kind == "contact_check")
        ).one()
    with session_scope(engine) as session:
        outcome = followups.answer_followup(
            session, followup_id=fu_a.id, participant_id=a, answer="n", now=at(4), settings=settings
        )
        assert outcome.ask_why
        outcome = followups.answer_followup(
            session,
            followup_id=fu_a.id,
            participant_id=a,
            answer="w",
            reason="p",
            now=at(4),
            settings=settings,
        )
        assert outcome.reply_key == "answered_flagged_organisation"  # no regional organiser: the global ones
    with Session(engine) as session:
        assert session.get(Introduction, introduction_id).flagged_for_coordinator_at == at(4)


async def test_nudges_and_answers_end_to_end(standin: BotAPIStandIn, settings: Settings, engine) -> None:
    anna, bob = standin.person(21, "Anna"), standin.person(22, "Bob")
    a, b, introduction_id = pair(engine)
    clock = Clock(at(3))
    application: KoppelApplication = build_application(settings, engine=engine, clock=clock)
    async with polling(application, poll_timeout=0.5):
        followups.run_followups(engine, settings=settings, now=clock.now())
        question = await anna.reply()
        assert "Hebben jullie al contact gehad?" in question.plain_text and "Bob" in question.plain_text
        await bob.reply()
        # A forged press: Bob presses Anna's button data.
        callback = bob.press_data(question.button("Nog niet")["callback_data"])
        await standin.wait_until(lambda: callback in standin.callback_answers)
        assert "niet voor jou" in standin.callback_answers[callback]["text"]  # a popup, not a message
        anna.press("Nog niet", question)
        why = await anna.reply()
        assert why.button_texts == [
            "Bob reageerde niet",
            "We vonden geen moment",
            "De plannen zijn veranderd",
        ]
        anna.press("reageerde niet", why)
        assert "herinnering" in (await anna.reply()).plain_text
        reminder = await bob.reply()
        assert "Anna" in reminder.plain_text and "hoorde nog niets" in reminder.plain_text
        bob.press("We hebben nu contact", reminder)
        assert "contact" in (await bob.reply()).plain_text
        # Day 14: Anna started a project and tells what it is about.
        clock.set(at(14))
        followups.run_followups(engine, settings=settings, now=clock.now())
        project_question = await anna.reply()
        await bob.reply()
        no_data = project_question.button("Nee")["callback_data"]
        anna.press("Ja!", project_question)
        assert "één zin" in (await anna.reply()).plain_text
        anna.send("Gastlessen warmtepompen voor 3 vmbo-klassen")
        assert "Gastlessen warmtepompen" in (await anna.reply()).plain_text
        # A stale press after the answer: friendly, nothing changes.
        callback = anna.press_data(no_data, project_question)
        await standin.wait_until(lambda: callback in standin.callback_answers)
        assert "niet meer actueel" in standin.callback_answers[callback]["text"]  # a popup
    with Session(engine) as session:
        introduction = session.get(Introduction, introduction_id)
        assert introduction.status == IntroductionStatus.PROJECT
        assert introduction.project_description == "Gastlessen warmtepompen voor 3 vmbo-klassen"
        assert (
            introduction.contacted_at is not None and introduction.project_started_at.date() == at(14).date()
        )
        assert session.get(Participant, b).unresponsive_reports == 1
        assert session.get(Participant, a).conversation_state is None
