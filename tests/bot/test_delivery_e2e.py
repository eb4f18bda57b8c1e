"""End to end: every reply arrives through Telegram's limits (the stand-in's, on by default) and faults.

One limiter paces every Bot API call (bot/limiter.py); these tests check what a person sees: complete
replies in order, at Telegram's pace, through 429s and 5xx answers, button presses answered at once, and a
person flooding the bot slowed down without slowing anyone else.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.limiter import TelegramLimiter
from bot.standin import ApiCall, BotAPIStandIn, Fault
from bot.standin.server import Person
from storage import session_scope
from storage.models import ProcessedUpdate
from storage.outbox import enqueue
from tests.bot.test_matches_e2e import seed
from tests.bot.test_onboarding_e2e import onboard_nl, said

CARD = "Wil je kennismaken"


def three_companies(engine) -> None:
    """Three companies near FoodValley offering what the school of `onboard_nl` looks for."""
    for telegram_id, name, offer in (
        (3101, "Ruud Jansen", "gastlessen over warmtepompen"),
        (3102, "Fatima El Amrani", "stageplekken installatietechniek"),
        (3103, "Joost Verhoeven", "gastlessen over warmtepompen en stageplekken installatietechniek"),
    ):
        seed(
            engine, telegram_id, name, organisation=f"{name} BV", role="company", region="foodvalley",
            offers=(offer,), needs=("leerlingen voor een praktijkopdracht",),
        )  # fmt: skip


def cards(person: Person) -> list[str]:
    return [m.plain_text for m in person.messages if CARD in m.plain_text]


def limiter_of(bot: KoppelApplication) -> TelegramLimiter:
    limiter = bot.bot.rate_limiter
    assert isinstance(limiter, TelegramLimiter)
    return limiter


async def finish_onboarding_with_three_cards(standin: BotAPIStandIn, engine) -> Person:
    three_companies(engine)
    sanne = standin.person(2101, "Sanne", last_name="de Vries")
    await onboard_nl(sanne)
    sanne.press("Klopt")
    await standin.wait_until(lambda: len(cards(sanne)) == 3, timeout=15, what="three suggestion cards")
    return sanne


async def test_onboarding_ends_with_its_confirmation_and_three_cards_at_telegrams_pace(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    assert standin.limits is not None  # Telegram's limits, as in every test that does not opt out
    sanne = await finish_onboarding_with_three_cards(standin, engine)
    texts = [m.plain_text for m in sanne.messages]
    finished = next(i for i, text in enumerate(texts) if "je profiel staat" in text)
    assert sum(CARD in text for text in texts[finished + 1 :]) == 3  # after the confirmation, in order
    assert standin.status_counts[429] == 0  # paced, not refused and retried
    sends = [c.at for c in standin.calls_to("sendMessage") if c.params.get("chat_id") == 2101]
    gaps = [later - earlier for earlier, later in zip(sends[-4:-1], sends[-3:], strict=True)]
    assert max(gaps) >= 0.9  # the confirmation and three cards do not go out in one burst


async def test_onboarding_arrives_complete_when_a_fifth_of_the_sends_fail_with_5xx(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    lock, sends, failed = threading.Lock(), [0], [0]

    def every_fifth_send_fails(call: ApiCall) -> Fault | None:
        if call.method != "sendMessage":
            return None
        with lock:
            sends[0] += 1
            if sends[0] % 5:
                return None
            failed[0] += 1
        return Fault(status=(500, 502, 503)[failed[0] % 3])

    standin.fault = every_fifth_send_fails
    sanne = await finish_onboarding_with_three_cards(standin, engine)
    assert failed[0] >= 3 and limiter_of(bot).retried >= failed[0]
    texts = [m.plain_text for m in sanne.messages]
    assert sum("je profiel staat" in text for text in texts) == 1 and len(cards(sanne)) == 3


async def test_a_burst_of_replies_to_one_chat_is_paced_not_lost(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    eva = standin.person(2102, "Eva")
    commands = ["/help", "/privacy"] * 3
    for command in commands:
        eva.send(command)
    await standin.wait_until(lambda: len(eva.messages) == 6, timeout=15, what="six replies")
    await standin.wait_idle(quiet=0.5)
    assert len(eva.messages) == 6 and standin.status_counts[429] == 0
    helps = [i for i, m in enumerate(eva.messages) if "/matches" in m.plain_text]
    assert helps == [0, 2, 4]  # in the order asked
    sends = [c.at for c in standin.calls_to("sendMessage") if c.params.get("chat_id") == 2102]
    assert sends[-1] - sends[0] >= 2.5  # six messages to one chat take their time: burst, then ~1/s


async def test_a_button_press_is_answered_at_once_while_the_chat_has_a_queue(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    anna = standin.person(2103, "Anna")
    anna.send("/start")
    await said(anna, "Welkom")
    with session_scope(engine) as session:
        for n in range(6):
            enqueue(session, dedupe_key=f"queue:{n}", chat_id=2103, kind="test", text=f"Bericht {n}")
    await standin.wait_until(lambda: any("Bericht 0" in m.plain_text for m in anna.messages), timeout=5)
    pressed_at = time.monotonic()
    callback_id = anna.press("Akkoord")
    await standin.wait_until(lambda: callback_id in standin.callback_answers, timeout=5)
    answers = standin.calls_to("answerCallbackQuery")
    answered = next(c for c in answers if str(c.params.get("callback_query_id")) == callback_id)
    assert answered.at - pressed_at < 0.5  # not behind the chat's five queued messages (~4 s of them)
    await standin.wait_until(
        lambda: sum("Bericht" in m.plain_text for m in anna.messages) == 6, timeout=15, what="the queue"
    )
    await said(anna, "Bericht 5")
    texts = [m.plain_text for m in anna.messages]
    asked = next(i for i, text in enumerate(texts) if "Hoe heet je" in text)
    assert asked < texts.index("Bericht 5")  # the reply took its turn in the queue, not after all of it
    assert standin.status_counts[429] == 0


async def test_a_flooder_gets_one_notice_and_others_stay_fast(
    standin: BotAPIStandIn, bot: KoppelApplication, engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    flooder, other = standin.person(2104, "Flood"), standin.person(2105, "Olga")
    flooded = [flooder.send(f"bericht {n}") for n in range(500)]
    asked_at = time.monotonic()
    other.send("/help")
    await other.reply(timeout=5)
    assert time.monotonic() - asked_at < 2.0  # prompt, despite 500 updates before hers
    await standin.wait_idle(quiet=1.0, timeout=30)
    received = [m.plain_text for m in flooder.messages]
    assert sum("Rustig aan" in text for text in received) == 1
    assert len(received) <= 6  # a handful of replies and the one notice
    assert sum("flood" in record.getMessage() for record in caplog.records) == 1
    assert not [r for r in caplog.records if r.exc_info]  # no traceback for any of it
    with Session(engine) as session:  # dropped, but recorded as handled: nothing is replayed after a restart
        handled = set(session.exec(select(ProcessedUpdate.update_id)).all())
    assert set(flooded) <= handled
    # After a pause the flooder is served again.
    await standin.wait_until(lambda: not bot.update_processor.flood.flooding(2104), timeout=15)  # type: ignore[attr-defined]
    flooder.skip()
    flooder.send("/help")
    assert "/matches" in (await flooder.reply(timeout=5)).plain_text


async def test_a_reply_that_fails_after_its_retries_is_logged_once_without_a_traceback(
    standin: BotAPIStandIn, bot: KoppelApplication, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    standin.fault = lambda call: Fault(502) if call.params.get("chat_id") == 2106 else None
    piet = standin.person(2106, "Piet")
    update_id = piet.send("/help")

    def about_it() -> list[logging.LogRecord]:
        records = [r for r in caplog.records if r.levelno >= logging.WARNING]
        return [r for r in records if str(update_id) in r.getMessage()]

    await standin.wait_until(lambda: bool(about_it()), timeout=20, what="the failure to be logged")
    await standin.wait_idle(quiet=0.5)
    lines = about_it()
    assert len(lines) == 1 and lines[0].exc_info is None and "NetworkError" in lines[0].getMessage()
    sends = [c for c in standin.calls_to("sendMessage") if c.params.get("chat_id") == 2106]
    limiter = limiter_of(bot)
    assert len(sends) == 1 + limiter.max_error_retries  # retried, then given up; no "something went wrong"
    assert limiter.given_up == 1


async def test_chats_telegram_keeps_refusing_do_not_hold_another_chats_replies(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    refused = (2107, 2108, 2109)
    for chat in refused:
        standin.person(chat, f"Vol {chat}")
    # Telegram's flood control for these three chats never lifts: every send to them is refused with 429.
    standin.fault = lambda call: Fault(429, retry_after=3) if call.params.get("chat_id") in refused else None
    with session_scope(engine) as session:
        for chat in refused:
            enqueue(session, dedupe_key=f"refused:{chat}", chat_id=chat, kind="test", text="Bericht")
    # Refused at once, they hold every send once (they may be a flood of the whole bot); then no more.
    await standin.wait_until(lambda: standin.status_counts[429] >= 6, what="each chat refused again")
    olga = standin.person(2110, "Olga")
    for _ in range(4):  # spread over the refused chats' retries
        asked_at = time.monotonic()
        olga.send("/help")
        assert "/matches" in (await olga.reply(timeout=10)).plain_text
        assert time.monotonic() - asked_at < 1.0  # not held for those chats again and again
        await asyncio.sleep(1.0)  # her own chat's pace: one a second after a burst
    await standin.wait_until(lambda: standin.status_counts[429] >= 9, what="each chat refused a third time")
    assert all(not standin.bot_messages(chat) for chat in refused)
