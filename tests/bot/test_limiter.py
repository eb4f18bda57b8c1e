"""The limiter on its own: what it paces, in which order, and what it retries (Telegram faked by a function).

The end-to-end behaviour through the stand-in is in test_delivery_e2e.py; here the call the limiter makes
is a small function that records when it ran and answers as told, so the rules can be checked one by one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.limiter import NotSent, RateLimitArgs, TelegramLimiter, is_paced


class FakeTelegram:
    """Records each call's time; `answers` decides per call (an exception to raise, or None for ok)."""

    def __init__(self, answers: Callable[[int], Exception | None] = lambda _n: None) -> None:
        self.answers = answers
        self.calls: list[tuple[str, float, object]] = []  # (method, seconds since start, chat)
        self.started = time.monotonic()

    async def __call__(self, endpoint: str, data: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((endpoint, time.monotonic() - self.started, data.get("chat_id")))
        failure = self.answers(len(self.calls))
        if failure is not None:
            raise failure
        return {"ok": True, "chat": data.get("chat_id")}

    def times(self, endpoint: str = "sendMessage") -> list[float]:
        return [at for name, at, _chat in self.calls if name == endpoint]


async def call(
    limiter: TelegramLimiter,
    telegram: FakeTelegram,
    endpoint: str = "sendMessage",
    chat_id: int | None = 1,
    args: RateLimitArgs | None = None,
) -> Any:
    data = {} if chat_id is None else {"chat_id": chat_id}
    return await limiter.process_request(telegram, (endpoint, data), {}, endpoint, data, args)


def fast(**overrides: Any) -> TelegramLimiter:
    options: dict[str, Any] = {"rate": 1000.0, "chat_interval": 0.2, "backoff": 0.01, "backoff_cap": 0.02}
    return TelegramLimiter(**(options | overrides))


def test_which_methods_are_paced() -> None:
    assert all(is_paced(m) for m in ("sendMessage", "sendPhoto", "sendDocument", "copyMessage"))
    assert not any(
        is_paced(m)
        for m in ("answerCallbackQuery", "editMessageText", "sendChatAction", "getMe", "leaveChat")
    )


async def test_one_chat_gets_a_burst_then_one_message_per_interval_in_order() -> None:
    limiter, telegram = fast(), FakeTelegram()
    await asyncio.gather(*(call(limiter, telegram) for _ in range(5)))
    times = telegram.times()
    assert times[1] < 0.05  # the burst of two
    gaps = [later - earlier for earlier, later in zip(times[1:], times[2:], strict=False)]
    assert all(0.17 <= gap <= 0.3 for gap in gaps), gaps
    assert limiter.delayed == 3


async def test_other_chats_do_not_wait_for_a_busy_one() -> None:
    limiter, telegram = fast(), FakeTelegram()
    busy = [asyncio.ensure_future(call(limiter, telegram, chat_id=1)) for _ in range(6)]
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await call(limiter, telegram, chat_id=2)
    assert time.monotonic() - started < 0.05
    await asyncio.gather(*busy)


async def test_a_button_answer_and_an_edit_are_never_held_behind_a_chats_queue() -> None:
    limiter, telegram = fast(chat_interval=1.0), FakeTelegram()
    queued = [asyncio.ensure_future(call(limiter, telegram)) for _ in range(4)]
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await call(limiter, telegram, "answerCallbackQuery", chat_id=None)
    await call(limiter, telegram, "editMessageText")
    assert time.monotonic() - started < 0.05
    for task in queued:
        task.cancel()


async def test_the_overall_rate_holds_across_chats() -> None:
    limiter, telegram = fast(rate=50.0, overall_burst=5), FakeTelegram()
    await asyncio.gather(*(call(limiter, telegram, chat_id=chat) for chat in range(1, 26)))
    assert telegram.times()[-1] >= (25 - 5) / 50 - 0.02


async def test_replies_go_before_queued_outbox_messages() -> None:
    limiter, telegram = fast(rate=20.0, overall_burst=1), FakeTelegram()
    outbox = RateLimitArgs(retry=False, background=True)
    background = [
        asyncio.ensure_future(call(limiter, telegram, chat_id=chat, args=outbox)) for chat in range(100, 106)
    ]
    await asyncio.sleep(0.01)
    await call(limiter, telegram, chat_id=7)
    await asyncio.gather(*background)
    chats = [chat for _method, _at, chat in telegram.calls]
    assert chats.index(7) == 1  # after the one outbox send that was free, before the five waiting ones


@pytest.mark.parametrize("chat_interval", [0.2, 0.0], ids=["paced", "no-chat-pace"])
async def test_a_429_holds_the_chat_and_the_call_is_retried_after_retry_after(chat_interval: float) -> None:
    limiter = fast(chat_interval=chat_interval)
    telegram = FakeTelegram(lambda n: RetryAfter(1) if n == 1 else None)
    await call(limiter, telegram)
    first, second = telegram.times()
    assert second - first >= 1.0
    assert (limiter.rate_limited, limiter.retried, limiter.given_up) == (1, 1, 0)


async def test_the_outbox_is_paced_but_not_retried_and_its_429_still_holds_the_chat() -> None:
    limiter = fast()
    telegram = FakeTelegram(lambda n: RetryAfter(1) if n == 1 else None)
    with pytest.raises(RetryAfter):
        await call(limiter, telegram, args=RateLimitArgs(retry=False))
    await call(limiter, telegram)  # the next message to that chat waits as Telegram asked
    first, second = telegram.times()
    assert second - first >= 0.95 and limiter.retried == 0


async def test_a_429_asking_for_too_long_is_given_up() -> None:
    limiter = fast(max_retry_after=5.0)
    telegram = FakeTelegram(lambda _n: RetryAfter(30))
    with pytest.raises(RetryAfter):
        await call(limiter, telegram)
    assert len(telegram.calls) == 1 and limiter.given_up == 1


async def test_5xx_and_refused_connections_are_retried_with_backoff_then_given_up() -> None:
    limiter = fast(max_error_retries=3)
    telegram = FakeTelegram(lambda _n: NetworkError("Bad Gateway"))
    with pytest.raises(NetworkError):
        await call(limiter, telegram)
    assert len(telegram.calls) == 4 and limiter.retried == 3 and limiter.given_up == 1
    telegram = FakeTelegram(lambda n: NetworkError("httpx.ConnectError: refused") if n < 3 else None)
    await call(limiter, telegram)
    assert len(telegram.calls) == 3


@pytest.mark.parametrize(
    "failure",
    [
        TimedOut(),  # may have been delivered
        NetworkError("httpx.ReadError: connection reset"),  # the answer was lost: may have been delivered
        NetworkError("httpx.RemoteProtocolError: server disconnected"),
        Forbidden("Forbidden: bot was blocked by the user"),
        BadRequest("Bad Request: message is too long"),
    ],
    ids=["timed-out", "answer-lost", "disconnected", "forbidden", "bad-request"],
)
async def test_what_may_have_arrived_or_cannot_succeed_is_never_retried(failure: Exception) -> None:
    limiter = fast()
    telegram = FakeTelegram(lambda _n: failure)
    with pytest.raises(type(failure)):
        await call(limiter, telegram)
    assert len(telegram.calls) == 1 and limiter.retried == 0


async def test_a_stopping_caller_leaves_the_queue_and_nothing_is_sent() -> None:
    limiter, telegram = fast(chat_interval=5.0, chat_burst=1), FakeTelegram()
    stop = asyncio.Event()
    await call(limiter, telegram, args=RateLimitArgs(stop=stop))
    waiting = asyncio.ensure_future(call(limiter, telegram, args=RateLimitArgs(stop=stop)))
    await asyncio.sleep(0.05)
    stop.set()
    with pytest.raises(NotSent):
        await asyncio.wait_for(waiting, timeout=1)
    assert len(telegram.calls) == 1


async def test_many_chats_refused_at_once_pause_everything() -> None:
    limiter = fast(rate=1000.0)
    telegram = FakeTelegram(lambda n: RetryAfter(1) if n <= 3 else None)
    args = RateLimitArgs(retry=False)
    for chat in (1, 2, 3):
        with pytest.raises(RetryAfter):
            await call(limiter, telegram, chat_id=chat, args=args)
    started = time.monotonic()
    await call(limiter, telegram, chat_id=4)  # a chat never refused waits too: the bot is over budget
    assert time.monotonic() - started >= 0.9


async def test_the_same_chats_refused_again_do_not_pause_everything_again() -> None:
    limiter = fast(rate=1000.0)
    telegram = FakeTelegram(lambda n: RetryAfter(1) if n <= 6 else None)
    args = RateLimitArgs(retry=False)
    for _round in range(2):  # Telegram keeps refusing these chats (its flood control for each of them)
        for chat in (1, 2, 3):
            with pytest.raises(RetryAfter):
                await call(limiter, telegram, chat_id=chat, args=args)
    started = time.monotonic()
    await call(limiter, telegram, chat_id=4)  # held once, at the first round, not again
    assert time.monotonic() - started < 0.1
