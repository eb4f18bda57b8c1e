"""End to end over HTTP: someone who blocked the bot. Whoever relays a message to them is told it could not
be delivered; once they unblock and use the bot again, they are active, reachable and introduced."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage.models import Participant, ParticipantStatus
from tests.bot.test_matches_e2e import card_for, introduced, school_and_installer

UNDELIVERED = "Je bericht aan Sanne de Vries kon ik niet bezorgen"


async def unreachable_on_press(standin: BotAPIStandIn, ruud, intro) -> None:  # type: ignore[no-untyped-def]
    """Ruud presses "Stuur Sanne een bericht" while Sanne is known to have blocked the bot: a popup says
    so, and no relay opens."""
    before = len(ruud.messages)
    callback = ruud.press("Stuur Sanne de Vries een bericht", intro)
    await standin.wait_until(lambda: callback in standin.callback_answers, what="the answered press")
    popup = standin.callback_answers[callback]
    assert (
        popup["text"]
        == "Sanne de Vries is op dit moment niet bereikbaar via Koppelbot. Probeer het later nog eens."
    )
    assert popup["show_alert"] is True
    assert len(ruud.messages) == before  # no "Typ je bericht" prompt
    ruud.send("Zullen we dinsdag bellen?")  # so this is no relayed message
    await standin.wait_until(lambda: len(ruud.messages) > before, what="an answer to the typed text")
    assert not any("Ik stuur het door" in m.plain_text for m in ruud.messages[before:])


def said(person, text: str) -> bool:  # type: ignore[no-untyped-def]
    return any(text in message.plain_text for message in person.messages)


def status_of(engine, telegram_id: int) -> str:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        person = session.exec(select(Participant).where(Participant.telegram_id == telegram_id)).one()
        return str(person.status)


async def test_a_relay_to_someone_who_blocked_the_bot_is_reported_and_unblocking_makes_them_reachable(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne, ruud = await introduced(standin, engine)
    intro = next(m for m in ruud.messages if "Kennismaking" in m.plain_text)

    async def relay(text: str) -> None:
        ruud.press("Stuur Sanne de Vries een bericht", intro)
        await standin.wait_until(lambda: "Typ je bericht" in ruud.last.plain_text)
        ruud.send(text)

    # Sanne blocks the bot; nobody knows yet. The relay is queued, Telegram answers 403: Ruud hears so.
    standin.block(3001)
    await relay("Zullen we dinsdag bellen?")
    # Relay, 403, notice: two outbox rounds at Ruud's pace (over 10 s in busy CI); under load the notice can
    # come just before the "Ik stuur het door" reply (docs/participants.md, known limit), so in any order.
    await standin.wait_until(
        lambda: said(ruud, UNDELIVERED) and said(ruud, "Ik stuur het door"),
        timeout=30,
        what="the undelivered notice",
    )
    assert status_of(engine, 3001) == ParticipantStatus.BLOCKED
    # Known to be blocked: the button says so at once; no relay opens, nothing is queued.
    await unreachable_on_press(standin, ruud, intro)
    # Sanne unblocks the bot and sends anything: she is active again, and the next relay reaches her.
    standin.unblock(3001)
    before = len(sanne.messages)
    sanne.send("hallo")
    await standin.wait_until(lambda: status_of(engine, 3001) == ParticipantStatus.ACTIVE, what="active again")
    await standin.wait_until(lambda: len(sanne.messages) > before, what="an answer to Sanne")
    # Ruud's refused message never reached her: she is not asked whether "hallo" was meant for him.
    assert not any("Was dit bedoeld voor" in m.plain_text for m in sanne.messages[before:])
    await relay("Donderdag dan?")
    await standin.wait_until(lambda: "Donderdag dan?" in sanne.last.plain_text, what="the relay to Sanne")
    await standin.wait_until(lambda: "Ik stuur het door naar Sanne de Vries" in ruud.last.plain_text)


async def test_the_other_side_blocking_the_bot_before_the_second_yes_marks_them_not_the_one_who_pressed(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    # Ruud's yes edits Sanne's card ("Ruud zei ook ja") in Ruud's own update; Sanne blocked the bot in
    # between. The 403 is about Sanne's chat: she is blocked, Ruud is introduced and stays reachable.
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    sanne.press("Ja, stel me voor")
    await card_for(ruud, "Sanne de Vries")
    standin.block(3001)
    ruud.press("Ja, stel me voor")
    await card_for(ruud, "Kennismaking: Sanne de Vries")
    await standin.wait_until(
        lambda: status_of(engine, 3001) == ParticipantStatus.BLOCKED, what="Sanne blocked"
    )
    assert status_of(engine, 3002) == ParticipantStatus.ACTIVE
    intro = next(m for m in ruud.messages if "Kennismaking" in m.plain_text)
    await unreachable_on_press(standin, ruud, intro)
    # Sanne unblocks the bot and writes: the introduction Telegram refused her arrives after all.
    standin.unblock(3001)
    sanne.send("hallo")
    await standin.wait_until(
        lambda: any("Kennismaking: Ruud Jansen" in m.plain_text for m in sanne.messages),
        what="her introduction",
    )
    assert status_of(engine, 3001) == ParticipantStatus.ACTIVE


def test_someone_known_to_have_blocked_the_bot_gets_the_introduction_that_was_never_queued(engine) -> None:
    # Sanne said yes first, and was already known to have blocked the bot when Ruud said yes: her
    # introduction was never queued. When she is back, it is; Ruud's (he saw it on his card) is not.
    import datetime as dt

    from bot.services.retention import record_activity
    from storage import session_scope
    from storage.models import OutboxMessage, Suggestion, SuggestionStatus

    sanne_id, ruud_id = school_and_installer(engine)
    a, b = sorted((sanne_id, ruud_id))
    first, second = dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC), dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)
    with session_scope(engine) as session:
        row = Suggestion(
            participant_a_id=a, participant_b_id=b, score=0.5, status=SuggestionStatus.INTRODUCED
        )
        row.answer_a = row.answer_b = "yes"
        row.answered_a_at, row.answered_b_at = (first, second) if a == sanne_id else (second, first)
        session.add(row)
        sanne = session.get(Participant, sanne_id)
        assert sanne is not None
        sanne.status = ParticipantStatus.BLOCKED
        session.add(sanne)
    with session_scope(engine) as session:
        record_activity(session, telegram_id=3001, now=second + dt.timedelta(days=1))
    with Session(engine) as session:
        keys = [r.dedupe_key for r in session.exec(select(OutboxMessage)).all()]
        assert status_of(engine, 3001) == ParticipantStatus.ACTIVE
    assert keys == [f"intro:{row.id}:{sanne_id}"]


async def test_a_card_refused_while_blocked_arrives_when_the_person_is_back(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    # Sanne blocked the bot; Ruud says yes to her, so she is asked through the outbox: Telegram refuses.
    # When she is back, the card comes after all (the suggestion is still open), so Ruud's yes is not lost.
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    standin.block(3001)
    ruud.send("/matches")
    await card_for(ruud, "Sanne de Vries")
    ruud.press("Ja, stel me voor")
    await standin.wait_until(lambda: status_of(engine, 3001) == ParticipantStatus.BLOCKED, what="the 403")
    assert not sanne.messages
    standin.unblock(3001)
    sanne.send("hallo")
    await standin.wait_until(
        lambda: any("Nieuwe suggestie voor je: Ruud Jansen" in m.plain_text for m in sanne.messages),
        what="the card she missed",
    )
