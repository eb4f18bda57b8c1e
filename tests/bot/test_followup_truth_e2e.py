"""End to end over HTTP: follow-ups keep each side's words and say only what is true (issue #12)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import KoppelApplication, build_application
from bot.clock import Clock
from bot.runner import polling
from bot.services import followups
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.invitations import InvitationKind, create_invitation, get_or_create_event
from storage.models import (
    FollowUp,
    FollowUpKind,
    FollowUpState,
    Introduction,
    IntroductionStatus,
    Participant,
)
from storage.outbox import enqueue
from tests.bot.test_followups import at, nudges, pair
from tests.bot.test_invitations_e2e import _accept


async def test_both_sides_project_lines_are_kept_and_an_emoji_is_asked_again(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    anna, bob = standin.person(21, "Anna"), standin.person(22, "Bob")
    a, b, introduction_id = pair(engine)
    clock = Clock(at(3))
    application: KoppelApplication = build_application(settings, engine=engine, clock=clock)
    async with polling(application, poll_timeout=0.5):
        followups.run_followups(engine, settings=settings, now=clock.now())  # the contact checks
        await anna.reply(), await bob.reply()
        clock.set(at(14))
        followups.run_followups(engine, settings=settings, now=clock.now())
        to_anna, to_bob = await anna.reply(), await bob.reply()
        assert "gezamenlijk project" in to_anna.plain_text and "gezamenlijk project" in to_bob.plain_text
        anna.press("Ja!", to_anna)
        bob.press("Ja!", to_bob)
        assert "één zin" in (await anna.reply()).plain_text
        assert "één zin" in (await bob.reply()).plain_text
        anna.send("Gastlessen warmtepompen voor 3 vmbo-klassen")
        assert "Gastlessen warmtepompen" in (await anna.reply()).plain_text
        for line in ("👍", "🎉🎉 !!", "   "):  # nothing said: asked again kindly, still waiting for the line
            bob.send(line)
            again = await bob.reply()
            assert "in een paar woorden" in again.plain_text and "genoteerd" not in again.plain_text
        bob.send("Stageplekken voor twee leerlingen")
        assert "Stageplekken voor twee leerlingen" in (await bob.reply()).plain_text
    with Session(engine) as session:
        introduction = session.get(Introduction, introduction_id)
        assert introduction is not None and introduction.status == IntroductionStatus.PROJECT
        lines = {introduction.project_line_a, introduction.project_line_b}
        assert lines == {"Gastlessen warmtepompen voor 3 vmbo-klassen", "Stageplekken voor twee leerlingen"}
        assert "Gastlessen warmtepompen" in (introduction.project_description or "")
        assert "Stageplekken" in (introduction.project_description or "")
        for pid in (a, b):
            assert session.get(Participant, pid).conversation_state is None


def _set_username(engine, participant_id: int, username: str) -> None:
    with session_scope(engine) as session:
        person = session.get(Participant, participant_id)
        assert person is not None
        person.username = username
        session.add(person)


async def test_no_reminder_to_someone_who_confirmed_contact(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    anna, bob = standin.person(21, "Anna"), standin.person(22, "Bob")
    pair(engine)
    clock = Clock(at(3))
    async with polling(build_application(settings, engine=engine, clock=clock), poll_timeout=0.5):
        followups.run_followups(engine, settings=settings, now=clock.now())
        to_anna, to_bob = await anna.reply(), await bob.reply()
        bob.press("Ja", to_bob)  # Bob says they were in touch
        assert "contact" in (await bob.reply()).plain_text
        anna.press("Nog niet", to_anna)
        anna.press("reageerde niet", await anna.reply())
        said = (await anna.reply()).plain_text
        assert "al contact gehad" in said and "herinnering gestuurd" not in said
        await standin.wait_idle()
    assert all(row.payload.get("text", "").find("hoorde nog niets") < 0 for row in nudges(engine))
    assert all("hoorde nog niets" not in m.plain_text for m in bob.messages)


async def test_a_reminder_points_only_to_contact_details_that_exist(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    anna, bob = standin.person(21, "Anna"), standin.person(22, "Bob")
    standin.person(23, "Carla"), standin.person(24, "Dirk")
    _, _, without_username = pair(engine)  # Anna has no Telegram username
    carla_id, _, with_username = pair(engine, a=(23, "Carla"), b=(24, "Dirk"))
    _set_username(engine, carla_id, "carla_techniek")
    clock = Clock(at(3))
    async with polling(build_application(settings, engine=engine, clock=clock), poll_timeout=0.5):
        followups.run_followups(engine, settings=settings, now=clock.now())
        for person in (anna, bob, standin.person(23, "Carla"), standin.person(24, "Dirk")):
            await standin.wait_until(lambda p=person: bool(p.messages))
        for asker in (anna, standin.person(23, "Carla")):
            asker.press("Nog niet")
            await standin.wait_until(lambda a=asker: "reden" in a.last.plain_text)
            asker.press("reageerde niet")
        await standin.wait_until(lambda: "hoorde nog niets" in bob.last.plain_text)
        dirk = standin.person(24, "Dirk")
        await standin.wait_until(lambda: "hoorde nog niets" in dirk.last.plain_text)
    to_bob, to_dirk = bob.last, dirk.last
    assert "contactgegevens" not in to_bob.plain_text and "geen Telegram-gebruikersnaam" in to_bob.plain_text
    assert "Stuur Anna een bericht via mij" in to_bob.button_texts
    with Session(engine) as session:
        suggestion_id = session.get(Introduction, without_username).suggestion_id
    assert to_bob.button("Stuur Anna")["callback_data"] == f"relay:{suggestion_id}"
    assert "https://t.me/carla_techniek" in to_dirk.plain_text and "contactgegevens" not in to_dirk.plain_text
    assert all("via mij" not in label for label in to_dirk.button_texts)
    del with_username


async def test_messages_relayed_both_ways_count_as_contact(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    anna, bob = standin.person(21, "Anna"), standin.person(22, "Bob")
    _, _, introduction_id = pair(engine)
    with Session(engine) as session:
        suggestion_id = session.get(Introduction, introduction_id).suggestion_id
    clock = Clock(at(1))
    async with polling(build_application(settings, engine=engine, clock=clock), poll_timeout=0.5):
        anna.send("/help")
        await anna.reply()
        anna.press_data(f"relay:{suggestion_id}")
        assert "Typ je bericht aan Bob" in (await anna.reply()).plain_text
        anna.send("Hoi Bob, wanneer kun je bellen?")
        assert "Ik stuur het door" in (await anna.reply()).plain_text
        bob.press("Antwoord Anna", await bob.reply())
        assert "Typ je bericht aan Anna" in (await bob.reply()).plain_text
        with Session(engine) as session:  # one way only: not yet contact
            assert session.get(Introduction, introduction_id).contacted_at is None
        bob.send("Donderdag om 10 uur?")
        assert "Ik stuur het door" in (await bob.reply()).plain_text
        await standin.wait_until(lambda: "Donderdag om 10 uur" in anna.last.plain_text)
        clock.set(at(3))
        followups.run_followups(engine, settings=settings, now=clock.now())
        await standin.wait_idle()
    with Session(engine) as session:
        introduction = session.get(Introduction, introduction_id)
        assert introduction.contacted_at is not None and introduction.status == IntroductionStatus.CONTACTED
        checks = session.exec(select(FollowUp).where(FollowUp.kind == FollowUpKind.CONTACT_CHECK)).all()
        assert {check.state for check in checks} == {FollowUpState.CANCELLED}
    assert all("Hebben jullie al contact gehad" not in m.plain_text for m in anna.messages + bob.messages)


async def test_an_event_wide_invitation_does_not_claim_a_prefill(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede-2026", name="Netwerkmiddag Ede")
        token = create_invitation(session, kind=InvitationKind.EVENT, event_id=event.id).token
    texts = await _accept(standin.person(2301, "Fleur"), token)
    assert any("via de uitnodiging voor Netwerkmiddag Ede" in text for text in texts), texts
    assert all("al van je wist" not in text for text in texts), texts


@pytest.mark.parametrize(
    ("status", "key"),
    [
        ("paused", "answered_other_paused"),
        ("blocked", "answered_other_unreachable"),  # still a participant: not "doet niet meer mee"
        ("deleted", "answered_other_gone"),
    ],
)
def test_other_did_not_answer_says_why_no_reminder_can_go(
    engine, settings: Settings, status: str, key: str
) -> None:
    a, b, _ = pair(engine)
    followups.run_followups(engine, settings=settings, now=at(3))
    with session_scope(engine) as session:
        other = session.get(Participant, b)
        assert other is not None
        other.status = status
        session.add(other)
    with Session(engine) as session:
        check = session.exec(
            select(FollowUp).where(FollowUp.participant_id == a, FollowUp.kind == "contact_check")
        ).one()
    with session_scope(engine) as session:
        followups.answer_followup(
            session, followup_id=check.id, participant_id=a, answer="n", now=at(4), settings=settings
        )
        outcome = followups.answer_followup(
            session,
            followup_id=check.id,
            participant_id=a,
            answer="w",
            reason="o",
            now=at(4),
            settings=settings,
        )
    assert outcome.reply_key == key  # not "Ik heb nu geen nieuwe kennismaking voor je"
    with Session(engine) as session:
        assert not session.exec(select(FollowUp).where(FollowUp.kind == FollowUpKind.REMINDER)).all()


def test_no_report_against_someone_whose_message_the_bot_passed_on(engine, settings: Settings) -> None:
    a, b, introduction_id = pair(engine)
    followups.run_followups(engine, settings=settings, now=at(3))
    with session_scope(engine) as session:
        suggestion_id = session.get(Introduction, introduction_id).suggestion_id
        enqueue(  # b wrote a through the bot's relay (one way only: no contact yet)
            session, dedupe_key=f"relay:{suggestion_id}:{b}:7", chat_id=a, participant_id=a, kind="relay",
            text="Hi, wanneer kun je bellen?",
        )  # fmt: skip
    with Session(engine) as session:
        check = session.exec(
            select(FollowUp).where(FollowUp.participant_id == a, FollowUp.kind == "contact_check")
        ).one()
    with session_scope(engine) as session:
        followups.answer_followup(
            session, followup_id=check.id, participant_id=a, answer="n", now=at(4), settings=settings
        )
        outcome = followups.answer_followup(
            session, followup_id=check.id, participant_id=a, answer="w", reason="o", now=at(4),
            settings=settings,
        )  # fmt: skip
    assert outcome.reply_key == "answered_other_wrote"  # not "Ik heb X een herinnering gestuurd"
    with Session(engine) as session:
        assert session.get(Participant, b).unresponsive_reports == 0
        assert not session.exec(select(FollowUp).where(FollowUp.kind == FollowUpKind.REMINDER)).all()


async def test_a_reminder_that_meets_a_block_is_reported_to_whoever_asked_for_it(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    # Bob blocks the bot after the contact checks went out; the bot does not know yet. Anna answers "reageerde
    # niet": "Ik stuur Bob een herinnering". Telegram refuses it: Anna hears so, and Bob is marked blocked.
    anna, bob = standin.person(21, "Anna"), standin.person(22, "Bob")
    pair(engine)
    clock = Clock(at(3))
    async with polling(build_application(settings, engine=engine, clock=clock), poll_timeout=0.5):
        followups.run_followups(engine, settings=settings, now=clock.now())
        await standin.wait_until(
            lambda: bool(anna.messages) and bool(bob.messages), what="the contact checks"
        )
        standin.block(22)
        anna.press("Nog niet")
        await standin.wait_until(lambda: "reden" in anna.last.plain_text)
        anna.press("reageerde niet")
        await standin.wait_until(
            lambda: any("Ik stuur Bob een herinnering" in m.plain_text for m in anna.messages)
        )
        # Any message, not the last: under load the outbox's notice can overtake the direct reply above
        # (seen in 2 of 24 runs with eight in parallel; the order is a known limit, see docs/participants.md).
        await standin.wait_until(
            lambda: any(
                "Mijn herinnering aan Bob kon ik niet bezorgen" in m.plain_text for m in anna.messages
            ),
            timeout=30,
            what="the undelivered reminder notice",
        )
    with Session(engine) as session:
        assert (
            session.exec(select(Participant).where(Participant.telegram_id == 22)).one().status == "blocked"
        )
