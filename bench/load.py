"""Load and reliability: many people onboarding at once while a broadcast runs, with faults if asked.

Usage:
  PYTHONPATH=. python bench/load.py [--people 500] [--spread 2] [--broadcast 2000] [--faults] [--outage 30]
  PYTHONPATH=. python bench/load.py --people 300 --spread 120 --broadcast 0    # docs/benchmarks.md
  PYTHONPATH=. python bench/load.py --people 0 --broadcast 10000 --workers 2 \
      --postgres postgresql://postgres@127.0.0.1:5432/postgres

The bot runs as in production: `python -m bot run` in its own process (plus `--workers` extra
`python -m bot worker` processes, PostgreSQL only), long polling a Bot API stand-in in this process over
HTTP. SQLite by default (a fresh file); `--postgres ADMIN_URL` creates a fresh database there and drops it.
The stand-in enforces Telegram's flood limits (30 messages/s overall, ~1/s per chat after a burst of 3;
429 beyond them) unless `--no-limits`.

- People: each starts within the first `--spread` seconds, sends /start, presses the first button of the
  newest message or answers a question in words, `--steps` times, thinking `--think` seconds between
  steps. Latency: from queueing an update to the bot's first message or edit in that chat that the Bot
  API accepted.
- Broadcast: `--broadcast` outbox rows to other participants, queued at the start, delivered by the sender.
- `--faults`: to broadcast recipients, 5% of sends answer 5xx and a burst of 429 (retry_after 1 s);
  `--outage S`: the Bot API disappears for S seconds (stand-in stopped, same port) 5 s into the run.

Prints updates/s, p50/p95/max latency, delivery rate, 429s, duplicates, losses, uncertain deliveries, and
for the people:
- replies lost: calls to a person's chat that Telegram refused (429, 5xx, ...) and the bot never made
  again successfully; people stuck: people with a step that got no visible answer within 15 s.
- the first and the complete reply's latency (every message and edit until the person's next step),
  against their floor: what a bot needing no time at all would reach with the same messages under the
  stand-in's limits (each message ready when its person's update was queued, sent as early as the
  overall and per-chat buckets allow, replies before the broadcast; edits and button answers unlimited).
Not a test: it prints figures for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bot.limiter import is_paced  # noqa: E402
from bot.standin import ApiCall, BotAPIStandIn, Fault, FloodLimits  # noqa: E402
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


class RecordingStandIn(BotAPIStandIn):
    """The stand-in, remembering the answer to every call (to find replies refused and never repeated)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outcomes: list[tuple[str, object, str, int, float]] = []  # method, chat, params, status, at

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        at = time.monotonic()
        status, body = super().handle(method, params)
        key = json.dumps(
            {k: v for k, v in params.items() if isinstance(v, str | int | dict | list)}, sort_keys=True
        )
        with self._cond:
            self.outcomes.append((method, params.get("chat_id"), key, status, at))
        return status, body


def replies_lost(standin: RecordingStandIn, chats: set[int]) -> int:
    """Calls to `chats` refused for Telegram's reasons (429, 5xx) and never made again with success.

    (A 400 such as "message is not modified" is the bot's own expected refusal, not a lost reply.)
    """
    refused: Counter[tuple[str, str]] = Counter()
    for method, chat, key, status, _at in standin.outcomes:
        if chat not in chats or method == "getUpdates":
            continue
        if status == 200:
            if refused[(method, key)]:
                refused[(method, key)] -= 1
        elif status == 429 or status >= 500:
            refused[(method, key)] += 1
    return sum(refused.values())


class _Bucket:
    """A token bucket serving in order, never back in time (the stand-in's rule), for the floor."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.stamp: float | None = None

    def _tokens_at(self, now: float) -> float:
        if self.stamp is None:
            return self.burst
        return min(self.burst, self.tokens + (now - self.stamp) * self.rate)

    def earliest(self, ready: float) -> float:
        now = ready if self.stamp is None else max(ready, self.stamp)
        tokens = self._tokens_at(now)
        return now if tokens >= 1 else now + (1 - tokens) / self.rate

    def take(self, at: float) -> None:
        self.tokens, self.stamp = self._tokens_at(at) - 1, at


def reply_latencies(
    standin: RecordingStandIn, answers: list[tuple[int, float, float, str]], limits: FloodLimits
) -> dict[str, list[float]]:
    """Per answered update: the first and the complete reply, as measured and as the floor allows.

    A reply is every message or edit to the person's chat from their update until their next one. The
    floor schedules the same new messages as early as the stand-in's limits allow (overall and per chat,
    in the order they became ready, each ready when its update was queued) for a bot that needs no time;
    edits and button answers are not limited, so they cost the floor nothing.
    """
    queued_at: dict[int, list[float]] = {}
    for chat, queued, _first_at, _method in answers:
        queued_at.setdefault(chat, []).append(queued)
    for times in queued_at.values():
        times.sort()

    def update_of(chat: object, at: float) -> float | None:
        if not isinstance(chat, int) or chat not in queued_at:
            return None
        earlier = [queued for queued in queued_at[chat] if queued <= at]
        return earlier[-1] if earlier else None

    complete: dict[tuple[int, float], float] = {}
    demand: list[tuple[float, float, int]] = []  # (ready, when it was really sent, chat)
    for method, chat, _key, status, at in standin.outcomes:
        if status != 200 or method not in REPLIES:
            continue
        ready = update_of(chat, at)
        if ready is None:
            continue
        key = (int(chat), ready)  # type: ignore[call-overload]
        complete[key] = max(complete.get(key, at), at)
        if is_paced(method):
            demand.append((ready, at, int(chat)))  # type: ignore[call-overload]
    # First each chat's own pace (in the order its messages became ready), then the overall budget in the
    # order those times come: a lower bound a real scheduler cannot beat.
    demand.sort()
    chats: dict[int, _Bucket] = {}
    at_chat: list[tuple[float, float, int]] = []  # (the chat allows it at, ready, chat)
    for ready, _actual, chat in demand:
        bucket = chats.setdefault(chat, _Bucket(limits.per_chat_per_second, limits.per_chat_burst))
        at = bucket.earliest(ready)
        bucket.take(at)
        at_chat.append((at, ready, chat))
    at_chat.sort()
    overall = _Bucket(limits.per_second, limits.burst)
    floor_first: dict[tuple[int, float], float] = {}
    floor_last: dict[tuple[int, float], float] = {}
    for allowed, ready, chat in at_chat:
        at = overall.earliest(allowed)
        overall.take(at)
        floor_first[(chat, ready)] = min(floor_first.get((chat, ready), at), at)
        floor_last[(chat, ready)] = max(floor_last.get((chat, ready), at), at)
    result: dict[str, list[float]] = {"first": [], "complete": [], "first floor": [], "complete floor": []}
    for chat, queued, first_at, method in answers:
        key = (chat, queued)
        result["first"].append(first_at - queued)
        result["complete"].append(complete.get(key, first_at) - queued)
        result["first floor"].append(floor_first.get(key, queued) - queued if is_paced(method) else 0.0)
        result["complete floor"].append(floor_last.get(key, queued) - queued)
    return result


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
    """Acts as people onboarding; one thread scans the stand-in's answered calls to time the replies."""

    def __init__(
        self,
        standin: RecordingStandIn,
        count: int,
        steps: int,
        think: float,
        spread: float,
        rng: random.Random,
    ):
        self.standin, self.steps, self.think, self.rng = standin, steps, think, rng
        self.handles = [standin.person(PEOPLE_FROM + k, f"Deelnemer {k}") for k in range(count)]
        now = time.monotonic()
        self.next_at = [now + rng.uniform(0, spread) for _ in range(count)]
        self.step = [0] * count
        self.waiting: dict[int, float] = {}  # chat → when its update was queued
        self.answers: list[tuple[int, float, float, str]] = []  # chat, queued, first reply at, its method
        self.unanswered = 0
        self.stuck: set[int] = set()  # people with a step that got no visible answer
        self.updates = 0
        self._seen = 0

    @property
    def latencies(self) -> list[float]:
        return [first - queued for _chat, queued, first, _method in self.answers]

    def done(self) -> bool:
        return all(step >= self.steps for step in self.step) and not self.waiting

    def tick(self) -> None:
        outcomes = self.standin.outcomes
        end = len(outcomes)
        now = time.monotonic()
        for method, chat, _key, status, at in outcomes[self._seen : end]:
            if status == 200 and method in REPLIES and chat in self.waiting and at >= self.waiting[chat]:
                queued = self.waiting.pop(chat)  # type: ignore[arg-type]
                self.answers.append((chat, queued, at, method))  # type: ignore[arg-type]
                self.next_at[chat - PEOPLE_FROM] = now + self.rng.uniform(0.5, 1.5) * self.think  # type: ignore[operator]
        self._seen = end
        for chat, since in list(self.waiting.items()):
            if now - since > 15:  # no visible answer (e.g. a button that only answers the query)
                self.unanswered += 1
                self.stuck.add(chat)
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
    parser.add_argument("--spread", type=float, default=2.0, help="seconds over which people start")
    parser.add_argument("--no-limits", action="store_true", help="the stand-in without Telegram's limits")
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
        limits = None if args.no_limits else FloodLimits()
        with RecordingStandIn(limits=limits) as standin:
            audience = seed_audience(url, args.broadcast, standin)
            if args.faults:
                standin.fault = Chaos(set(audience), rng)
            people = People(standin, args.people, args.steps, args.think, args.spread, rng)
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
            chats = {handle.user_id for handle in people.handles}
            lost = replies_lost(standin, chats)
            latencies = reply_latencies(standin, people.answers, limits or FloodLimits())
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
          f"outage={args.outage:.0f}s, Telegram's limits {'off' if args.no_limits else 'on'}, "
          f"people start within {args.spread:.0f} s")  # fmt: skip
    print(f"run time                 {elapsed:8.1f} s")
    if args.people:
        lat = [x * 1000 for x in people.latencies]
        print(f"updates                  {people.updates:8d}  ({people.updates / elapsed:.1f}/s)")
        worst = max(lat, default=float("nan"))
        print(f"latency p50/p95/max      {percentile(lat, 0.5):8.0f} / {percentile(lat, 0.95):.0f} / "
              f"{worst:.0f} ms   (answered {len(lat)}, unanswered {people.unanswered})")  # fmt: skip
        for what in ("first", "complete"):
            measured = [x * 1000 for x in latencies[what]]
            floor = [x * 1000 for x in latencies[f"{what} floor"]]
            p50, p95 = percentile(measured, 0.5), percentile(measured, 0.95)
            print(f"{what + ' reply p50/p95':<25}{p50:8.0f} / {p95:.0f} ms   "
                  f"floor {percentile(floor, 0.5):.0f} / {percentile(floor, 0.95):.0f} ms")  # fmt: skip
        print(f"replies lost             {lost:8d}   (refused and never sent again)")
        print(f"people stuck             {len(people.stuck):8d} / {args.people}   "
              f"({100 * len(people.stuck) / args.people:.1f} %, a step not answered)")  # fmt: skip
        print(f"429 answers (all chats)  {status_429:8d}")
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
