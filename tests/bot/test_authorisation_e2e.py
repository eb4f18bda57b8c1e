"""Cross-check: every registered command that is not in the participant menu refuses non-organisers.

Enumerates the CommandHandlers the running bot really registered, so a new organiser command cannot be
added without its organiser check: either it is a participant command (in PARTICIPANT_COMMANDS, the menu
everybody sees) or a stranger who sends it gets the refusal and nothing else.
"""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.app import KoppelApplication
from bot.commands import PARTICIPANT_COMMANDS
from bot.standin import BotAPIStandIn
from bot.texts import t

PUBLIC = {name for command in PARTICIPANT_COMMANDS for name in command.names}  # Dutch aliases too


def registered_commands(application: KoppelApplication) -> set[str]:
    return {
        command
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


async def test_every_non_participant_command_refuses_a_stranger(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    restricted = sorted(registered_commands(bot) - PUBLIC)
    assert {"broadcast", "stats", "export"} <= set(restricted)  # the enumeration really sees them
    stranger = standin.person(777_001, "Mallory", language_code="nl")
    for command in restricted:
        stranger.send(f"/{command} iedereen opgelet")
        reply = await stranger.reply()
        assert reply.plain_text == t("nl", "organiser.refused"), (command, reply.plain_text)
        await standin.wait_idle(quiet=0.2)
        assert len(stranger.messages) == stranger._seen, f"/{command} did more than refuse"
    # Nothing was queued for anybody by a refused command.
    assert standin.calls_to("sendDocument") == []
