"""End to end over HTTP: the relay is a conversation with a visible way to stop (issue #12)."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.models import OutboxMessage, Participant
from storage.suggestions import create_introduction, create_suggestion
from tests.bot.test_matches_e2e import school_and_installer


def introduced(engine) -> int:
    """Sanne (no username) and Ruud, introduced; returns the suggestion id."""
    sanne, ruud = school_and_installer(engine)
    with session_scope(engine) as session:
        low, high = sorted((sanne, ruud))
        suggestion = create_suggestion(session, a_id=low, b_id=high, score=0.5, reasons={}, source="matches")
        suggestion.status = "introduced"
        create_introduction(session, suggestion=suggestion, now=suggestion.created_at)
        assert suggestion.id is not None
        return suggestion.id


def relayed(engine) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "relay")).all()
        return [row.dedupe_key for row in rows]


async def test_messages_are_relayed_until_stopped_and_the_prompt_names_the_other(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    suggestion_id = introduced(engine)
    ruud = standin.person(3002, "Ruud", language_code="nl")
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud.send("/help")
    await standin.wait_until(lambda: bool(ruud.messages))
    ruud.press_data(f"relay:{suggestion_id}")
    await standin.wait_until(lambda: "Typ je bericht aan Sanne de Vries" in ruud.last.plain_text)
    assert ruud.last.button_texts == ["Stoppen"]
    ruud.send("Hoi Sanne, zullen we donderdag bellen?")
    await standin.wait_until(lambda: "Ik stuur het door naar Sanne de Vries" in ruud.last.plain_text)
    assert ruud.last.button_texts == ["Stoppen"]
    ruud.send("En neem je de stagecoördinator mee?")  # the second message is passed on too
    await standin.wait_until(lambda: len(relayed(engine)) == 2)
    await standin.wait_until(lambda: "stagecoördinator" in sanne.last.plain_text)
    assert any("donderdag bellen" in m.plain_text for m in sanne.messages)
    # /start in the middle of it says to whom the relay goes, never "…".
    ruud.send("/start")
    await standin.wait_until(lambda: "Typ je bericht aan Sanne de Vries" in ruud.last.plain_text)
    assert all("…" not in m.plain_text for m in ruud.messages)
    ruud.press("Stoppen")
    await standin.wait_until(lambda: "ik stuur niets meer door" in ruud.last.plain_text)
    ruud.send("Dit is voor de bot")
    await standin.wait_until(lambda: "Dat begrijp ik niet" in ruud.last.plain_text)
    await standin.wait_idle()
    assert len(relayed(engine)) == 2  # after stopping nothing is passed on
    # The stop button of an old prompt: a short popup, nothing else.
    ruud.press_data(f"relay:{suggestion_id}:stop")
    await standin.wait_idle()
    with Session(engine) as session:
        ruud_row = session.exec(select(Participant).where(Participant.telegram_id == 3002)).one()
        assert ruud_row.conversation_state is None
    # Sanne types an answer without tapping "Antwoord": not lost without a word, she is shown the way.
    sanne.skip()
    sanne.send("Ja hoor, donderdag kan ik!")
    await standin.wait_until(lambda: "Was dit bedoeld voor Ruud Jansen" in sanne.last.plain_text)
    assert sanne.last.button_texts == ["Antwoord Ruud Jansen"]
    assert len(relayed(engine)) == 2
    # /cancel stops an open relay as well.
    sanne.press("Antwoord Ruud")
    await standin.wait_until(lambda: "Typ je bericht aan Ruud Jansen" in sanne.last.plain_text)
    sanne.send("Donderdag is goed!")
    await standin.wait_until(lambda: "Ik stuur het door naar Ruud Jansen" in sanne.last.plain_text)
    sanne.send("/cancel")
    await standin.wait_until(lambda: "ik stuur niets meer door" in sanne.last.plain_text)
    assert len(relayed(engine)) == 3


async def test_a_sticker_or_photo_in_a_relay_is_not_passed_on_and_the_relay_stays_open(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    suggestion_id = introduced(engine)
    with session_scope(engine) as session:  # Sanne reads English
        sanne_row = session.exec(select(Participant).where(Participant.telegram_id == 3001)).one()
        sanne_row.language = "en"
        session.add(sanne_row)
    ruud = standin.person(3002, "Ruud", language_code="nl")
    sanne = standin.person(3001, "Sanne", language_code="en")
    ruud.send("/help")
    await standin.wait_until(lambda: bool(ruud.messages))
    ruud.press_data(f"relay:{suggestion_id}")
    await standin.wait_until(lambda: "Typ je bericht aan Sanne de Vries" in ruud.last.plain_text)
    ruud.skip()
    ruud.send_sticker()
    answer = await ruud.reply()
    assert "alleen tekst doorgeven" in answer.plain_text and "/cancel" in answer.plain_text
    assert "Typ je antwoord" not in answer.plain_text and answer.button_texts == ["Stoppen"]
    ruud.send_photo()
    assert "alleen tekst doorgeven" in (await ruud.reply()).plain_text
    await standin.wait_idle()
    assert not relayed(engine) and not sanne.messages  # nothing passed on
    ruud.send("Hoi Sanne, de foto volgt per mail.")  # the relay is still open
    await standin.wait_until(lambda: "Ik stuur het door naar Sanne de Vries" in ruud.last.plain_text)
    await standin.wait_until(lambda: "de foto volgt per mail" in sanne.last.plain_text)
    # In English likewise.
    sanne.press("Reply")
    await standin.wait_until(lambda: "Type your message to Ruud Jansen" in sanne.last.plain_text)
    sanne.send_photo()
    await standin.wait_until(lambda: "only pass on text" in sanne.last.plain_text)
    assert "/cancel" in sanne.last.plain_text and sanne.last.button_texts == ["Stop"]
    await standin.wait_idle()
    assert len(relayed(engine)) == 1
