"""The command table: one row per command, read by the composition root, the menus and /help."""

from __future__ import annotations

import pytest

from bot.app import COMMAND_HANDLERS, register_handlers
from bot.commands import COMMANDS, ORGANISER_COMMANDS, PARTICIPANT_COMMANDS, guess, help_text, menu
from bot.texts import LANGUAGES, catalogue


def test_every_command_has_a_handler_and_every_handler_a_row() -> None:
    assert [c.name for c in COMMANDS] == list(dict.fromkeys(c.name for c in COMMANDS))  # no duplicates
    assert {c.name for c in COMMANDS} == set(COMMAND_HANDLERS)


def test_a_command_without_a_row_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(COMMAND_HANDLERS, "secret", COMMAND_HANDLERS["help"])
    with pytest.raises(RuntimeError, match="secret"):
        register_handlers(None)  # type: ignore[arg-type]  # refused before the application is touched


@pytest.mark.parametrize("language", LANGUAGES)
def test_menus_and_help_come_from_the_table(language: str) -> None:
    texts = catalogue(language)
    assert [c.command for c in menu(language)] == [c.name for c in PARTICIPANT_COMMANDS]
    organiser_menu = [c.command for c in menu(language, organiser=True)]
    assert organiser_menu == [c.name for c in (*PARTICIPANT_COMMANDS, *ORGANISER_COMMANDS)]
    assert all(texts[c.menu_key] for c in COMMANDS) and len(COMMANDS) == 23
    lines = help_text(language).splitlines()
    assert lines[0] == texts["account.help_title"]
    assert [line.split(" ")[0] for line in lines[1:]] == [f"/{c.name}" for c in PARTICIPANT_COMMANDS]
    assert "/broadcast" not in help_text(language)


def test_help_reads_as_before() -> None:
    assert help_text("nl").splitlines()[1] == "/start – begin, of ga verder waar je was"
    assert help_text("en").splitlines()[-1] == "/help – this overview"


@pytest.mark.parametrize(
    ("typed", "organiser", "meant"),
    [
        ("/matchs", False, "matches"),
        ("/profle", False, "profile"),
        ("suggesties", False, "matches"),
        ("/hulp@koppelbot", False, "help"),
        ("/hepl", False, "help"),
        ("/stat", True, "stats"),  # a tie with /start goes to the name that begins with what was typed
        ("/stat", False, "start"),  # participants are never pointed to organiser commands
        ("hallo", False, None),
        ("/onzin", False, None),
        ("ja", False, None),
    ],
)
def test_guess_finds_the_command_a_mistyped_or_dutch_word_means(
    typed: str, organiser: bool, meant: str | None
) -> None:
    found = guess(typed, organiser=organiser)
    assert (found.name if found else None) == meant


def test_aliases_are_unique_and_valid_command_names() -> None:
    names = [name for command in COMMANDS for name in command.names]
    assert len(names) == len(set(names))
    assert all(name.isascii() and name.islower() and len(name) <= 32 for name in names)
