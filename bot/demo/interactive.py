"""`koppelbot demo --interactive`: you are the participant; type as in Telegram, pick buttons by number.

The sample community is there to be matched with. When the bot asks one of them whether they would like to
meet you, they say yes (they came to the network afternoon to meet people), so you can see the whole way to
an introduction.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable

from bot.demo.features import has_followups, run_followups
from bot.demo.story import say
from bot.demo.transcript import Actor, Choice, Transcript
from bot.demo.world import DemoWorld
from bot.texts import Counted, t

__all__ = ["READER", "play_interactive", "stdin_lines"]

READER = Actor(7001, "Jij", "Jij")
YES_LABEL = t("nl", "matches.yes_button")  # the sample community answers in Dutch
QUIT = {"/quit", "/exit"}
DAYS = "/dagen"  # the demo's own command: let days pass

ReadLine = Callable[[], Awaitable[str | None]]


def stdin_lines() -> ReadLine:
    """Read lines from stdin in a daemon thread, so the bot keeps running while the reader thinks."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        while True:
            line = sys.stdin.readline()
            loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n") if line else None)
            if not line:
                return

    threading.Thread(target=pump, name="demo-stdin", daemon=True).start()
    return queue.get


class _Session:
    def __init__(self, world: DemoWorld, write: Callable[[str], None]) -> None:
        self.world = world
        self.write = write
        self.transcript = Transcript(world.standin, write, numbered_buttons=True)
        self.transcript.cast(READER)
        self.reader = world.standin.person(READER.user_id, READER.first_name, language_code="nl")
        self._answered: set[tuple[int, int]] = set()

    async def act(self, line: str) -> None:
        command, _, argument = line.partition(" ")
        if command.lower() == DAYS:
            await self.days_pass(argument.strip())
            return
        choice = self._choice(line)
        if choice is not None:
            button = choice.button
            if "url" in button:
                self.transcript.note(f"{button['text']}: {button['url']}")
                return
            self.transcript.pressed(READER.user_id, button["text"])
            self.world.standin.press(READER.user_id, choice.message, button["callback_data"])
        else:
            self.reader.send(line)
        await self.settle()

    def _choice(self, line: str) -> Choice | None:
        if not line.isdigit():
            return None
        number = int(line)
        return next((c for c in self.transcript.choices if c.number == number), None)

    async def settle(self) -> None:
        """Let the bot answer and print the reader's phone; then the sample people answer their requests."""
        await self.world.settle()
        self.transcript.flush(first=READER.user_id)
        for _ in range(5):
            if not self._autopilot():
                break
            await self.world.settle()
            self.transcript.flush(first=READER.user_id)

    async def days_pass(self, argument: str) -> None:
        """`/dagen N`: the bot's clock moves N days on and the scheduled follow-up questions run."""
        days = int(argument) if argument.isdigit() and 0 < int(argument) <= 400 else 0
        if not days:
            self.transcript.note(say("days_usage"))
            return
        if not has_followups(self.world.application):
            self.transcript.note(say("unavailable", beat=say("beat_nudge")))
            return
        when = self.world.days_later(days).astimezone(self.world.settings.tz)
        self.transcript.note(say("days_later", period=Counted("days", days), when=f"{when:%d-%m %H:%M}"))
        await run_followups(self.world.application)
        await self.settle()

    def _autopilot(self) -> bool:
        """Sample people say yes when the bot asks whether they would like to be introduced."""
        pressed = False
        for member in self.world.members:
            for message in self.world.standin.bot_messages(member.telegram_id):
                key = (member.telegram_id, message.message_id)
                if key in self._answered or message.deleted:
                    continue
                self._answered.add(key)
                if any(YES_LABEL.lower() in text.lower() for text in message.button_texts):
                    self.world.standin.press(
                        member.telegram_id, message, message.button(YES_LABEL)["callback_data"]
                    )
                    self.transcript.note(say("autopilot_yes", name=member.first_name))
                    pressed = True
        return pressed


async def play_interactive(
    world: DemoWorld,
    write: Callable[[str], None],
    read_line: ReadLine,
    prompt: Callable[[str], None] | None = None,
) -> None:
    """Let the reader talk to the bot until /quit or end of input; `prompt` shows the prompt (no newline)."""
    session = _Session(world, write)
    await world.settle()
    session.transcript.skip()
    session.transcript.heading(say("interactive_heading"))
    session.transcript.note(say("interactive_help"))
    while True:
        write("")
        (prompt or write)(say("prompt") + " ")
        line = await read_line()
        if line is None or line.strip().lower() in QUIT:
            break
        if not line.strip():
            continue
        await session.act(line.strip())
    session.transcript.note(say("interactive_bye"))
