"""How updates are processed: concurrently across people, one at a time and in order per person, once each.

PTB hands every update to an update processor; this one adds three guarantees around the handlers:

1. **Once.** An update whose id was handled before (Telegram redelivers after a lost acknowledgement, a
   crash, or a second webhook process got it) is skipped. The id is recorded in `processed_update` after
   the handlers ran, so an update cut off by a crash is handled again rather than lost.
2. **Per person, one at a time, in arrival order.** Updates of one person (or one chat without a person)
   wait for each other on an asyncio lock (FIFO, so in the order this process received them). On PostgreSQL
   a session-level advisory lock per person extends this across processes: two webhook processes never
   handle the same person's updates at the same time.
3. **Concurrent across people.** Up to `max_concurrent_updates` different people are served at once, so one
   slow Bot API call does not hold everybody up.
4. **No floods.** Before any of that, a person's update passes the flood guard (bot/flood.py): beyond a
   burst it is dropped at once, without waiting for the person's turn; the first one dropped sends one short
   notice. Dropped updates are recorded as handled, so nothing is replayed. Updates already waiting for
   the person's turn when a flood starts are dropped too.

Ordering across processes is as good as delivery: Telegram sends a chat's updates in update_id order; when
two land on different processes at the same moment the advisory lock serialises them, and an update that is
overtaken is still handled (never dropped), and counted in `overtaken` (see docs/operations.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from bot import metrics
from bot.flood import FloodGuard, Verdict
from bot.limiter import NotSent
from bot.services import db
from bot.texts import language_for, t
from storage.locks import AdvisoryLocks, lock_key
from storage.updates import prune_processed_updates, record_processed, was_processed

__all__ = ["PersonOrderedProcessor", "person_key"]

logger = logging.getLogger(__name__)

PRUNE_EVERY = 1000
SLOW_LOCK_WARNING_SECONDS = 5.0


def person_key(update: object) -> int | None:
    """Whose update this is: the Telegram user, else the chat; None when neither is known."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PersonOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across people, serial per person (across processes on PostgreSQL), each update once."""

    def __init__(
        self, engine: Engine, *, max_concurrent_updates: int = 32, flood: FloodGuard | None = None
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.engine = engine
        self.flood = flood
        self._dropped: list[tuple[int, asyncio.Future[None]]] = []
        self._recorder: asyncio.Future[None] | None = None
        self._local: dict[int, tuple[asyncio.Lock, int]] = {}
        self._advisory: AdvisoryLocks | None = None
        self._max_seen: dict[int, int] = {}
        self.handled = 0
        self.replayed = 0
        self.overtaken = 0

    async def initialize(self) -> None:
        """Open the advisory-lock connection on PostgreSQL."""
        if self.engine.dialect.name == "postgresql" and self._advisory is None:
            self._advisory = AdvisoryLocks(self.engine)

    async def shutdown(self) -> None:
        """Close the advisory-lock connection (PostgreSQL releases its locks)."""
        if self._advisory is not None:
            self._advisory.close()
            self._advisory = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the handlers for `update` under the person's lock, unless it was handled before."""
        if not isinstance(update, Update):
            await coroutine
            return
        key = person_key(update)
        if self.flood is not None and key is not None:
            verdict = self.flood.check(key)
            if verdict is not Verdict.HANDLE:
                if verdict is Verdict.NOTIFY:
                    logger.warning(
                        "flood: a person sent too many updates at once; dropping them from update %s on "
                        "until they slow down",
                        update.update_id,
                    )
                    await _slow_down(update)
                await self._drop(update, coroutine)
                return
        received = time.perf_counter()
        async with self._person(key):
            update_id = update.update_id
            if self.flood is not None and key is not None and self.flood.flooding(key):
                await self._drop(update, coroutine)  # admitted before the flood began, dropped with the rest
                return
            if await db.run(self.engine, lambda session: was_processed(session, update_id=update_id)):
                self.replayed += 1
                metrics.UPDATES_REPLAYED.inc()
                logger.info("update %s was handled before; skipped", update_id)
                if isinstance(coroutine, Coroutine):
                    coroutine.close()
                return
            if key is not None:
                if update_id < self._max_seen.get(key, 0):
                    self.overtaken += 1
                    logger.info("update %s arrived after a newer one of the same person", update_id)
                self._max_seen[key] = max(update_id, self._max_seen.get(key, 0))
            await coroutine
            self.handled += 1
            metrics.UPDATES_HANDLED.inc()
            metrics.UPDATE_SECONDS.observe(time.perf_counter() - received)
            prune = self.handled % PRUNE_EVERY == 0

            def record(session: Any) -> None:
                record_processed(session, update_id=update_id)
                if prune:
                    prune_processed_updates(session)

            await db.run(self.engine, record)

    async def _drop(self, update: Update, coroutine: Awaitable[Any]) -> None:
        """Leave an update unhandled, but record it as handled so that it is never replayed.

        A flood drops hundreds at once: they are recorded together, in one transaction off the event loop,
        so that neither the loop nor the database is busy with them while others wait.
        """
        if isinstance(coroutine, Coroutine):
            coroutine.close()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._dropped.append((update.update_id, done))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.ensure_future(self._record_dropped())
        await done

    async def _record_dropped(self) -> None:
        await asyncio.sleep(0)  # the rest of the burst joins this batch
        while self._dropped:
            batch, self._dropped = self._dropped, []
            ids = [update_id for update_id, _done in batch]

            def record(session: Any, ids: list[int] = ids) -> None:
                for update_id in ids:
                    record_processed(session, update_id=update_id)

            try:
                await db.run(self.engine, record)
            except Exception as exc:  # the updates stay unconfirmed: redelivered, dropped or handled again
                for _update_id, done in batch:
                    done.set_exception(exc)
            else:
                for _update_id, done in batch:
                    done.set_result(None)

    @asynccontextmanager
    async def _person(self, key: int | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        lock, users = self._local.get(key) or (asyncio.Lock(), 0)
        self._local[key] = (lock, users + 1)
        try:
            async with lock:
                if self._advisory is None:
                    yield
                else:
                    async with self._across_processes(lock_key("person", key)):
                        yield
        finally:
            lock, users = self._local[key]
            if users <= 1:
                del self._local[key]
                if len(self._max_seen) > 100_000:  # bound the memory; only a detector, not a guarantee
                    self._max_seen.clear()
            else:
                self._local[key] = (lock, users - 1)

    @asynccontextmanager
    async def _across_processes(self, key: int) -> AsyncIterator[None]:
        assert self._advisory is not None
        started = time.monotonic()
        delay = 0.002
        warned = False
        while not self._advisory.try_lock(key):
            if not warned and time.monotonic() - started > SLOW_LOCK_WARNING_SECONDS:
                logger.warning(
                    "waited %.0fs for another process to finish a person's update", SLOW_LOCK_WARNING_SECONDS
                )
                warned = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            self._advisory.unlock(key)


async def _slow_down(update: Update) -> None:
    """The one short notice of a flood episode, in the person's Telegram language (no database work)."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    language = language_for(update.effective_user.language_code if update.effective_user else None)
    try:
        await chat.send_message(t(language, "common.slow_down"))
    except (TelegramError, NotSent) as exc:
        logger.info("could not send the slow-down notice: %s", type(exc).__name__)
