"""End to end over HTTP: someone who blocked the bot. Whoever relays a message to them is told it could not
be delivered (not "Doorgestuurd"); once they unblock and use the bot again, they are active and reachable."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage.models import Participant, ParticipantStatus
from tests.bot.test_matches_e2e import introduced

UNDELIVERED = "Je bericht aan Sanne de Vries kon ik niet bezorgen"


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
    await standin.wait_until(  # relay, 403, notice: two outbox rounds at Ruud's pace (over 10 s in busy CI)
        lambda: UNDELIVERED in ruud.last.plain_text, timeout=30, what="the undelivered notice"
    )
    assert status_of(engine, 3001) == ParticipantStatus.BLOCKED
    # Known to be blocked: the answer says so at once, nothing is queued as "Doorgestuurd".
    await relay("Of woensdag?")
    await standin.wait_until(
        lambda: "Of woensdag" not in ruud.last.plain_text and UNDELIVERED in ruud.last.plain_text
    )
    assert not any("Doorgestuurd" in m.plain_text for m in ruud.messages[-2:])
    # Sanne unblocks the bot and sends anything: she is active again, and the next relay reaches her.
    standin.unblock(3001)
    sanne.send("hallo")
    await standin.wait_until(lambda: status_of(engine, 3001) == ParticipantStatus.ACTIVE, what="active again")
    await relay("Donderdag dan?")
    await standin.wait_until(lambda: "Donderdag dan?" in sanne.last.plain_text, what="the relay to Sanne")
    await standin.wait_until(lambda: "Doorgestuurd aan Sanne de Vries" in ruud.last.plain_text)
