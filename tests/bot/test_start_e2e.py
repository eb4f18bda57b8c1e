"""End to end: the bot, started as in production, answers /start through the Bot API stand-in."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage.models import Participant


async def test_start_answers_with_privacy_statement_and_consent_buttons(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    anna = standin.person(1001, "Anna", language_code="nl")
    anna.send("/start")
    reply = await anna.reply()
    assert "Welkom bij Koppelbot" in reply.plain_text
    assert "Privacy" in reply.plain_text
    assert reply.button_texts == ["Akkoord, ga verder", "Nee, liever niet"]
    # Nothing personal is stored before consent.
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Participant)).one() == 0


async def test_start_speaks_english_to_english_telegram_users(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    john = standin.person(1002, "John", language_code="en-GB")
    john.send("/start")
    assert "Which language" in (await john.reply()).plain_text  # not Dutch: the language first
    john.press("English")
    reply = await john.reply()
    assert "Welcome to Koppelbot" in reply.plain_text
    assert reply.button_texts == ["I agree, continue", "No, thanks"]


async def test_command_menu_is_registered_per_language(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    calls = standin.calls_to("setMyCommands")
    languages = {call.params.get("language_code") for call in calls}
    assert languages == {None, "en"}
    dutch = next(call for call in calls if call.params.get("language_code") is None)
    assert {"command": "start", "description": "Begin of ga verder waar je was"} in dutch.params["commands"]


async def test_the_bot_leaves_groups_after_saying_it_works_in_private(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    standin.person(1003, "Kees")
    group = {"id": -5001, "type": "group", "title": "Techniekpact"}
    standin.enqueue(
        "message",
        {"message_id": 1, "from": standin.users[1003], "chat": group, "date": 0, "text": "hallo bot"},
    )
    await standin.wait_until(lambda: -5001 in standin.left_chats, what="leaveChat")
    assert [m.plain_text for m in standin.bot_messages(-5001)] == [
        "Ik werk alleen in een privégesprek. Stuur me een bericht via @koppelbot_test_bot. "
        "Ik verlaat deze groep."
    ]


async def test_typing_on_the_consent_screen_points_to_the_consent_button(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    sanne = standin.person(4711, "Sanne")
    sanne.send("/start")
    await sanne.reply()
    sanne.send("ja")  # typed instead of tapping: not "send /start", which she just did
    answer = (await sanne.reply()).plain_text
    assert "Tik op Akkoord, ga verder onder mijn welkomstbericht" in answer


async def test_typing_before_start_asks_for_start_not_for_a_button_never_sent(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    piet = standin.person(4712, "Piet")
    piet.send("hallo")  # the very first message, no /start: there is no welcome with a button yet
    answer = (await piet.reply()).plain_text
    assert "Stuur /start" in answer and "welkomstbericht" not in answer
    piet.send_sticker()
    assert "Stuur /start" in (await piet.reply()).plain_text
