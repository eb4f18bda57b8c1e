"""The outbox sender: delivers queued messages at Telegram's pace, durably, once.

Every message the bot sends on its own initiative is first an `outbox` row (`storage.outbox.enqueue`). The
sender claims due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so several workers share the outbox), sends
them through the bot, and marks each `sent` in the same statement that records the Telegram message id.

Pace: the bot's one limiter (bot/limiter.py), shared with every reply the bot makes, spaces the sends:
`SEND_RATE_PER_SECOND` overall and one per `SEND_CHAT_INTERVAL_SECONDS` per chat after a short burst; the
sender's calls give way to replies and are never retried inside the limiter (the sender retries durably,
below). Messages to one chat go out in queue order, one at a time. Failures:

- 429 (RetryAfter): the row waits `retry_after` (not counted as an attempt); the limiter holds the chat as
  long (and everything, when several chats are refused at once; see bot/limiter.py), as Telegram asks.
- 5xx and network errors: retried with exponential backoff and jitter; after `SEND_MAX_ATTEMPTS` attempts
  the row is parked (organisers see parked rows and can requeue them).
- 403 (Forbidden): the person blocked the bot; they become `blocked` and all their unsent rows stop.
- 400 (BadRequest) and payloads that cannot be built: parked at once (retrying would not help); but
  "chat not found" (the recipient never started the bot) is skipped (`cancelled`), not parked: nobody can
  fix it, so it must not keep /healthz unhealthy.
- TimedOut: delivery unknown. Retried once (and counted in `uncertain_deliveries`, and logged); a second
  timeout parks the row rather than risk repeating it again.

Stopping cleanly lets in-flight sends finish and gives every other claimed row back as pending. A process
that dies leaves its claims; they go back to pending after `stale_after` and are claimed again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from telegram import Bot, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.clock import Clock
from bot.limiter import NotSent, RateLimitArgs, answer_lost
from bot.services.participants import mark_chat_blocked
from storage import outbox as outbox_store
from storage import session_scope
from storage.claims import ClaimOwners
from storage.models import OutboxMessage

__all__ = ["OutboxSender", "SenderStats"]

logger = logging.getLogger(__name__)

DEAD_OWNER_CHECK_SECONDS = 30.0  # how often a running sender looks for claims left by dead senders
T = TypeVar("T")


@dataclass
class SenderStats:
    """What the sender did since it started (for logs, /stats and the benchmarks)."""

    sent: int = 0
    rate_limited: int = 0  # 429 answers
    retried: int = 0  # 5xx and network errors that will be retried
    blocked: int = 0  # 403: the person blocked the bot
    parked: int = 0
    uncertain_deliveries: int = 0  # timed out: delivered or not, nobody knows
    lost_claims: int = 0  # another worker took a row over (our claim had gone stale)
    first_sent_at: float | None = None
    last_sent_at: float | None = None
    errors: dict[str, int] = field(default_factory=dict)

    def rate(self) -> float:
        """Achieved messages per second between the first and the last confirmed send."""
        if self.first_sent_at is None or self.last_sent_at is None or self.sent < 2:
            return 0.0
        return (self.sent - 1) / max(self.last_sent_at - self.first_sent_at, 1e-9)


class OutboxSender:
    """Delivers the outbox through `bot`; `start()` it in the running event loop, `stop()` it at the end.

    `bot` is the Application's bot, whose rate limiter paces every call (a bot without one sends unpaced).
    `capacity` is how many rows are claimed and held at once (every chat's next row among them).
    """

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        *,
        max_attempts: int = 8,
        clock: Clock | None = None,
        owner: str | None = None,
        capacity: int = 60,
        poll_interval: float = 1.0,
        stale_after: timedelta = timedelta(minutes=5),
        backoff_base: float = 2.0,
        backoff_cap: float = 900.0,
        on_sent: Callable[[OutboxMessage], None] | None = None,
    ) -> None:
        self.bot = bot
        self.engine = engine
        self.clock = clock or Clock()
        self.max_attempts = max_attempts
        self.owner = owner or f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.capacity = capacity
        self.poll_interval = poll_interval
        self.stale_after = stale_after
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.on_sent = on_sent
        # Chats that answered 403 lately: their next update is written at once (they unblocked the bot).
        self.blocked_chats: set[int] = set()
        self.stats = SenderStats()
        self._held: dict[int, OutboxMessage] = {}
        self._queues: dict[int, deque[OutboxMessage]] = {}
        self._chat_tasks: dict[int, asyncio.Task[None]] = {}
        self._in_flight: set[int] = set()
        self._wakeup: asyncio.Event | None = None
        self._stop_event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._owners: ClaimOwners | None = None
        self._dead_checked_at = time.monotonic()

    @classmethod
    def from_settings(cls, bot: Bot, engine: Engine, settings: Any, **kwargs: Any) -> OutboxSender:
        """A sender with the attempts and backoff from `Settings` (holding two seconds' worth of sends)."""
        kwargs.setdefault("capacity", max(8, int(settings.send_rate_per_second * 2)))
        return cls(
            bot,
            engine,
            max_attempts=settings.send_max_attempts,
            backoff_base=settings.send_backoff_seconds,
            **kwargs,
        )

    # -- lifecycle -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start delivering in the current event loop (returns at once)."""
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._unsubscribe = [
            outbox_store.add_enqueue_listener(self.engine, self.wake),
            self.clock.on_change(self.wake),
        ]
        # Announce we are alive before the first claim, and take back what a dead sender left claimed.
        self._owners = ClaimOwners(self.engine, self.owner)
        await asyncio.to_thread(self._owners.announce)
        await asyncio.to_thread(self._owners.release_dead)
        self._task = asyncio.create_task(self._run(), name="outbox-sender")
        logger.info("outbox sender %s started", self.owner)

    def wake(self) -> None:
        """Look for due rows now (thread-safe; called after every in-process enqueue)."""
        loop, event = self._loop, self._wakeup
        if loop is None or event is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            event.set()
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    async def stop(self, timeout: float = 15.0) -> None:
        """Stop claiming, let in-flight sends finish, give every other claimed row back as pending."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        if self._task is None or self._stop_event is None:
            return
        self._stop_event.set()
        self.wake()
        tasks = [self._task, *self._chat_tasks.values()]
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2)
        held = [row_id for row_id in self._held if row_id not in self._in_flight]
        if held:
            released = await self._db(lambda session: outbox_store.release_claims(
                session, owner=self.owner, message_ids=held
            ))  # fmt: skip
            logger.info("outbox sender gave %d claimed messages back", released)
        self._held.clear()
        self._queues.clear()
        self._chat_tasks.clear()
        self._task = None
        if self._owners is not None:
            self._owners.close()
            self._owners = None
        logger.info(
            "outbox sender %s stopped: %d sent, %d rate-limited, %d retried, %d blocked, %d parked, "
            "%d uncertain",
            self.owner,
            self.stats.sent,
            self.stats.rate_limited,
            self.stats.retried,
            self.stats.blocked,
            self.stats.parked,
            self.stats.uncertain_deliveries,
        )

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until nothing is due or in hand (for tests, the demo and the benchmarks)."""
        deadline = time.monotonic() + timeout
        while True:
            if not self._held:
                due = await self._db(self._due_now)
                if not due and not self._held:
                    return
                self.wake()
            if time.monotonic() > deadline:
                raise TimeoutError("the outbox did not drain")
            await asyncio.sleep(0.05)

    def _due_now(self, session: Any) -> bool:
        next_due = outbox_store.next_due_at(session)
        return next_due is not None and next_due <= self.clock.now()

    # -- the loop ------------------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wakeup is not None and self._stop_event is not None
        failures = 0
        while not self._stop_event.is_set():
            self._wakeup.clear()
            free = self.capacity - len(self._held)
            claimed = 0
            if free > 0:
                try:
                    rows = await self._db(lambda session, free=free: self._claim(session, free))  # type: ignore[misc]
                    failures = 0
                except Exception:
                    failures += 1
                    logger.exception("outbox sender could not claim messages (attempt %d)", failures)
                    await self._sleep(min(30.0, 0.5 * 2**failures))
                    continue
                claimed = len(rows)
                for row in rows:
                    self._take(row)
            if claimed and claimed >= free:
                wait = self.poll_interval  # full: a finishing send wakes us
            else:
                wait = await self._until_next_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=wait)

    async def _until_next_due(self) -> float:
        try:
            next_due = await self._db(outbox_store.next_due_at)
        except Exception:
            return self.poll_interval
        if next_due is None:
            return self.poll_interval
        seconds = (next_due - self.clock.now()).total_seconds()
        return min(self.poll_interval, max(0.01, seconds))

    def _claim(self, session: Any, limit: int) -> list[OutboxMessage]:
        if self._owners is not None and time.monotonic() - self._dead_checked_at > DEAD_OWNER_CHECK_SECONDS:
            self._dead_checked_at = time.monotonic()
            self._owners.release_dead()  # another worker died while we run (PostgreSQL)
        busy = [chat for chat, queue in self._queues.items() if queue]
        return outbox_store.claim_due(
            session,
            owner=self.owner,
            now=self.clock.now(),
            limit=limit,
            stale_after=self.stale_after,
            exclude_chats=busy,
        )

    def _take(self, row: OutboxMessage) -> None:
        assert row.id is not None
        if row.id in self._held:
            return
        self._held[row.id] = row
        self._queues.setdefault(row.chat_id, deque()).append(row)
        task = self._chat_tasks.get(row.chat_id)
        if task is None or task.done():
            self._chat_tasks[row.chat_id] = asyncio.create_task(self._drain_chat(row.chat_id))

    async def _drain_chat(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        try:
            while queue:
                if self._stop_event is not None and self._stop_event.is_set():
                    return  # the rows still held go back to pending in stop()
                row = queue[0]
                assert row.id is not None
                self._in_flight.add(row.id)
                try:
                    outcome = await self._deliver(row)
                finally:
                    self._in_flight.discard(row.id)
                if outcome == "stopped":
                    return
                queue.popleft()
                self._held.pop(row.id, None)
                if outcome == "blocked":
                    for other in queue:  # already stopped in the database
                        self._held.pop(other.id or 0, None)
                    queue.clear()
                if self._wakeup is not None:
                    self._wakeup.set()
        finally:
            if not queue:
                self._queues.pop(chat_id, None)
                if self._chat_tasks.get(chat_id) is asyncio.current_task():
                    self._chat_tasks.pop(chat_id, None)

    async def _sleep(self, seconds: float) -> None:
        if self._stop_event is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), timeout=seconds)

    # -- one delivery --------------------------------------------------------------------------------
    async def _deliver(self, row: OutboxMessage) -> str:
        assert row.id is not None
        row_id = row.id
        try:
            message = await self._call_once(row)
        except NotSent:
            return "stopped"  # stopping while it waited for its turn: nothing was sent, the row goes back
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            self.stats.rate_limited += 1
            logger.warning("429 from Telegram: waiting %.0fs (outbox %d)", seconds, row_id)
            at = self.clock.now() + timedelta(seconds=seconds)
            await self._record(lambda s: outbox_store.reschedule(
                s, message_id=row_id, owner=self.owner, at=at, error="429 retry_after", count_attempt=False
            ))  # fmt: skip
            return "rate_limited"
        except Forbidden:
            self.stats.blocked += 1
            logger.info("outbox %d: the recipient blocked the bot; their queued messages stop", row_id)
            await self._record(lambda s: self._blocked(s, chat_id=row.chat_id))
            return "blocked"
        except TimedOut:
            self.stats.uncertain_deliveries += 1
            if row.uncertain_deliveries == 0 and row.attempts + 1 < self.max_attempts:
                logger.warning("outbox %d: send timed out, delivery unknown; trying once more", row_id)
                at = self.clock.now() + timedelta(seconds=self._backoff(row.attempts + 1))
                await self._record(lambda s: outbox_store.reschedule(
                    s, message_id=row_id, owner=self.owner, at=at, error="timed out (delivery unknown)",
                    count_attempt=True, uncertain=True,
                ))  # fmt: skip
                return "retry"
            logger.warning("outbox %d: send timed out again, delivery unknown; parked", row_id)
            self.stats.parked += 1
            await self._record(lambda s: outbox_store.mark_failed(
                s, message_id=row_id, owner=self.owner, error="timed out twice (delivery unknown)",
                uncertain=True,
            ))  # fmt: skip
            return "parked"
        except (BadRequest, _PayloadError) as exc:
            self._count_error(exc)
            if isinstance(exc, BadRequest) and "chat not found" in str(exc).lower():
                # Nobody can fix this by retrying (they never started the bot): skipped, not parked.
                logger.info(
                    "outbox %d (%s): chat not found (never started the bot); skipped", row_id, row.kind
                )
                await self._record(
                    lambda s: outbox_store.mark_unreachable(s, message_id=row_id, owner=self.owner)
                )
                return "skipped"
            self.stats.parked += 1
            logger.warning("outbox %d (%s) refused: %s; parked", row_id, row.kind, type(exc).__name__)
            error = f"{type(exc).__name__}: {exc}"
            await self._record(
                lambda s: outbox_store.mark_failed(s, message_id=row_id, owner=self.owner, error=error)
            )
            return "parked"
        except (NetworkError, TelegramError) as exc:
            self._count_error(exc)
            error = f"{type(exc).__name__}: {exc}"
            if row.attempts + 1 >= self.max_attempts:
                self.stats.parked += 1
                logger.warning(
                    "outbox %d: %s, attempt %d; parked", row_id, type(exc).__name__, row.attempts + 1
                )
                await self._record(
                    lambda s: outbox_store.mark_failed(s, message_id=row_id, owner=self.owner, error=error)
                )
                return "parked"
            self.stats.retried += 1
            delay = self._backoff(row.attempts + 1)
            logger.info("outbox %d: %s; retrying in %.1fs", row_id, type(exc).__name__, delay)
            at = self.clock.now() + timedelta(seconds=delay)
            await self._record(lambda s: outbox_store.reschedule(
                s, message_id=row_id, owner=self.owner, at=at, error=error, count_attempt=True
            ))  # fmt: skip
            return "retry"
        telegram_id = message.message_id if isinstance(message, Message) else None
        ok = await self._record(lambda s: outbox_store.mark_sent(
            s, message_id=row_id, owner=self.owner, telegram_message_id=telegram_id, now=self.clock.now()
        ))  # fmt: skip
        if not ok:
            self.stats.lost_claims += 1
            logger.warning("outbox %d was sent but our claim had been taken over", row_id)
        now = time.monotonic()
        self.stats.sent += 1
        self.stats.first_sent_at = self.stats.first_sent_at or now
        self.stats.last_sent_at = now
        if self.on_sent is not None:
            try:
                self.on_sent(row)
            except Exception:
                logger.exception("on_sent hook failed for outbox %d", row_id)
        return "sent"

    def _count_error(self, exc: Exception) -> None:
        name = type(exc).__name__
        self.stats.errors[name] = self.stats.errors.get(name, 0) + 1

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter between half and all of the step."""
        step = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempt - 1))
        return step * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security

    async def _call_once(self, row: OutboxMessage) -> Any:
        """`_call`, with a connection lost after the request went out reported as TimedOut.

        PTB raises a plain NetworkError both when the request never left (connection refused) and when the
        answer was lost on the way back (connection dropped, read error). The second may have been
        delivered, exactly like a timeout, so it must not be resent as if it surely failed.
        """
        try:
            return await self._call(row)
        except NetworkError as exc:
            if type(exc) is NetworkError and answer_lost(exc):
                raise TimedOut(f"connection lost after sending ({exc})") from exc
            raise

    def _pace(self) -> dict[str, Any]:
        """The limiter's arguments for our calls: paced, giving way to replies, not retried, stoppable."""
        if getattr(self.bot, "rate_limiter", None) is None:
            return {}
        return {"rate_limit_args": RateLimitArgs(retry=False, background=True, stop=self._stop_event)}

    async def _call(self, row: OutboxMessage) -> Any:
        params = dict(row.payload)
        method = row.method
        pace = self._pace()
        if method == "sendMessage":
            text = params.pop("text", None)
            if not isinstance(text, str):
                raise _PayloadError("no text")
            return await self.bot.send_message(
                chat_id=row.chat_id,
                text=text,
                parse_mode=params.pop("parse_mode", None),
                api_kwargs=params,
                **pace,
            )
        if method in outbox_store.FILE_METHODS:
            kind = outbox_store.FILE_METHODS[method]
            upload = _file_from_payload(kind, params)
            sender = self.bot.send_photo if kind == "photo" else self.bot.send_document
            return await sender(  # type: ignore[operator]
                row.chat_id,
                upload,
                caption=params.pop("caption", None),
                parse_mode=params.pop("parse_mode", None),
                api_kwargs=params,
                **pace,
            )
        return await self.bot.do_api_request(method, api_kwargs={"chat_id": row.chat_id, **params}, **pace)

    async def _db(self, work: Callable[[Any], T]) -> T:
        def run() -> T:
            with session_scope(self.engine) as session:
                return work(session)

        return await asyncio.to_thread(run)

    def _blocked(self, session: Any, *, chat_id: int) -> int:
        """403: tell whoever waits for a relayed message or a reminder to the chat that it will not arrive,
        then stop every row to the chat (`participants.mark_chat_blocked`)."""
        if len(self.blocked_chats) < 100_000:
            self.blocked_chats.add(chat_id)
        return mark_chat_blocked(session, chat_id=chat_id, now=self.clock.now())

    async def _record(self, work: Callable[[Any], T]) -> T | None:
        """Write an outcome; retried a few times, because losing it could mean sending twice."""
        for attempt in range(5):
            try:
                return await self._db(work)
            except Exception:
                logger.exception("could not record an outbox outcome (attempt %d)", attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        return None


class _PayloadError(Exception):
    """The row's payload cannot become a Bot API call (missing text or file)."""


def _file_from_payload(kind: str, params: dict[str, Any]) -> InputFile | str:
    filename = params.pop("filename", None)
    if f"{kind}_b64" in params:
        try:
            data = base64.b64decode(params.pop(f"{kind}_b64"), validate=True)
        except ValueError as exc:
            raise _PayloadError(f"{kind}_b64 is not base64") from exc
        return InputFile(data, filename=filename or kind)
    if f"{kind}_path" in params:
        path = Path(params.pop(f"{kind}_path"))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _PayloadError(f"{kind} file cannot be read") from exc
        return InputFile(data, filename=filename or path.name)
    value = params.pop(kind, None)
    if not isinstance(value, str) or not value:
        raise _PayloadError(f"no {kind} in the payload")
    return value


def _seconds(retry_after: int | timedelta) -> float:
    if isinstance(retry_after, timedelta):
        return max(1.0, retry_after.total_seconds())
    return max(1.0, float(retry_after))
