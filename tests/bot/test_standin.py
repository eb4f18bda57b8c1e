"""The Bot API stand-in behaves like Telegram where handlers must cope with it."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from bot.standin import BotAPIStandIn, Fault, FloodLimits


@pytest.fixture
async def tg(standin: BotAPIStandIn):
    bot = Bot(standin.token, base_url=standin.base_url, request=HTTPXRequest(read_timeout=1.0))
    async with bot:
        yield bot


async def test_get_me_and_send(tg: Bot, standin: BotAPIStandIn) -> None:
    assert tg.username == "koppelbot_test_bot"
    standin.person(7, "Eva")
    sent = await tg.send_message(7, "<b>Hoi</b> &amp; welkom", parse_mode="HTML")
    assert sent.message_id == 1
    assert standin.bot_messages(7)[0].plain_text == "Hoi & welkom"


async def test_telegram_rules_are_enforced(tg: Bot, standin: BotAPIStandIn) -> None:
    standin.limits = None  # six sends to one chat at once: this test is about what is refused, not the pace
    standin.person(7, "Eva")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await tg.send_message(8, "hallo")
    with pytest.raises(BadRequest, match="(?i)too long"):
        await tg.send_message(7, "x" * 4097)
    with pytest.raises(BadRequest, match="(?i)can.t parse entities"):
        await tg.send_message(7, "<script>x</script>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)can.t parse entities"):
        await tg.send_message(7, "1 < 2", parse_mode="HTML")
    sent = await tg.send_message(7, "zelfde")
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await tg.edit_message_text("zelfde", chat_id=7, message_id=sent.message_id)


async def test_blocked_people_answer_403(tg: Bot, standin: BotAPIStandIn) -> None:
    standin.person(7, "Eva")
    standin.block(7)
    with pytest.raises(Forbidden):
        await tg.send_message(7, "hallo")


async def test_injected_faults(tg: Bot, standin: BotAPIStandIn) -> None:
    standin.person(7, "Eva")
    standin.fault = lambda call: Fault(429, retry_after=3) if call.method == "sendMessage" else None
    with pytest.raises(RetryAfter) as raised:
        await tg.send_message(7, "hallo")
    assert raised.value.retry_after in (3, dt.timedelta(seconds=3))
    standin.fault = lambda call: Fault(delay=1.5) if call.method == "sendMessage" else None
    with pytest.raises(TimedOut):
        await tg.send_message(7, "traag")
    standin.fault = None


async def test_flood_limits_answer_429_per_chat(tg: Bot, standin: BotAPIStandIn) -> None:
    standin.limits = FloodLimits(per_chat_per_second=1, per_chat_burst=2)
    standin.person(7, "Eva")
    await tg.send_message(7, "1")
    await tg.send_message(7, "2")
    with pytest.raises(RetryAfter):
        await tg.send_message(7, "3")


async def test_updates_are_long_polled_and_confirmed_by_offset(tg: Bot, standin: BotAPIStandIn) -> None:
    eva = standin.person(7, "Eva")
    first = eva.send("/start")
    second = eva.send("hallo")
    updates = await tg.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first, second]
    assert updates[0].message.text == "/start"
    assert await tg.get_updates(offset=second + 1, timeout=0) == ()
    assert standin.pending_updates() == 0


async def test_documents_and_photos_keep_their_bytes(tg: Bot, standin: BotAPIStandIn) -> None:
    standin.person(7, "Eva")
    await tg.send_document(7, document=b'{"a": 1}', filename="mijn-gegevens.json", caption="Je gegevens")
    document = standin.bot_messages(7)[-1]
    assert document.kind == "document" and document.file_name == "mijn-gegevens.json"
    assert document.file_bytes == b'{"a": 1}' and document.text == "Je gegevens"


async def test_wrong_token_is_unauthorised(standin: BotAPIStandIn) -> None:
    from telegram.error import InvalidToken

    bot = Bot("999:wrong", base_url=standin.base_url)
    with pytest.raises(InvalidToken):
        await bot.initialize()
