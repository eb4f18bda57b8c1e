"""What a teacher sees before the first message: the bot's description per language, and DEFAULT_LANGUAGE."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine

from bot.app import build_application
from bot.runner import polling
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from bot.standin.server import ApiCall, Fault
from bot.texts import t


def profile_texts(language: str) -> tuple[str, str]:
    return t(language, "about.description"), t(language, "about.short_description")


async def test_the_bot_describes_itself_per_language_at_start(
    standin: BotAPIStandIn, settings: Settings, engine: Engine
) -> None:
    async with polling(build_application(settings, engine=engine), poll_timeout=1.0):
        pass
    nl, en = profile_texts("nl"), profile_texts("en")
    assert standin.descriptions == {
        ("description", ""): nl[0],  # everyone whose Telegram language has no catalogue: DEFAULT_LANGUAGE
        ("description", "nl"): nl[0],
        ("description", "en"): en[0],
        ("short_description", ""): nl[1],
        ("short_description", "nl"): nl[1],
        ("short_description", "en"): en[1],
    }
    assert "START" in nl[0] and "ja" in nl[1]
    # A restart finds them in place and leaves them alone (Telegram limits how often they may change).
    sets = len(standin.calls_to("setMyDescription")) + len(standin.calls_to("setMyShortDescription"))
    assert sets == 6
    async with polling(build_application(settings, engine=engine), poll_timeout=1.0):
        pass
    assert len(standin.calls_to("setMyDescription")) + len(standin.calls_to("setMyShortDescription")) == sets
    assert len(standin.calls_to("getMyDescription")) == 6


async def test_default_language_english_speaks_english_to_other_languages(
    standin: BotAPIStandIn, settings: Settings, engine: Engine
) -> None:
    english = settings.model_copy(update={"default_language": "en"})
    async with polling(build_application(english, engine=engine), poll_timeout=1.0):
        assert standin.descriptions[("description", "")] == t("en", "about.description")
        menu = standin.handle("getMyCommands", {})[1]["result"]
        assert menu[0] == {"command": "start", "description": t("en", "menu.start")}
        hans = standin.person(3001, "Hans", language_code="de")
        hans.send("/start")  # not the default language: the choice first, in English
        assert "Which language" in (await hans.reply()).plain_text
        anna = standin.person(3002, "Anna", language_code="nl")
        anna.send("/start")  # the choice first, in her own language
        assert "In welke taal" in (await anna.reply()).plain_text
        anna.press("Nederlands")
        assert "Welkom bij Koppelbot" in (await anna.reply()).plain_text
        nobody = standin.person(3003, "X", language_code=None)
        nobody.send("/start")
        assert "Welcome to Koppelbot" in (await nobody.reply()).plain_text
    # Dutch stays the default where the setting says so.
    async with polling(build_application(settings, engine=engine), poll_timeout=1.0):
        hans.send("/start")
        assert "Which language" in (await hans.reply()).plain_text
        hans.press("Nederlands")
        assert "Welkom bij Koppelbot" in (await hans.reply()).plain_text


async def test_a_refused_description_does_not_stop_the_bot(
    standin: BotAPIStandIn, settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(call: ApiCall) -> Fault | None:
        return Fault(500) if call.method == "setMyDescription" else None

    standin.fault = refuse
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        async with polling(build_application(settings, engine=engine), poll_timeout=1.0):
            anna = standin.person(3004, "Anna")
            anna.send("/start")
            assert "Welkom bij Koppelbot" in (await anna.reply()).plain_text
    assert "could not set the bot's description in Telegram (NetworkError)" in caplog.text
