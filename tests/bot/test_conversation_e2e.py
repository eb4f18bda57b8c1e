"""End to end over HTTP: the edges of the participant's conversation.

`/start` from someone known (welcome back, continue, invitation links), old onboarding buttons, suggestions
that expired, and a person who blocked the bot while it was answering.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.invitations import create_invitation, get_or_create_event
from storage.models import (
    Invitation,
    Participant,
    ParticipantEvent,
)
from tests.bot.test_matches_e2e import seed
from tests.bot.test_onboarding_e2e import said


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
    assert "Welkom terug, Sanne de Vries" in replies[0]
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
    assert "Welcome back, John Smith" in replies[0]
    assert "/resume" in replies[1]


async def test_start_mid_onboarding_still_continues_where_the_person_was(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    eva = standin.person(4003, "Eva", language_code="nl")
    eva.send("/start")
    await said(eva, "Welkom bij Koppelbot")
    eva.press("Akkoord")
    await said(eva, "Hoe heet je")
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
