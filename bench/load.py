"""Load and reliability: many people onboarding at once while a broadcast runs, with faults if asked.

Usage:
  PYTHONPATH=. python bench/load.py [--people 500] [--broadcast 2000] [--faults] [--outage 30]
  PYTHONPATH=. python bench/load.py --people 0 --broadcast 10000 --workers 2 \
      --postgres postgresql://postgres@127.0.0.1:5432/postgres

The bot runs as in production: `python -m bot run` in its own process (plus `--workers` extra
`python -m bot worker` processes, PostgreSQL only), long polling a Bot API stand-in in this process over
HTTP. SQLite by default (a fresh file); `--postgres ADMIN_URL` creates a fresh database there and drops it.

- People: each starts within the first 2 s, sends /start, presses the first button of the newest message
  or answers a question in words, `--steps` times, thinking `--think` seconds between steps. Latency: from
  queueing an update to the bot's first message or edit in that chat.
- Broadcast: `--broadcast` outbox rows to other participants, queued at the start, delivered by the sender.
- `--faults`: to broadcast recipients, 5% of sends answer 5xx and a burst of 429 (retry_after 1 s);
  `--outage S`: the Bot API disappears for S seconds (stand-in stopped, same port) 5 s into the run.

Prints updates/s, p50/p95/max latency, delivery rate, 429s, duplicates, losses, uncertain deliveries.
Not a test: it prints figures for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.standin import ApiCall, BotAPIStandIn, Fault  # noqa: E402
from storage import make_engine, upgrade  # noqa: E402
from storage.db import normalise_url  # noqa: E402
from storage.models import OutboxMessage, Participant  # noqa: E402
from storage.outbox import count_by_state  # noqa: E402
from storage.types import utcnow  # noqa: E402
from tests.botprocess import BotProcess  # noqa: E402

PEOPLE_FROM = 60_000_000
AUDIENCE_FROM = 70_000_000
REPLIES = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument", "sendPhoto"}
ANSWERS = [
    "Marieke de Vries",
    "Techniekcollege Ede",
    "Gastlessen over warmtepompen en stageplekken voor mbo-studenten",
    "Een bedrijf dat leerlingen laat meewerken aan zonnepanelen",
    "energietransitie",
]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Chaos:
    """Faults for broadcast recipients only (people onboarding get normal answers)."""

    def __init__(self, audience: set[int], rng: random.Random) -> None:
        self.audience, self.rng, self.lock = audience, rng, threading.Lock()
        self.sends = 0

    def __call__(self, call: ApiCall) -> Fault | None:
        if call.method != "sendMessage" or call.params.get("chat_id") not in self.audience:
            return None
        with self.lock:
            self.sends += 1
            if 200 <= self.sends < 215:
                return Fault(429, retry_after=1)
            if self.rng.random() < 0.05:
                return Fault(self.rng.choice([500, 502, 503]))
        return None


class People:
    """Acts as people onboarding; one thread scans the stand-in's calls to time the answers."""

    def __init__(self, standin: BotAPIStandIn, count: int, steps: int, think: float, rng: random.Random):
        self.standin, self.steps, self.think, self.rng = standin, steps, think, rng
        self.handles = [standin.person(PEOPLE_FROM + k, f"Deelnemer {k}") for k in range(count)]
        now = time.monotonic()
        self.next_at = [now + rng.uniform(0, 2.0) for _ in range(count)]
        self.step = [0] * count
        self.waiting: dict[int, float] = {}  # chat → when its update was queued
        self.latencies: list[float] = []
        self.unanswered = 0
        self.updates = 0
        self._seen = 0

    def done(self) -> bool:
        return all(step >= self.steps for step in self.step) and not self.waiting

    def tick(self) -> None:
        calls = self.standin.calls
        end = len(calls)
        now = time.monotonic()
        for call in calls[self._seen : end]:
            chat = call.params.get("chat_id")
            if call.method in REPLIES and chat in self.waiting and call.at >= self.waiting[chat]:
                self.latencies.append(call.at - self.waiting.pop(chat))
                index = chat - PEOPLE_FROM
                self.next_at[index] = now + self.rng.uniform(0.5, 1.5) * self.think
        self._seen = end
        for chat, since in list(self.waiting.items()):
            if now - since > 15:  # no visible answer (e.g. a button that only answers the query)
                self.unanswered += 1
                del self.waiting[chat]
                self.next_at[chat - PEOPLE_FROM] = now
        for index, handle in enumerate(self.handles):
            if self.step[index] >= self.steps or handle.user_id in self.waiting or self.next_at[index] > now:
                continue
            self.act(index)

    def act(self, index: int) -> None:
        handle = self.handles[index]
        step = self.step[index]
        self.step[index] += 1
        queued = time.monotonic()
        if step == 0:
            handle.send("/start")
        else:
            last = handle.messages[-1] if handle.messages else None
            buttons = [b for row in (last.buttons if last else []) for b in row if b.get("callback_data")]
            if buttons and self.rng.random() < 0.8:
                self.standin.press(handle.user_id, last, buttons[0]["callback_data"])  # type: ignore[arg-type]
            else:
                handle.send(self.rng.choice(ANSWERS))
        self.updates += 1
        self.waiting[handle.user_id] = queued


def seed_audience(url: str, count: int, standin: BotAPIStandIn) -> list[int]:
    """`count` participants who get the broadcast, and their queued outbox rows."""
    ids = [AUDIENCE_FROM + k for k in range(count)]
    for telegram_id in ids:
        standin.person(telegram_id, f"Publiek {telegram_id}")
    if not ids:
        return ids
    engine = make_engine(url)
    now = utcnow()
    people = [
        {"id": k + 1, "telegram_id": t, "chat_id": t, "name": f"Publiek {t}", "status": "active",
         "language": "nl", "reach": "anywhere", "conversation_data": {}, "created_at": now, "updated_at": now,
         "consent_at": now, "profile_completed_at": now, "unresponsive_reports": 0}
        for k, t in enumerate(ids)
    ]  # fmt: skip
    rows = [
        {"dedupe_key": f"bench:{t}", "chat_id": t, "participant_id": k + 1, "kind": "broadcast",
         "method": "sendMessage", "payload": {"text": "Terugkomdag op <b>10 maart</b>", "parse_mode": "HTML"},
         "priority": 0, "state": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
         "uncertain_deliveries": 0}
        for k, t in enumerate(ids)
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Participant), people)
        conn.execute(insert(OutboxMessage), rows)
    engine.dispose()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between a person's steps")
    parser.add_argument("--broadcast", type=int, default=2000)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--outage", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=0, help="extra `koppelbot worker` processes")
    parser.add_argument("--rate", type=float, default=30.0, help="SEND_RATE_PER_SECOND per process")
    parser.add_argument("--postgres", help="admin URL; a fresh database is created there and dropped")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="koppelbot-load-"))
    admin_url = dbname = None
    if args.postgres:
        admin = make_url(normalise_url(args.postgres))
        admin_url = admin.render_as_string(hide_password=False)
        dbname = f"koppelbot_bench_{secrets.token_hex(4)}"
        with make_engine(admin_url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
        url = admin.set(database=dbname).render_as_string(hide_password=False)
    else:
        if args.workers:
            sys.exit("--workers needs --postgres: SQLite serves one process")
        url = f"sqlite:///{workdir / 'koppelbot.db'}"
    upgrade(url)
    processes: list[BotProcess] = []
    try:
        with BotAPIStandIn() as standin:
            audience = seed_audience(url, args.broadcast, standin)
            if args.faults:
                standin.fault = Chaos(set(audience), rng)
            people = People(standin, args.people, args.steps, args.think, rng)
            env = {
                "TELEGRAM_BOT_TOKEN": standin.token,
                "TELEGRAM_API_BASE_URL": standin.base_url,
                "DATABASE_URL": url,
                "SEND_RATE_PER_SECOND": str(args.rate),
                "SEND_BACKOFF_SECONDS": "0.5",
                "LOG_LEVEL": "WARNING",
            }
            processes.append(BotProcess("run", env=env | {"LOG_LEVEL": "INFO"}, cwd=workdir, name="bot"))
            processes += [
                BotProcess("worker", env=env | {"LOG_LEVEL": "INFO"}, cwd=workdir, name=f"worker{n}")
                for n in range(args.workers)
            ]
            for process in processes:
                process.start()
            for process in processes:
                process.wait_for_output("is ready", timeout=60)
            started = time.monotonic()
            outage_done = args.outage <= 0
            engine = make_engine(url)
            last_check = 0.0
            while True:
                now = time.monotonic()
                if not outage_done and now - started >= 5.0:
                    standin.stop()
                    print(f"Bot API gone for {args.outage:.0f} s", flush=True)
                    time.sleep(args.outage)
                    standin.start()
                    outage_done = True
                people.tick()
                if now - last_check > 1.0:
                    last_check = now
                    with Session(engine) as session:
                        counts = count_by_state(session)
                    pending = counts["pending"] + counts["sending"]
                    if people.done() and pending == 0:
                        break
                    if now - started > 900:
                        print("gave up after 900 s", flush=True)
                        break
                time.sleep(0.005)
            elapsed = time.monotonic() - started
            received = Counter({t: len(standin.bot_messages(t)) for t in audience})
            sends = standin.calls_to("sendMessage")
            broadcast_sends = [c for c in sends if c.params.get("chat_id") in set(audience)]
            first = min((c.at for c in broadcast_sends), default=started)
            last = max((c.at for c in broadcast_sends), default=started)
            status_429 = standin.status_counts.get(429, 0)
        for process in processes:
            process.terminate()
        uncertain = sum(
            int(line.split(", ")[-1].split()[0])
            for process in processes
            for line in process.output.splitlines()
            if "outbox sender" in line and "stopped:" in line
        )
        with Session(engine) as session:
            final = count_by_state(session)
        engine.dispose()
    finally:
        for process in processes:
            process.kill()
        if admin_url and dbname:
            with make_engine(admin_url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))

    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n== load: {args.people} people onboarding ({args.steps} steps), broadcast {args.broadcast}, "
          f"{database}, {1 + args.workers} process(es), faults={'yes' if args.faults else 'no'}, "
          f"outage={args.outage:.0f}s")  # fmt: skip
    print(f"run time                 {elapsed:8.1f} s")
    if args.people:
        lat = [x * 1000 for x in people.latencies]
        print(f"updates                  {people.updates:8d}  ({people.updates / elapsed:.1f}/s)")
        worst = max(lat, default=float("nan"))
        print(f"latency p50/p95/max      {percentile(lat, 0.5):8.0f} / {percentile(lat, 0.95):.0f} / "
              f"{worst:.0f} ms   (answered {len(lat)}, unanswered {people.unanswered})")  # fmt: skip
    if audience:
        delivered = sum(1 for n in received.values() if n >= 1)
        duplicates = sum(n - 1 for n in received.values() if n > 1)
        losses = len(audience) - delivered
        print(f"broadcast delivered      {delivered:8d} / {len(audience)}   "
              f"({delivered / max(last - first, 1e-9):.1f} msg/s)")  # fmt: skip
        print(f"429 answers              {status_429:8d}")
        print(f"duplicates               {duplicates:8d}   (uncertain deliveries counted: {uncertain})")
        print(f"losses                   {losses:8d}   (outbox: {final})")


if __name__ == "__main__":
    main()
