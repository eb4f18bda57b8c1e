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

from rapidfuzz import fuzz, process
from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.texts import LANGUAGES, Markup, default_language, t

__all__ = [
    "COMMANDS",
    "ORGANISER_COMMANDS",
    "PARTICIPANT_COMMANDS",
    "Audience",
    "Command",
    "guess",
    "help_text",
    "menu",
    "organiser_lines",
    "remove_organiser_menu",
    "set_chat_menu",
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
    """One command: its name (without the slash), audience, the catalogue key of its menu line, and the
    other names it answers to (Dutch words people type; never shown in a menu)."""

    name: str
    audience: Audience
    menu_key: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name the command answers to, its own first."""
        return (self.name, *self.aliases)

    @property
    def help_key(self) -> str:
        """Its line in /help (participant commands only)."""
        return f"account.help_lines.{self.name}"


def _participant(name: str, *aliases: str) -> Command:
    return Command(name, Audience.PARTICIPANT, f"menu.{name}", aliases)


def _organiser(name: str, *aliases: str) -> Command:
    return Command(name, Audience.ORGANISER, f"organiser.menu_{name}", aliases)


#: In menu order: the participants' commands, then the organisers' (shown to organisers after the others).
COMMANDS: tuple[Command, ...] = (
    _participant("start", "begin"),
    _participant("profile", "profiel"),
    _participant("matches", "suggesties"),
    _participant("pause", "pauze"),
    _participant("resume", "hervat"),
    _participant("language", "taal"),
    _participant("privacy"),
    _participant("mydata", "mijngegevens"),
    _participant("delete", "verwijder"),
    _participant("cancel", "annuleer"),
    _participant("help", "hulp"),
    _organiser("broadcast"),
    _organiser("broadcasts"),
    _organiser("stats"),
    _organiser("unmet"),
    _organiser("export"),
    _organiser("invite"),
    _organiser("event"),
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


def help_text(language: str, *, organiser: bool = False) -> str:
    """/help: every participant command with one line each; for an organiser, theirs after them."""
    lines = [t(language, "account.help_title")]
    lines += [
        t(language, "account.help_line", command=c.name, text=Markup(t(language, c.help_key)))
        for c in PARTICIPANT_COMMANDS
    ]
    if organiser:
        lines += ["", t(language, "account.help_organiser_title"), *organiser_lines(language)]
    return "\n".join(lines)


def organiser_lines(language: str) -> list[str]:
    """One line per organiser command (its menu text), as in /help."""
    return [
        t(language, "account.help_line", command=c.name, text=Markup(t(language, c.menu_key)))
        for c in ORGANISER_COMMANDS
    ]


#: How alike a typed word must be to a command's name (rapidfuzz ratio, 0-100): "/matchs" (92) and
#: "/hepl" (75) are meant as /matches and /help; "hallo" (44 to "help") is not.
GUESS_CUTOFF = 75.0


def guess(word: str, *, organiser: bool = False, cutoff: float = GUESS_CUTOFF) -> Command | None:
    """The command a mistyped or Dutch `word` (with or without its slash) most likely means, or None."""
    word = word.strip().lstrip("/").split("@")[0].lower()
    if not word or len(word) > 32:
        return None
    shown = COMMANDS if organiser else PARTICIPANT_COMMANDS
    by_name = {name: command for command in shown for name in command.names}
    found = process.extract(word, list(by_name), scorer=fuzz.ratio, score_cutoff=cutoff, limit=3)
    if not found:
        return None
    # A tie ("/stat": start and stats) goes to the name that begins with what was typed.
    name, _, _ = max(found, key=lambda match: (round(match[1]), match[0].startswith(word)))
    return by_name[name]


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


async def set_chat_menu(bot: Bot, chat_id: int, language: str, *, organiser: bool = False) -> bool:
    """One person's menu in the language they chose, whatever their Telegram app's language (for an
    organiser with their commands too); False if Telegram refused."""
    try:
        for code in LANGUAGES:
            await bot.set_my_commands(
                menu(language, organiser=organiser),
                scope=BotCommandScopeChat(chat_id),
                language_code=_code(code),
            )
    except TelegramError as exc:
        logger.info("could not set a chat's menu: %s", type(exc).__name__)
        return False
    return True


async def remove_organiser_menu(bot: Bot, chat_id: int) -> None:
    """Back to the participants' menu for a former organiser."""
    for language in LANGUAGES:
        try:
            await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id), language_code=_code(language))
        except TelegramError as exc:
            logger.info("could not reset a former organiser's menu: %s", type(exc).__name__)
