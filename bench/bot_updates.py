"""Updates per second, handling latency and memory of the bot with 10,000 participants stored.

Usage:  PYTHONPATH=. python bench/bot_updates.py [--participants 10000] [--burst 3000] [--rate 100]
                                                 [--seconds 20]

The bot runs as in production: `python -m bot run` in its own process, long polling a Bot API stand-in
(bench process) over HTTP, on a real SQLite file seeded with N participants who finished onboarding. The
updates are what participants send most: /profile, /help, /matches (the matcher, cached), and editing a
field (a button press, then the new text).

Figures printed:
- throughput: a burst of updates queued at once; updates handled per second until every one was answered;
- latency at a fixed offered rate (default 100 updates/s): from queueing an update to the bot's first
  message to that chat, p50/p95/p99/max;
- memory: the bot process's resident set size (VmRSS, and VmHWM = the peak) after the runs.
Not a test: it prints figures for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

import matching  # noqa: E402
from bot.standin import BotAPIStandIn  # noqa: E402
from storage import make_engine, upgrade  # noqa: E402
from storage.models import Participant, ProfileItem  # noqa: E402
from storage.types import utcnow  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIRST_ID = 50_000_000
PROFILE = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
REPLIES = {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument"}
WORDS = (
    "gastles warmtepomp stage stageplek installatietechniek zonnepanelen techniek energietransitie "
    "bedrijfsbezoek lesmateriaal robotica programmeren voeding bouw laswerk elektrotechniek docentstage "
    "loopbaanoriëntatie praktijkopdracht duurzaamheid waterstof mobiliteit zorgtechniek ict data drones "
    "metaal hout excursie leerlingen studenten techniekles vakmanschap procestechniek automatisering"
).split()


def seed(url: str, count: int, rng: random.Random) -> None:
    """`count` participants with finished profiles, inserted in bulk."""
    engine = make_engine(url)
    now = utcnow()
    normalised: dict[str, str] = {}

    def phrase() -> str:
        text = " ".join(rng.sample(WORDS, 3))
        if text not in normalised:
            normalised[text] = matching.normalise_phrase(text)
        return text

    people = []
    items = []
    for k in range(count):
        pid = k + 1
        people.append(
            {
                "id": pid,
                "telegram_id": FIRST_ID + k,
                "chat_id": FIRST_ID + k,
                "username": f"user{k}" if k % 3 else None,
                "name": f"Deelnemer {k}",
                "organisation": f"Organisatie {k // 3}",
                "role": rng.choice(matching.ROLES),
                "region": rng.choice(matching.REGIONS),
                "reach": rng.choice(matching.REACHES),
                "language": "nl" if k % 5 else "en",
                "status": "active",
                "consent_at": now,
                "profile_completed_at": now,
                "conversation_data": {},
                "created_at": now,
                "updated_at": now,
            }
        )
        position = 0
        for kind, n in (("offer", 2), ("need", 2), ("theme", 1)):
            for _ in range(n):
                text = phrase() if kind != "theme" else rng.choice(WORDS)
                items.append(
                    {
                        "participant_id": pid,
                        "kind": kind,
                        "text": text,
                        "normalised": normalised.get(text, text),
                        "position": position,
                        "created_at": now,
                    }
                )
                position += 1
    with engine.begin() as conn:
        conn.execute(insert(Participant), people)
        conn.execute(insert(ProfileItem), items)
    engine.dispose()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


class Driver:
    """Acts as many participants against the stand-in and times the bot's answers."""

    def __init__(self, standin: BotAPIStandIn, count: int, rng: random.Random) -> None:
        self.standin = standin
        self.rng = rng
        self.people = [standin.person(FIRST_ID + k, f"Deelnemer {k}") for k in range(count)]
        self.edit_pending: set[int] = set()

        self._seen = 0
        self.replies = 0
        self.reply_times: dict[int, list[float]] = {}

    def scan(self) -> int:
        """Read the stand-in's new calls (only those since the last scan); returns the replies so far."""
        calls = self.standin.calls  # appended under the stand-in's lock; reading a prefix is safe
        end = len(calls)
        for call in calls[self._seen : end]:
            if call.method in REPLIES:
                self.replies += 1
                self.reply_times.setdefault(call.params.get("chat_id"), []).append(call.at)  # type: ignore[arg-type]
        self._seen = end
        return self.replies

    def first_reply_after(self, chat_id: int, since: float) -> float | None:
        return next((at for at in self.reply_times.get(chat_id, []) if at >= since), None)

    def one_update(self, person_index: int) -> Callable[[], int]:
        """Queue one update for this person (the kind drawn from the mix); returns its chat id."""
        person = self.people[person_index]
        roll = self.rng.random()
        if person.user_id in self.edit_pending:
            self.edit_pending.discard(person.user_id)
            person.send(f"Nieuwe organisatie {self.rng.randrange(10**6)}")
        elif roll < 0.35:
            person.send("/profile")
        elif roll < 0.55:
            person.send("/help")
        elif roll < 0.80:
            person.send("/matches")
        else:
            message = self._profile_message(person)
            if message is None:
                person.send("/profile")
            else:
                self.standin.press(person.user_id, message, "pf:ed:organisation")
                self.edit_pending.add(person.user_id)
        return person.user_id  # type: ignore[return-value]

    def _profile_message(self, person):  # type: ignore[no-untyped-def]
        for message in reversed(person.messages):
            if message.buttons:
                return message
        return None


def wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    """Poll `predicate` every 20 ms."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer in time")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    workdir = Path(tempfile.mkdtemp(prefix="koppelbot-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    started = time.perf_counter()
    seed(url, args.participants, rng)
    print(f"seeded {args.participants} participants in {time.perf_counter() - started:.1f}s ({url})")

    with BotAPIStandIn() as standin:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(ROOT),
            TELEGRAM_BOT_TOKEN=standin.token,
            TELEGRAM_API_BASE_URL=standin.base_url,
            DATABASE_URL=url,
            LOG_LEVEL="WARNING",
        )
        bot = subprocess.Popen(
            [sys.executable, *PROFILE, "-m", "bot", "run"], cwd=workdir, env=env, stdout=subprocess.DEVNULL
        )
        try:
            wait_for(lambda: bool(standin.calls_to("setMyCommands")), 60)
            people = min(args.participants, max(args.burst, int(args.rate * args.seconds)) + 10)
            driver = Driver(standin, people, rng)
            print(f"bot process {bot.pid} up; RSS after start: {rss_kb(bot.pid)[0] / 1024:.0f} MB")

            # Warm up: the first /matches builds the matcher over every profile.
            warm = time.perf_counter()
            driver.people[0].send("/matches")
            wait_for(lambda: bool(standin.bot_messages(driver.people[0].user_id)), 120)
            print(f"first /matches (builds the matcher over {args.participants}): "
                  f"{time.perf_counter() - warm:.2f}s")  # fmt: skip
            for person in driver.people[1:50]:
                person.send("/profile")
            wait_for(lambda: all(standin.bot_messages(p.user_id) for p in driver.people[1:50]), 60)

            # Throughput: a burst of updates queued at once.
            before = driver.scan()
            bot_cpu, own_cpu = cpu_seconds(bot.pid), time.process_time()
            queued_at = time.monotonic()
            for k in range(args.burst):
                driver.one_update(k % len(driver.people))
            wait_for(lambda: standin.pending_updates() == 0, 300)
            wait_for(lambda: driver.scan() - before >= args.burst, 300)
            elapsed = time.monotonic() - queued_at
            used = cpu_seconds(bot.pid) - bot_cpu
            print(
                f"throughput: {args.burst} updates in {elapsed:.2f}s = {args.burst / elapsed:.0f} updates/s"
            )
            print(
                f"  CPU during the burst: bot {used:.1f}s ({used / args.burst * 1000:.1f} ms per update), "
                f"stand-in and driver {time.process_time() - own_cpu:.1f}s; "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            time.sleep(1.0)

            # Latency at a fixed offered rate: each update goes to a person with nothing outstanding.
            total = int(args.rate * args.seconds)
            order = list(range(len(driver.people)))
            rng.shuffle(order)
            sent: list[tuple[int, float]] = []
            interval = 1.0 / args.rate
            start = time.monotonic()
            for k in range(total):
                due = start + k * interval
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                index = order[k % len(order)]
                at = time.monotonic()
                chat = driver.one_update(index)
                sent.append((chat, at))
            offered = total / (time.monotonic() - start)
            time.sleep(2.0)
            wait_for(lambda: standin.pending_updates() == 0, 120)
            driver.scan()
            latencies = []
            for chat, at in sent:
                answered = driver.first_reply_after(chat, at)
                if answered is not None:
                    latencies.append((answered - at) * 1000)
            latencies.sort()

            def pct(p: float) -> float:
                return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

            print(
                f"latency at {offered:.0f} updates/s offered ({len(latencies)}/{total} answered): "
                f"p50 {pct(0.50):.1f} ms, p95 {pct(0.95):.1f} ms, p99 {pct(0.99):.1f} ms, "
                f"max {latencies[-1]:.1f} ms, mean {statistics.fmean(latencies):.1f} ms"
            )
            rss, peak = rss_kb(bot.pid)
            print(f"bot memory with {args.participants} participants: RSS {rss / 1024:.0f} MB "
                  f"(peak {peak / 1024:.0f} MB)")  # fmt: skip
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=20)
            except subprocess.TimeoutExpired:
                bot.kill()


if __name__ == "__main__":
    main()
