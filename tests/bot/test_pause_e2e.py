"""End to end over HTTP: /pause pauses and loses nothing; /resume brings back what waited (issue #12)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.models import Participant, ParticipantStatus, Suggestion, SuggestionStatus
from storage.suggestions import expire_due, extend_pending
from tests.bot.test_matches_e2e import card_for, school_and_installer, seed


def _suggestion_with(engine, name: str) -> Suggestion:
    with Session(engine) as session:
        other = session.exec(select(Participant).where(Participant.name == name)).one()
        rows = session.exec(select(Suggestion)).all()
        return next(r for r in rows if other.id in (r.participant_a_id, r.participant_b_id))


async def test_pause_keeps_answers_and_open_suggestions_and_resume_brings_them_back(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne_id, _ = school_and_installer(engine)
    seed(
        engine, 3004, "Kees Bakker", organisation="Bakker Klimaat", role="company", region="foodvalley",
        offers=("gastlessen over warmtepompen en zonnepanelen",), needs=("stagiairs",),
    )  # fmt: skip
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    kees = standin.person(3004, "Kees", language_code="nl")
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    await card_for(sanne, "Kees Bakker")
    sanne.press("Ja, stel me voor", next(m for m in sanne.messages if "Ruud Jansen" in m.plain_text))
    await standin.wait_until(lambda: any("Zodra Ruud Jansen" in m.plain_text for m in sanne.messages))
    sanne.press("Later", next(m for m in sanne.messages if "Kees Bakker" in m.plain_text and m.buttons))
    await standin.wait_until(lambda: any("ik bewaar deze suggestie" in m.plain_text for m in sanne.messages))
    await card_for(ruud, "Nieuwe suggestie voor je: Sanne de Vries")

    sanne.send("/pause")
    await standin.wait_until(lambda: "Je staat op pauze" in sanne.last.plain_text)
    said = sanne.last.plain_text
    assert "geen nieuwe suggesties, geen weekoverzicht en geen herinneringen" in said
    assert "Er gaat niets verloren" in said and "/resume" in said
    with Session(engine) as session:
        rows = session.exec(select(Suggestion)).all()
        assert {row.status for row in rows} == {SuggestionStatus.PENDING}  # nothing withdrawn
        answers = {row.answer_a if row.participant_a_id == sanne_id else row.answer_b for row in rows}
        assert answers == {"yes", "later"}

    # Ruud answers the card he already has: his answer counts, and Sanne's own "yes" still stands.
    ruud.press("Ja, stel me voor")
    await standin.wait_until(lambda: any("Jullie willen allebei" in m.plain_text for m in ruud.messages))
    await card_for(ruud, "Kennismaking: Sanne de Vries")
    await standin.wait_until(lambda: any("Kennismaking: Ruud Jansen" in m.plain_text for m in sanne.messages))
    assert all("niet meer actueel" not in m.plain_text for m in ruud.messages)
    # Nobody gets a paused person as a new suggestion.
    kees.send("/matches")
    await standin.wait_until(lambda: bool(kees.messages))
    await standin.wait_idle()
    assert all("Sanne" not in m.plain_text for m in kees.messages)

    sanne.skip()
    sanne.send("/resume")
    await standin.wait_until(lambda: "Welkom terug" in sanne.last.plain_text)
    assert "Er wacht nog 1 suggestie op je antwoord" in sanne.last.plain_text
    sanne.send("/matches")
    await standin.wait_until(
        lambda: any("Kees Bakker" in m.plain_text and m.buttons for m in sanne.messages[-3:])
    )
    assert _suggestion_with(engine, "Kees Bakker").status == SuggestionStatus.PENDING


def test_suggestions_of_a_paused_person_wait_and_expire_as_much_later(engine) -> None:
    now = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    sanne_id, ruud_id = school_and_installer(engine)
    with session_scope(engine) as session:
        row = Suggestion(participant_a_id=min(sanne_id, ruud_id), participant_b_id=max(sanne_id, ruud_id),
                         score=1.0, reasons={}, expires_at=now - dt.timedelta(hours=1))  # fmt: skip
        session.add(row)
        sanne = session.get(Participant, sanne_id)
        assert sanne is not None
        sanne.status = ParticipantStatus.PAUSED
        session.add(sanne)
    with session_scope(engine) as session:
        assert expire_due(session, now=now) == 0  # waits while a side is paused
        assert expire_due(session, now=now, participant_id=ruud_id) == 0
        assert extend_pending(session, participant_id=sanne_id, by=dt.timedelta(days=3)) == 1
    with Session(engine) as session:
        after = session.exec(select(Suggestion)).one()
        assert after.status == SuggestionStatus.PENDING
        assert after.expires_at == now + dt.timedelta(days=2, hours=23)


async def test_resume_before_the_profile_is_done_points_to_finishing_it(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    tom = standin.person(3101, "Tom", language_code="nl")
    tom.send("/start")
    await tom.reply()
    tom.press("Akkoord, ga verder")
    await standin.wait_until(lambda: "Hoe heet je" in tom.last.plain_text, what="the first question")
    tom.send("/pause")
    await standin.wait_until(lambda: "pauze" in tom.last.plain_text, what="the pause")
    tom.send("/resume")
    await standin.wait_until(lambda: "Welkom terug" in tom.last.plain_text, what="the welcome back")
    said = tom.last.plain_text
    assert "Maak eerst je profiel af" in said and "/matches" not in said  # no suggestions promised
