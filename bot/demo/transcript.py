"""A readable plain-text transcript of the phones in the demo: what people type and what the bot shows them.

The transcript reads the chats the Bot API stand-in recorded, so it shows exactly what Telegram would have
shown: texts (HTML removed), inline buttons as `[ Ja, stel me voor ]` (or numbered, for the interactive
mode), photos and documents, and messages the bot edited after a button was pressed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.standin import BotAPIStandIn, ChatMessage

__all__ = ["Actor", "Choice", "Transcript"]

INDENT = "   "
WIDTH = 100


@dataclass(frozen=True)
class Actor:
    """A person in the story: their Telegram id, first name and how the transcript labels their phone."""

    user_id: int
    first_name: str
    label: str  # e.g. "Marieke (docent vmbo, Achterhoek)"


@dataclass(frozen=True)
class Choice:
    """A numbered button in the interactive mode."""

    number: int
    message: ChatMessage
    button: dict[str, Any]


def _wrap(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        if not line.strip():
            lines.append("")
            continue
        lines.extend(
            textwrap.wrap(
                line, WIDTH, initial_indent=INDENT, subsequent_indent=INDENT, break_on_hyphens=False
            )
        )
    return lines


class Transcript:
    """Prints the phones' conversations in turn. `write` receives whole lines (default: print)."""

    def __init__(
        self, standin: BotAPIStandIn, write: Callable[[str], None], *, numbered_buttons: bool = False
    ) -> None:
        self.standin = standin
        self.write = write
        self.numbered_buttons = numbered_buttons
        self.actors: dict[int, Actor] = {}
        self.choices: list[Choice] = []
        self._shown: dict[int, int] = {}  # chat id → how many bot messages were printed
        self._snapshots: dict[tuple[int, int], tuple[str | None, Any]] = {}

    # -- people ----------------------------------------------------------------------------------------
    def cast(self, actor: Actor) -> Actor:
        """Register a person so their phone appears under their label."""
        self.actors[actor.user_id] = actor
        self._shown.setdefault(actor.user_id, len(self.standin.bot_messages(actor.user_id)))
        return actor

    def label(self, user_id: int) -> str:
        actor = self.actors.get(user_id)
        return actor.label if actor else str(user_id)

    def first_name(self, user_id: int) -> str:
        actor = self.actors.get(user_id)
        return actor.first_name if actor else str(user_id)

    # -- what people do --------------------------------------------------------------------------------
    def heading(self, text: str) -> None:
        """A chapter of the story."""
        self.write("")
        self.write(f"━━ {text} " + "━" * max(3, WIDTH - len(text) - 4))

    def note(self, text: str) -> None:
        """A line of narration (not something a phone shows)."""
        self.write("")
        lines = textwrap.wrap(text, WIDTH - 6, break_on_hyphens=False) or [""]
        self.write(f"{INDENT}⏩ {lines[0]}")
        for line in lines[1:]:
            self.write(f"{INDENT}   {line}")

    def typed(self, user_id: int, text: str) -> None:
        """The person typed and sent `text`."""
        self.write("")
        self.write(f"📱 {self.label(user_id)}")
        for line in _wrap(text):
            self.write(line)

    def pressed(self, user_id: int, button_text: str) -> None:
        """The person pressed a button."""
        self.write("")
        self.write(f"📱 {self.label(user_id)}")
        self.write(f"{INDENT}👆 [ {button_text} ]")

    # -- what the bot did ------------------------------------------------------------------------------
    def flush(self, first: int | None = None) -> list[ChatMessage]:
        """Print every bot message (and edit) not printed yet, `first`'s phone first; returns the new ones."""
        chats = list(self.actors)
        if first is not None and first in chats:
            chats.remove(first)
            chats.insert(0, first)
        new: list[ChatMessage] = []
        choices: list[Choice] = []
        for chat_id in chats:
            messages = self.standin.bot_messages(chat_id)
            shown = self._shown.get(chat_id, 0)
            for message in messages[:shown]:
                self._print_edit(message, choices)
            for message in messages[shown:]:
                self._print(message, edited=False, choices=choices)
                new.append(message)
            self._shown[chat_id] = len(messages)
        if choices:
            self.choices = choices
        return new

    def skip(self) -> None:
        """Mark everything so far as printed (nothing is shown)."""
        for chat_id in self.actors:
            messages = self.standin.bot_messages(chat_id)
            self._shown[chat_id] = len(messages)
            for message in messages:
                self._snapshot(message)

    def _print_edit(self, message: ChatMessage, choices: list[Choice]) -> None:
        """Show an edit: new text in full, new buttons alone; a keyboard that went away needs no words."""
        before = self._snapshots.get((message.chat_id, message.message_id))
        if message.deleted or before is None or before == (message.text, message.reply_markup):
            return
        if before[0] != message.text:
            self._print(message, edited=True, choices=choices)
            return
        self._snapshot(message)
        if message.buttons:
            self.write("")
            self.write(f"🤖 Koppelbot → {self.first_name(message.chat_id)} (andere knoppen)")
            for line in self._buttons(message, choices):
                self.write(line)

    def _snapshot(self, message: ChatMessage) -> None:
        self._snapshots[(message.chat_id, message.message_id)] = (message.text, message.reply_markup)

    def _print(self, message: ChatMessage, *, edited: bool, choices: list[Choice]) -> None:
        self._snapshot(message)
        if message.deleted:
            return
        self.write("")
        suffix = " (past het bericht aan)" if edited else ""
        self.write(f"🤖 Koppelbot → {self.first_name(message.chat_id)}{suffix}")
        if message.kind in {"photo", "document"}:
            size = f"{max(1, round(len(message.file_bytes or b'') / 1024))} kB"
            if message.kind == "photo":
                self.write(f"{INDENT}🖼  foto ({size})")
            else:
                self.write(f"{INDENT}📎 {message.file_name or 'bestand'} ({size})")
        if message.text:
            for line in _wrap(message.plain_text):
                self.write(line)
        for line in self._buttons(message, choices):
            self.write(line)

    def _buttons(self, message: ChatMessage, choices: list[Choice]) -> Iterable[str]:
        for row in message.buttons:
            cells = []
            for button in row:
                text = button["text"]
                if "url" in button:
                    text = f"{text} ↗ {button['url']}"
                if self.numbered_buttons:
                    choices.append(Choice(len(choices) + 1, message, button))
                    cells.append(f"[{len(choices)}] {text}")
                else:
                    cells.append(f"[ {text} ]")
            yield INDENT + "  ".join(cells)
