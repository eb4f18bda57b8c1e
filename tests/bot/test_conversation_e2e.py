"""End to end over HTTP: the edges of the participant's conversation.

`/start` from someone known (welcome back, continue, invitation links), old onboarding buttons, suggestions
that expired, and a person who blocked the bot while it was answering.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from bot.standin.server import Person
from storage import session_scope
from storage.invitations import create_invitation, get_or_create_event
from storage.models import (
    Invitation,
    ItemKind,
    OutboxMessage,
    Participant,
    ParticipantEvent,
    ParticipantStatus,
    ProfileItem,
    Suggestion,
    SuggestionStatus,
)
from storage.outbox import enqueue
from tests.bot.test_matches_e2e import card_for, school_and_installer, seed
from tests.bot.test_onboarding_e2e import consent, said


def participant(engine, telegram_id: int) -> Participant:
    with Session(engine) as session:
        return session.exec(select(Participant).where(Participant.telegram_id == telegram_id)).one()


def toast(standin: BotAPIStandIn, callback_id: str) -> str | None:
    """The short text shown to the person for a button press (answerCallbackQuery)."""
    answer = standin.callback_answers.get(callback_id)
    return None if answer is None else answer.get("text")


async def answered(standin: BotAPIStandIn, callback_id: str) -> None:
    await standin.wait_until(lambda: callback_id in standin.callback_answers, what="answerCallbackQuery")


# -- 1. /start from someone known ------------------------------------------------------------------------
async def test_start_after_onboarding_welcomes_back_without_restarting(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    seed(engine, 4001, "Sanne de Vries", organisation="Het Streek", role="school", region="foodvalley",
         offers=("praktijkopdracht",), needs=("gastlessen",))  # fmt: skip
    sanne = standin.person(4001, "Sanne", language_code="nl")
    sanne.send("/start")
    replies = [m.plain_text for m in await sanne.replies_until_idle()]
    assert len(replies) == 1, replies
    assert "Welkom terug, Sanne! Je profiel" in replies[0]
    assert "/matches" in replies[0] and "/profile" in replies[0]
    assert "Welkom bij Koppelbot" not in replies[0] and "gebleven" not in replies[0]
    assert not sanne.last.buttons  # no consent question, no onboarding question
    person = participant(engine, 4001)
    assert person.conversation_state is None and person.profile_completed_at is not None

    # In English, and a paused person is told how to take part again.
    seed(engine, 4002, "John Smith", organisation="Smith Ltd", role="company", region="achterhoek",
         offers=("internships",), needs=("pupils",), language="en")  # fmt: skip
    john = standin.person(4002, "John", language_code="en")
    john.send("/pause")
    await said(john, "pause")
    john.skip()
    john.send("/start")
    replies = [m.plain_text for m in await john.replies_until_idle()]
    assert "Welcome back, John! Your profile" in replies[0]
    assert "/resume" in replies[1]


async def test_start_mid_onboarding_still_continues_where_the_person_was(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    eva = standin.person(4003, "Eva", language_code="nl")
    await consent(eva)
    eva.send("Eva")
    await said(eva, "organisatie")
    eva.skip()
    eva.send("/start")
    replies = [m.plain_text for m in await eva.replies_until_idle()]
    assert replies[0] == "We waren hier gebleven:"
    assert "Bij welke organisatie" in replies[1]
    assert not any("Welkom terug" in text for text in replies)
    assert participant(engine, 4003).conversation_state == "ob:organisation"


async def test_start_with_an_invitation_from_someone_known_joins_the_event(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne_id = seed(engine, 4004, "Sanne de Vries", organisation="Het Streek", role="school",
                    region="foodvalley", offers=("praktijkopdracht",), needs=("gastlessen",))  # fmt: skip
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede-2026", name="Netwerkmiddag Ede")
        event_token = create_invitation(session, event_id=event.id, kind="event").token
        personal = create_invitation(session, name="Iemand Anders", prefill={"organisation": "Elders BV"})
        personal_token = personal.token
        event_id = event.id
    sanne = standin.person(4004, "Sanne", language_code="nl")
    sanne.send(f"/start {event_token}")
    replies = [m.plain_text for m in await sanne.replies_until_idle()]
    assert "al aangemeld" in replies[0] and "Netwerkmiddag Ede" in replies[0]
    assert "Welkom terug" in replies[1]
    with Session(engine) as session:
        assert session.get(ParticipantEvent, (sanne_id, event_id)) is not None
    # Someone else's personal link: a kind line, nothing prefilled, and the link still works for its owner.
    sanne.send(f"/start {personal_token}")
    replies = [m.plain_text for m in await sanne.replies_until_idle()]
    assert "niet meer nodig" in replies[0]
    sanne.send("/start bestaat-niet")
    replies = [m.plain_text for m in await sanne.replies_until_idle()]
    assert "niet meer nodig" in replies[0]
    assert participant(engine, 4004).organisation == "Het Streek"
    with Session(engine) as session:
        invitation = session.exec(select(Invitation).where(Invitation.token == personal_token)).one()
        assert invitation.used_at is None and invitation.participant_id is None


# -- 2. old onboarding buttons -----------------------------------------------------------------------------
async def test_old_onboarding_buttons_are_refused_kindly_and_change_nothing(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    piet = standin.person(4005, "Piet", language_code="nl")
    await consent(piet)
    name_question = piet.last
    keep = name_question.button("Houden")["callback_data"]
    piet.send("Piet Bakker")  # typed instead of "Houden": the name question loses its button
    await said(piet, "organisatie")
    piet.send("Graafschap College")
    await said(piet, "Wat past het best")
    piet.press("vmbo / school")
    await said(piet, "In welke regio")
    piet.press("Achterhoek")
    await said(piet, "Hoe ver")
    piet.press("buurregio")
    await said(piet, "bieden")
    offers_question = piet.last
    skip = offers_question.button("Sla over")["callback_data"]
    piet.send("stageplekken")
    await said(piet, "• stageplekken")
    piet.press("Klaar")
    await said(piet, "zoek")
    piet.skip()

    # "Sla over" on the offers question, pressed while the needs question is open.
    callback = piet.press_data(skip, offers_question)
    await answered(standin, callback)
    assert "eerdere vraag" in (toast(standin, callback) or "")
    assert not await piet.replies_until_idle()  # a popup only: the needs question is not sent again
    assert not offers_question.buttons  # the old keyboard is gone
    assert participant(engine, 4005).conversation_state == "ob:needs"

    # "Houden" on the name question while the needs question is open.
    callback = piet.press_data(keep, name_question)
    await answered(standin, callback)
    assert "eerdere vraag" in (toast(standin, callback) or "")
    await piet.replies_until_idle()
    person = participant(engine, 4005)
    assert (person.name, person.conversation_state) == ("Piet Bakker", "ob:needs")

    # Buttons of the same kind from before this version (no step in the data) are stale too.
    for data in ("ob:done", "ob:keep", "ob:role:hbo", "th:3", "ob:finish"):
        await asyncio.sleep(1.0)  # a person's pace: popups come back faster than the flood guard refills
        callback = piet.press_data(data, offers_question)
        await answered(standin, callback)
        assert toast(standin, callback), data
    await piet.replies_until_idle()
    person = participant(engine, 4005)
    assert (person.role, person.conversation_state) == ("school", "ob:needs")
    with Session(engine) as session:
        assert not session.exec(select(ProfileItem).where(ProfileItem.kind == ItemKind.THEME)).all()

    # After /cancel: a friendly pointer to /start, nothing changes.
    piet.send("/cancel")
    await said(piet, "Gestopt")
    callback = piet.press("Sla over")
    await answered(standin, callback)
    assert "/start" in (toast(standin, callback) or "")
    assert participant(engine, 4005).conversation_state is None


async def test_buttons_pressed_after_onboarding_finished_change_nothing(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    from tests.bot.test_onboarding_e2e import onboard_nl

    sanne = standin.person(4006, "Sanne", language_code="nl")
    await onboard_nl(sanne)
    summary = sanne.last
    finish = summary.button("Klopt")["callback_data"]
    role_question = next(m for m in sanne.messages if "Wat past het best" in m.plain_text)
    sanne.press("Klopt", summary)
    await said(sanne, "suggesties")
    before = participant(engine, 4006)
    callback = sanne.press_data(finish, summary)  # a second tap, sent before the keyboard went away
    await answered(standin, callback)
    assert "/profile" in (toast(standin, callback) or "")
    callback = sanne.press_data("ob:role:company", role_question)
    await answered(standin, callback)
    assert "/profile" in (toast(standin, callback) or "")
    await sanne.replies_until_idle()
    after = participant(engine, 4006)
    assert (after.role, after.profile_completed_at, after.conversation_state) == (
        before.role, before.profile_completed_at, None
    )  # fmt: skip


# -- 3. suggestions expire -----------------------------------------------------------------------------
async def test_a_suggestion_expires_and_a_late_answer_is_told_kindly(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    start = dt.datetime.now(dt.UTC)
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    card = next(m for m in sanne.messages if "Ruud Jansen" in m.plain_text)
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
    assert suggestion.expires_at is not None
    assert abs(suggestion.expires_at - (start + dt.timedelta(days=28))) < dt.timedelta(minutes=5)

    bot.bot_data.clock.set(start + dt.timedelta(days=29))
    sanne.skip()
    callback = sanne.press("Ja, stel me voor", card)
    await answered(standin, callback)
    popup = toast(standin, callback) or ""  # a stale card is answered with a popup, not a new message
    assert "verlopen" in popup and "28 dagen" in popup and "/matches" in popup
    await standin.wait_until(lambda: not card.buttons, what="the card without buttons")
    assert not await sanne.replies_until_idle()
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
        assert suggestion.status == SuggestionStatus.EXPIRED and suggestion.answer_a is None
        assert suggestion.answer_b is None
        assert session.exec(select(OutboxMessage)).all() == []  # Ruud was not asked

    # The expired pair rests (the matcher's cooldown): not suggested again the next day.
    sanne.send("/matches")
    await said(sanne, "geen nieuwe suggesties")
    with Session(engine) as session:
        assert len(session.exec(select(Suggestion)).all()) == 1


async def test_lapsed_suggestions_are_marked_expired_before_new_ones_are_found(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne_id, ruud_id = school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    sanne.send("/matches")
    await card_for(sanne, "Ruud Jansen")
    start = dt.datetime.now(dt.UTC)
    bot.bot_data.clock.set(start + dt.timedelta(days=30))
    sanne.skip()
    sanne.send("/matches")  # nobody answered: the card is not shown again, and the row is closed
    await said(sanne, "geen nieuwe suggesties")
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
        assert suggestion.status == SuggestionStatus.EXPIRED
        assert suggestion.closed_at == suggestion.expires_at
    # After the cooldown (eight weeks) the pair may come back, with a new expiry.
    bot.bot_data.clock.set(start + dt.timedelta(days=28 + 57))
    sanne.send("/matches")
    await standin.wait_until(
        lambda: sum("Ruud Jansen" in m.plain_text and bool(m.buttons) for m in sanne.messages) == 2,
        what="a second card about Ruud",
    )
    with Session(engine) as session:
        rows = session.exec(select(Suggestion).order_by(Suggestion.id)).all()
        assert [row.status for row in rows] == [SuggestionStatus.EXPIRED, SuggestionStatus.PENDING]
        assert rows[1].expires_at is not None and rows[1].expires_at > start + dt.timedelta(days=100)
    del sanne_id, ruud_id


# -- 4. blocked while answering ------------------------------------------------------------------------
async def test_a_person_who_blocked_the_bot_is_marked_blocked_on_a_direct_reply(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    person_id = seed(engine, 4007, "Kees Jansen", organisation="Kees BV", role="company",
                     region="achterhoek", offers=("stages",), needs=("leerlingen",))  # fmt: skip
    with session_scope(engine) as session:
        enqueue(
            session,
            chat_id=4007,
            participant_id=person_id,
            kind="digest",
            dedupe_key="digest:test",
            text="later",
            not_before=dt.datetime.now(dt.UTC) + dt.timedelta(days=3),
        )
    kees: Person = standin.person(4007, "Kees", language_code="nl")
    standin.block(4007)
    kees.send("/help")
    await standin.wait_until(lambda: standin.status_counts[403] >= 1, what="a 403 to the blocked person")
    await standin.wait_until(
        lambda: participant(engine, 4007).status == ParticipantStatus.BLOCKED, what="status blocked"
    )
    assert kees.messages == []
    person = participant(engine, 4007)
    assert person.blocked_at is not None
    with Session(engine) as session:
        assert [row.state for row in session.exec(select(OutboxMessage)).all()] == ["blocked"]

    # Unblocking and /start: they take part again.
    standin.blocked.discard(4007)
    kees.send("/start")
    await said(kees, "Welkom terug")
    person = participant(engine, 4007)
    assert person.status == ParticipantStatus.ACTIVE and person.blocked_at is None
