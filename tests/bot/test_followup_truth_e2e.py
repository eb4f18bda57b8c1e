"""End to end over HTTP: follow-ups keep each side's words and say only what is true (issue #12)."""

from __future__ import annotations

from sqlmodel import Session

from bot.app import KoppelApplication, build_application
from bot.clock import Clock
from bot.runner import polling
from bot.services import followups
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage.models import Introduction, IntroductionStatus, Participant
from tests.bot.test_followups import at, pair


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
