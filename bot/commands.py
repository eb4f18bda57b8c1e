"""Every command in one table: who may use it, its line in Telegram's command menu and in /help.

`bot.app` registers one handler per row (and refuses to build when a row has none or a handler has no row),
the command menus are set from it (everybody's, and each organiser's own), and /help lists the participant
rows. Adding a command = one row here, its handler in `bot.app`, and its texts (`menu.<name>` or
`organiser.menu_<name>`; `account.help_lines.<name>` for participant commands).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.texts import LANGUAGES, Markup, default_language, t

__all__ = [
    "COMMANDS",
    "ORGANISER_COMMANDS",
    "PARTICIPANT_COMMANDS",
    "Audience",
    "Command",
    "help_text",
    "menu",
    "remove_organiser_menu",
    "set_default_menu",
    "set_organiser_menu",
]

logger = logging.getLogger(__name__)


class Audience(StrEnum):
    """Who a command is for."""

    PARTICIPANT = "participant"  # everybody: the default menu and /help
    ORGANISER = "organiser"  # organisers only: their own menu; everybody else gets a polite refusal


@dataclass(frozen=True)
class Command:
    """One command: its name (without the slash), audience and the catalogue key of its menu line."""

    name: str
    audience: Audience
    menu_key: str

    @property
    def help_key(self) -> str:
        """Its line in /help (participant commands only)."""
        return f"account.help_lines.{self.name}"


def _participant(name: str) -> Command:
    return Command(name, Audience.PARTICIPANT, f"menu.{name}")


def _organiser(name: str) -> Command:
    return Command(name, Audience.ORGANISER, f"organiser.menu_{name}")


#: In menu order: the participants' commands, then the organisers' (shown to organisers after the others).
COMMANDS: tuple[Command, ...] = (
    _participant("start"),
    _participant("profile"),
    _participant("matches"),
    _participant("pause"),
    _participant("resume"),
    _participant("language"),
    _participant("privacy"),
    _participant("mydata"),
    _participant("delete"),
    _participant("cancel"),
    _participant("help"),
    _organiser("broadcast"),
    _organiser("broadcasts"),
    _organiser("stats"),
    _organiser("unmet"),
    _organiser("export"),
    _organiser("invite"),
    _organiser("organisers"),
    _organiser("outbox"),
    _organiser("digest_now"),
    _organiser("participant"),
    _organiser("introduce"),
)
PARTICIPANT_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.PARTICIPANT)
ORGANISER_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.ORGANISER)


def menu(language: str, *, organiser: bool = False) -> list[BotCommand]:
    """The command menu in `language`: the participants' commands, and for an organiser theirs too."""
    shown = COMMANDS if organiser else PARTICIPANT_COMMANDS
    return [BotCommand(command.name, t(language, command.menu_key)) for command in shown]


def help_text(language: str) -> str:
    """/help: every participant command with one line each."""
    lines = [t(language, "account.help_title")]
    lines += [
        t(language, "account.help_line", command=c.name, text=Markup(t(language, c.help_key)))
        for c in PARTICIPANT_COMMANDS
    ]
    return "\n".join(lines)


def _code(language: str) -> str | None:
    # DEFAULT_LANGUAGE's menu is the menu for every language without a catalogue too
    return None if language == default_language() else language


async def set_default_menu(bot: Bot) -> None:
    """Everybody's menu, per language (at start-up)."""
    for language in LANGUAGES:
        await bot.set_my_commands(
            menu(language), scope=BotCommandScopeDefault(), language_code=_code(language)
        )


async def set_organiser_menu(bot: Bot, chat_id: int) -> bool:
    """Show the organiser commands in one organiser's menu, per language; False if Telegram refused."""
    try:
        for language in LANGUAGES:
            await bot.set_my_commands(
                menu(language, organiser=True),
                scope=BotCommandScopeChat(chat_id),
                language_code=_code(language),
            )
    except TelegramError as exc:  # e.g. the organiser never started the bot: "chat not found"
        logger.info("could not set an organiser's menu: %s", type(exc).__name__)
        return False
    return True


async def remove_organiser_menu(bot: Bot, chat_id: int) -> None:
    """Back to the participants' menu for a former organiser."""
    for language in LANGUAGES:
        try:
            await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id), language_code=_code(language))
        except TelegramError as exc:
            logger.info("could not reset a former organiser's menu: %s", type(exc).__name__)
