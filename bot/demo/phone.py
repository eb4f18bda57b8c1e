"""A phone in the demo: acts as one person through the stand-in and prints both sides in the transcript."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.demo.transcript import Actor, Transcript
from bot.demo.world import DemoWorld, StoryError
from bot.standin import ChatMessage

__all__ = ["Phone", "StoryError"]


class Phone:
    """One person's Telegram, driven by the story."""

    def __init__(
        self,
        world: DemoWorld,
        transcript: Transcript,
        actor: Actor,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language: str = "nl",
    ) -> None:
        self.world = world
        self.transcript = transcript
        self.actor = actor
        self.person = world.standin.person(
            actor.user_id, actor.first_name, last_name=last_name, username=username, language_code=language
        )
        transcript.cast(actor)

    @property
    def user_id(self) -> int:
        return self.actor.user_id

    @property
    def messages(self) -> list[ChatMessage]:
        """Everything the bot sent to this phone, oldest first."""
        return self.person.messages

    def find(self, predicate: Callable[[ChatMessage], bool]) -> ChatMessage | None:
        """The newest message satisfying `predicate`."""
        return next((m for m in reversed(self.messages) if not m.deleted and predicate(m)), None)

    def with_button(self, label: str) -> ChatMessage | None:
        """The newest message that has a button whose label contains `label`."""
        return self.find(lambda m: any(label.lower() in text.lower() for text in m.button_texts))

    async def send(self, text: str) -> list[ChatMessage]:
        """Type and send `text`; print it and whatever the bot answers."""
        self.transcript.typed(self.user_id, text)
        before = self.world.reactions()
        self.person.send(text)
        await self.world.reacted(since=before)
        return await self.settle()

    async def press(self, label: str, message: ChatMessage | None = None) -> list[ChatMessage]:
        """Press the button labelled (in part) `label`, on `message` or the newest message having it."""
        message = message or self.with_button(label)
        if message is None:
            raise StoryError(f"{self.actor.first_name} has no button {label!r}")
        button = message.button(label)
        self.transcript.pressed(self.user_id, button["text"])
        before = self.world.reactions()
        self.person.press(label, message)
        await self.world.reacted(since=before)
        return await self.settle()

    async def settle(self) -> list[ChatMessage]:
        """Wait until the bot is quiet, then print what it sent (this phone first)."""
        await self.world.settle()
        return self.transcript.flush(first=self.user_id)

    async def expect(
        self, predicate: Callable[[ChatMessage], bool], what: str, timeout: float = 20.0
    ) -> ChatMessage:
        """Wait for a message to this phone satisfying `predicate` (sent already or still to come)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(predicate)
            if found is not None:
                await self.settle()
                return found
            if time.monotonic() > deadline:
                self.transcript.flush(first=self.user_id)
                raise StoryError(f"{self.actor.first_name} did not receive {what} within {timeout:.0f} s")
            # Yield to the bot even when it looks idle: what we wait for may be on a timer (the outbox).
            await asyncio.sleep(0.05)
            await self.world.settle(quiet=0.2)
