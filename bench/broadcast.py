"""Outbox delivery speed: a broadcast to N participants through the Bot API stand-in with flood limits on.

Usage:  PYTHONPATH=. python bench/broadcast.py [--count 10000] [--rate 30] [--database-url URL]

The stand-in enforces Telegram-like limits (`FloodLimits()`: 30 messages/s overall, ~1/s per chat after a
burst of 3; beyond them it answers 429 with `retry_after`). The real `OutboxSender` (bot/jobs/sender.py)
delivers N queued rows; the script prints the achieved rate (first to last confirmed send), the number of
429 answers and how many rows ended sent. Target: ≥ 95 % of 30 msg/s with fewer than 1 % 429s. The sender
is paced by the bot's one limiter (bot/limiter.py), as in the running bot.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram.ext import ExtBot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.jobs.sender import OutboxSender  # noqa: E402
from bot.limiter import TelegramLimiter  # noqa: E402
from bot.standin import BotAPIStandIn, FloodLimits  # noqa: E402
from storage import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import Participant  # noqa: E402
from storage.outbox import count_by_state, enqueue_many  # noqa: E402

FIRST_CHAT = 50_000_000


def prepare(url: str, standin: BotAPIStandIn, count: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    chats = [FIRST_CHAT + i for i in range(count)]
    for chat in chats:
        standin.person(chat, f"P{chat}")
    with session_scope(engine) as session:
        session.add_all([Participant(telegram_id=chat, chat_id=chat, language="nl") for chat in chats])
    with session_scope(engine) as session:
        enqueue_many(
            session,
            [
                {
                    "dedupe_key": f"bench:{chat}",
                    "chat_id": chat,
                    "kind": "broadcast",
                    "text": "📣 <b>Netwerkmiddag</b>: dank voor je komst! Kijk in /matches wie bij je past.",
                }
                for chat in chats
            ],
        )
    engine.dispose()


async def deliver(url: str, standin: BotAPIStandIn, count: int, rate: float) -> int:
    engine = make_engine(url)
    limiter = TelegramLimiter(rate=rate, chat_interval=1.0)
    bot = ExtBot(
        standin.token,
        base_url=standin.base_url,
        request=HTTPXRequest(connection_pool_size=128),
        rate_limiter=limiter,
    )
    async with bot:
        sender = OutboxSender(bot, engine, capacity=int(rate * 4))
        started = time.perf_counter()
        await sender.start()
        last_report = started
        while True:
            await asyncio.sleep(0.5)
            done = sender.stats.sent + sender.stats.parked + sender.stats.blocked
            if time.perf_counter() - last_report > 30:
                last_report = time.perf_counter()
                print(f"  … {done} of {count} after {last_report - started:.0f}s", flush=True)
            if done >= count:
                break
        elapsed = time.perf_counter() - started
        await sender.stop()
    with session_scope(engine) as session:
        states = count_by_state(session)
    engine.dispose()
    stats = sender.stats
    too_many = standin.status_counts.get(429, 0)
    achieved = stats.rate()
    print(
        f"messages: {count}, sent: {states['sent']}, parked: {states['parked']}, pending: {states['pending']}"
    )
    print(f"wall time: {elapsed:.1f} s (from start to last confirmation)")
    print(f"achieved rate: {achieved:.2f} msg/s ({100 * achieved / 30:.1f} % of 30 msg/s)")
    print(f"429 answers: {too_many} ({100 * too_many / max(count, 1):.2f} %)")
    print(f"retried (5xx/network): {stats.retried}, uncertain: {stats.uncertain_deliveries}")
    return 0 if states["sent"] == count else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="participants (messages), default 10000")
    parser.add_argument("--rate", type=float, default=30.0, help="SEND_RATE_PER_SECOND, default 30")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, BotAPIStandIn(limits=FloodLimits()) as standin:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        prepare(url, standin, args.count)
        print(
            f"prepared {args.count} participants and queued messages in {time.perf_counter() - started:.1f} s"
        )
        return asyncio.run(deliver(url, standin, args.count, args.rate))


if __name__ == "__main__":
    raise SystemExit(main())
