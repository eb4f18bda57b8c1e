"""The one limiter for every Bot API call: Telegram's pace, its 429s and its hiccups, in one place.

`ApplicationBuilder().rate_limiter(TelegramLimiter(...))` (bot/app.py) makes python-telegram-bot route every
call the Application's bot makes through `process_request`: replies and edits in handlers, answered button
presses, the error handler's notice, the outbox sender's sends. The outbox sender paces itself only through
this limiter, so replies and queued messages share one budget per chat and overall. (PTB never passes
getUpdates through a rate limiter; the poller handles its own failures.)

What is paced. Telegram publishes limits for *sending messages*: about 30 a second overall, about one a
second within one chat after a short burst, 20 a minute in a group. So new messages are paced (every
`send*` method except sendChatAction, `copyMessage(s)`, `forwardMessage(s)`):

- per chat: `chat_burst` back to back, then one per `chat_interval` (SEND_CHAT_INTERVAL_SECONDS), in the
  order the calls arrive; groups and channels (negative chat ids) one per `group_interval` (3 s: 20/min).
- overall: a token bucket of `rate` a second (SEND_RATE_PER_SECOND) with a burst of `overall_burst`.
  Replies to people go before queued outbox messages when both wait for the overall budget.

Both bursts stay below what Telegram (and the stand-in) allow, so the jitter between our clock and the
server's does not turn into 429s. Everything else is not delayed: answerCallbackQuery (a press is answered
at once however long the chat's queue; PTB's AIORateLimiter likewise paces only calls with a chat_id),
edits (Telegram documents no per-chat limit for them in private chats; a 429 on one is still honoured),
deleteMessage, sendChatAction, getMe, setMyCommands, leaveChat.

Failures, for every call:

- 429 (RetryAfter): the chat waits `retry_after` before its next call; when several chats are refused at
  once (the bot as a whole may be over its budget, e.g. several processes share it) everything waits, but a
  chat counts towards such a hold at most once in `FLOOD_REARM` seconds: Telegram's flood control for one
  chat may refuse it again and again, and that must not hold every other chat's messages each time. The call
  is retried after the wait, at most `max_429_retries` times, and only while `retry_after` is at most
  `max_retry_after` (a handler does not hold a person's turn for minutes).
- 5xx, and network errors before the request reached Telegram (connection refused): retried with
  exponential backoff and jitter, at most `max_error_retries` times.
- Never retried: `TimedOut` and a connection lost after the request went out (the message may have been
  delivered; sending it again could show it twice), 403 Forbidden (blocked), 400 BadRequest (the same
  request would be refused again) and every other Telegram error. PTB advises limiters to handle only
  RetryAfter; retrying 5xx and refused connections here is deliberate: it is the one place that knows the
  call, and the rules above keep a retry from ever repeating a message that may have arrived.

A caller that retries durably itself (the outbox sender) passes `rate_limit_args=RateLimitArgs(retry=False,
background=True, stop=event)`: paced, never retried here (a 429 still holds the chat), and `NotSent` is
raised when `stop` is set while the call still waits for its turn (nothing was sent).

Counters for logs and metrics: `rate_limited` (429 answers seen), `retried` (calls made again), `given_up`
(calls that failed after this limiter's retries, or whose 429 asked for too long a wait), `delayed` (calls
that waited for the budget). The budget belongs to one process: several processes sending for one bot
should divide SEND_RATE_PER_SECOND among them (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot import metrics

__all__ = [
    "CHAT_BURST",
    "OVERALL_BURST",
    "NotSent",
    "RateLimitArgs",
    "TelegramLimiter",
    "answer_lost",
    "is_paced",
]

logger = logging.getLogger(__name__)

CHAT_BURST = 2  # messages one chat may receive back to back (Telegram and the stand-in allow 3)
OVERALL_BURST = 10  # messages sent at once before the overall rate applies (the stand-in allows 30)
GROUP_INTERVAL = 3.0  # seconds between messages to one group or channel: 20 a minute
FLOOD_CHATS = 3  # 429s from this many different chats within FLOOD_WINDOW mean the bot is over budget
FLOOD_WINDOW = 2.0
FLOOD_REARM = 60.0  # seconds before a chat that caused a hold of everything may count towards another
MAX_CHATS = 20_000  # per-chat buckets kept before idle (full) ones are forgotten

JSONResult = Any


@dataclass(frozen=True)
class RateLimitArgs:
    """What a caller asks of the limiter for one call (PTB's `rate_limit_args`).

    `retry=False`: pace the call but raise every failure at once (the caller retries durably).
    `background=True`: give way to replies when both wait for the overall budget.
    `stop`: when set while the call waits for its turn, `NotSent` is raised and nothing is sent.
    """

    retry: bool = True
    background: bool = False
    stop: asyncio.Event | None = None


INTERACTIVE = RateLimitArgs()


class NotSent(Exception):
    """The call was given up while it waited for its turn (its caller is stopping): nothing was sent."""


def is_paced(endpoint: str) -> bool:
    """True for the Bot API methods that send a new message (the ones Telegram's limits are about)."""
    if endpoint == "sendChatAction":
        return False
    return endpoint.startswith(("send", "copyMessage", "forwardMessage"))


def answer_lost(exc: NetworkError) -> bool:
    """True when the HTTP exchange broke after the request may have reached Telegram.

    PTB raises a plain NetworkError both when the request never left (connection refused) and when the
    answer was lost on the way back (connection dropped, read error). The second may have been delivered,
    exactly like a timeout, so it must not be sent again as if it surely failed.
    """
    text = str(exc)
    return text.startswith("httpx.") and not text.startswith(
        ("httpx.ConnectError", "httpx.UnsupportedProtocol")
    )


def _retryable(exc: Exception) -> bool:
    """5xx answers and connections refused: the request surely did nothing (TimedOut etc. are subclasses)."""
    return type(exc) is NetworkError and not answer_lost(exc)


def _seconds(retry_after: int | float | timedelta) -> float:
    if isinstance(retry_after, timedelta):
        return max(0.0, retry_after.total_seconds())
    return max(0.0, float(retry_after))


class _ChatBucket:
    """One chat's budget: a token bucket whose tokens may go negative (each negative token a queued call)."""

    __slots__ = ("held_until", "stamp", "tokens")

    def __init__(self, burst: float, now: float) -> None:
        self.tokens = burst
        self.stamp = now
        self.held_until = 0.0


class _Overall:
    """The bot's overall budget: a token bucket; waiting calls are released by priority, then in order."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.paused_until = 0.0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take_now(self) -> bool:
        """Take a token if one is free and nobody waits for it."""
        if self.rate <= 0:
            return True
        now = time.monotonic()
        self._refill(now)
        if self._waiting or now < self.paused_until or self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def enqueue(self, priority: int) -> asyncio.Future[None]:
        """A future resolved when the caller may send (cancel it to leave the queue)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        self._schedule()
        return future

    def _schedule(self) -> None:
        if self._timer is not None or not self._waiting:
            return
        now = time.monotonic()
        self._refill(now)
        ready_at = now + max(0.0, 1 - self.tokens) / self.rate
        delay = max(ready_at, self.paused_until) - now
        self._timer = asyncio.get_running_loop().call_later(max(0.0, delay), self._release)

    def _release(self) -> None:
        self._timer = None
        now = time.monotonic()
        self._refill(now)
        while self._waiting and now >= self.paused_until and self.tokens >= 1 - 1e-9:
            _priority, _order, future = heapq.heappop(self._waiting)
            if future.done():  # its caller left the queue
                continue
            future.set_result(None)
            self.tokens -= 1
        if self._waiting:
            self._schedule()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for _priority, _order, future in self._waiting:
            if not future.done():
                future.set_exception(NotSent("the limiter was shut down"))
        self._waiting.clear()


class TelegramLimiter(BaseRateLimiter[RateLimitArgs]):
    """Telegram's limits for one bot in one process: overall, per chat and per group; retries (see module)."""

    def __init__(
        self,
        *,
        rate: float = 30.0,
        chat_interval: float = 1.0,
        chat_burst: int = CHAT_BURST,
        overall_burst: int = OVERALL_BURST,
        group_interval: float = GROUP_INTERVAL,
        max_error_retries: int = 5,
        backoff: float = 0.25,
        backoff_cap: float = 4.0,
        max_429_retries: int = 5,
        max_retry_after: float = 60.0,
    ) -> None:
        self.rate = rate
        self.chat_interval = chat_interval
        self.chat_burst = chat_burst
        self.group_interval = max(group_interval, chat_interval)
        self.max_error_retries = max_error_retries
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.max_429_retries = max_429_retries
        self.max_retry_after = max_retry_after
        self.rate_limited = 0
        self.retried = 0
        self.given_up = 0
        self.delayed = 0
        self._overall = _Overall(rate, overall_burst)
        self._chats: dict[int | str, _ChatBucket] = {}
        self._recent_429s: deque[tuple[float, int | str | None]] = deque(maxlen=64)
        self._flood_chats: dict[int | str | None, float] = {}  # chat → when it last caused a global hold

    @classmethod
    def from_settings(cls, settings: Any) -> TelegramLimiter:
        """A limiter with the pace from `Settings`."""
        return cls(rate=settings.send_rate_per_second, chat_interval=settings.send_chat_interval_seconds)

    async def initialize(self) -> None:
        """Nothing to set up: buckets are made on first use."""

    async def shutdown(self) -> None:
        """Release every call still waiting for the overall budget (with NotSent)."""
        self._overall.close()

    # -- the seam PTB calls --------------------------------------------------------------------------
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> JSONResult:
        """Wait for the call's turn, make it, and retry it where that cannot repeat a delivered message."""
        options = rate_limit_args or INTERACTIVE
        chat = _chat_key(data.get("chat_id"))
        paced = is_paced(endpoint)
        refused = failures = 0
        while True:
            if paced:
                await self._turn(chat, options)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                self.rate_limited += 1
                if not options.background:  # the outbox sender's own stats count its 429s (bot.metrics)
                    metrics.count_rate_limited("replies")
                self._refused(chat, seconds)
                if not options.retry:
                    raise
                if refused >= self.max_429_retries or seconds > self.max_retry_after:
                    self.given_up += 1
                    raise
                refused += 1
                self.retried += 1
                logger.debug("429 on %s: retrying after %.1fs", endpoint, seconds)
                if not paced or chat is None:
                    await _sleep(seconds + 0.05, options.stop)
            except NetworkError as exc:
                if not options.retry or not _retryable(exc):
                    raise
                if failures >= self.max_error_retries:
                    self.given_up += 1
                    raise
                failures += 1
                self.retried += 1
                delay = self._backoff(failures)
                logger.debug("%s on %s (%s): retrying in %.2fs", type(exc).__name__, endpoint, exc, delay)
                await _sleep(delay, options.stop)

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with jitter between half and all of the step."""
        step = min(self.backoff_cap, self.backoff * 2 ** (failures - 1))
        return step * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security

    # -- pacing --------------------------------------------------------------------------------------
    async def _turn(self, chat: int | str | None, options: RateLimitArgs) -> None:
        """Wait until `chat` may receive a message, then for the overall budget."""
        waited = False
        if chat is not None:
            waited = await self._chat_turn(chat, options.stop)
        if not self._overall.take_now():
            waited = True
            future = self._overall.enqueue(1 if options.background else 0)
            try:
                await _wait(future, options.stop)
            finally:
                future.cancel()  # leaves the queue if we stopped waiting; no-op once granted
        if waited:
            self.delayed += 1

    async def _chat_turn(self, chat: int | str, stop: asyncio.Event | None) -> bool:
        interval = self.group_interval if _is_group(chat) else self.chat_interval
        if interval <= 0 and chat not in self._chats:
            return False  # no per-chat pace, and no 429 ever held this chat
        waited = False
        while True:
            now = time.monotonic()
            bucket = self._bucket(chat, now)
            queued = 0.0
            if interval > 0:
                bucket.tokens = min(self.chat_burst, bucket.tokens + (now - bucket.stamp) / interval) - 1
                bucket.stamp = now
                queued = -bucket.tokens * interval
            wait = max(queued, bucket.held_until - now)
            if wait <= 0:
                return waited
            waited = True
            await _sleep(wait, stop)
            if bucket.held_until <= time.monotonic():
                return waited
            # A 429 arrived for this chat while we waited: queue again behind the hold.

    def _bucket(self, chat: int | str, now: float) -> _ChatBucket:
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) >= MAX_CHATS:
                self._forget_idle(now)
            bucket = self._chats[chat] = _ChatBucket(self.chat_burst, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        """Drop the buckets that are full again and not held (nobody waits on them)."""
        interval = max(self.chat_interval, 1e-9)
        self._chats = {
            chat: bucket
            for chat, bucket in self._chats.items()
            if bucket.held_until > now or bucket.tokens + (now - bucket.stamp) / interval < self.chat_burst
        }

    def _refused(self, chat: int | str | None, seconds: float) -> None:
        """A 429: hold the chat for `seconds`; hold everything when several chats were refused at once.

        A chat that caused a hold of everything in the last FLOOD_REARM seconds does not count again: chats
        that Telegram keeps refusing (its per-chat flood control) hold everything once, not every time.
        """
        now = time.monotonic()
        if chat is not None:
            bucket = self._bucket(chat, now)
            bucket.held_until = max(bucket.held_until, now + seconds)
            interval = self.group_interval if _is_group(chat) else self.chat_interval
            if interval > 0:  # after the hold, one message, then the interval again
                bucket.tokens = min(bucket.tokens, 1 - seconds / interval)
                bucket.stamp = now
        self._recent_429s.append((now, chat))
        self._flood_chats = {key: at for key, at in self._flood_chats.items() if now - at <= FLOOD_REARM}
        chats = {key for at, key in self._recent_429s if now - at <= FLOOD_WINDOW} - self._flood_chats.keys()
        if len(chats) >= FLOOD_CHATS:
            self._overall.pause(seconds)
            self._flood_chats.update(dict.fromkeys(chats, now))
            logger.warning("Telegram refused %d chats at once: all sends wait %.0fs", len(chats), seconds)


def _chat_key(chat_id: object) -> int | str | None:
    if chat_id is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)  # type: ignore[call-overload, no-any-return]
    return str(chat_id)  # "@channelname": only channels and supergroups are addressed by name


def _is_group(chat: int | str) -> bool:
    return isinstance(chat, str) or chat < 0


async def _sleep(seconds: float, stop: asyncio.Event | None) -> None:
    """Sleep `seconds`; raise NotSent as soon as `stop` is set."""
    if stop is None:
        await asyncio.sleep(seconds)
        return
    if stop.is_set():
        raise NotSent("stopping")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
        raise NotSent("stopping")


async def _wait(future: asyncio.Future[None], stop: asyncio.Event | None) -> None:
    """Wait for `future`; raise NotSent when `stop` is set first."""
    if stop is None:
        await future
        return
    if stop.is_set():
        raise NotSent("stopping")
    stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([future, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not future.done():
        raise NotSent("stopping")
    future.result()
