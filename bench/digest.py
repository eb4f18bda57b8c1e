"""Digest generation for N participants: build the matcher, pair everyone for the week, queue the messages.

Usage:  PYTHONPATH=. python bench/digest.py [--count 10000] [--database-url URL] [--seed 7]

Participants are the synthetic profiles of bench/matching.py (3 offers, 3 needs, 4 themes each), stored
as real rows. The script times `bot.services.digest.run_digest` for a Monday 09:00 (everything in one
transaction: loading profiles, `Matcher.weekly`, recording the suggestions, rendering and enqueueing every
person's messages, silence notes) and prints what it produced. Target: 10,000 participants in ≤ 30 s.

It then runs the next week's digest too (new pairs plus reminders of last week's unanswered suggestions)
and prints, for both weeks, the Telegram messages queued: in total, per recipient and per participant.
At Telegram's ~30 messages/s the total decides how long a digest takes to go out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.services.digest import run_digest  # noqa: E402
from bot.settings import Settings  # noqa: E402
from matching import parse_region, parse_role  # noqa: E402
from storage import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import ItemKind, Participant, ProfileItem  # noqa: E402

MONDAY_9 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def _synthetic(count: int, seed: int) -> list[dict[str, object]]:
    spec = importlib.util.spec_from_file_location("bench_matching", Path(__file__).with_name("matching.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.synthetic_profiles(count, seed=seed))


def prepare(url: str, count: int, seed: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    completed = MONDAY_9 - dt.timedelta(days=30)
    profiles = _synthetic(count, seed)
    with session_scope(engine) as session:
        people = [
            Participant(
                telegram_id=60_000_000 + i,
                chat_id=60_000_000 + i,
                name=f"Deelnemer {i}",
                organisation=str(p["organisation"]),
                role=parse_role(str(p["role"])),
                region=parse_region(str(p["region"])),
                language="nl",
                consent_at=completed,
                profile_completed_at=completed,
                created_at=completed,
                updated_at=completed,
            )
            for i, p in enumerate(profiles)
        ]
        session.add_all(people)
        session.flush()
        items = []
        for person, profile in zip(people, profiles, strict=True):
            for kind, key in (
                (ItemKind.OFFER, "offers"),
                (ItemKind.NEED, "needs"),
                (ItemKind.THEME, "themes"),
            ):
                for position, text in enumerate(profile[key]):  # type: ignore[arg-type]
                    items.append(
                        ProfileItem(
                            participant_id=person.id, kind=kind, text=text, normalised=text, position=position
                        )
                    )
        session.add_all(items)
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="participants, default 10000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        prepare(url, args.count, args.seed)
        print(f"prepared {args.count} participants in {time.perf_counter() - started:.1f} s")
        engine = make_engine(url)
        started, cpu = time.perf_counter(), time.process_time()
        report = run_digest(engine, settings=settings, now=MONDAY_9)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        again = time.perf_counter()
        second = run_digest(engine, settings=settings, now=MONDAY_9 + dt.timedelta(hours=1))
        again = time.perf_counter() - again
        next_week = run_digest(engine, settings=settings, now=MONDAY_9 + dt.timedelta(days=7))
        engine.dispose()
    print(
        f"digest for {args.count} participants: {elapsed:.1f} s wall, {cpu:.1f} s CPU "
        f"(matcher build + weekly pairing {report.match_seconds:.1f} s wall)"
    )
    print(
        f"  recipients {report.recipients}, new pairs {report.new_suggestions}, "
        f"reminders {report.reminders}, silence notes {report.silence_notices}, "
        f"messages queued {report.messages}"
    )
    print(f"second run in the same week: ran={second.ran}, {again:.2f} s")
    for label, run in (("week 1", report), ("week 2", next_week)):
        per_recipient = run.messages / run.recipients if run.recipients else 0.0
        print(
            f"  {label}: {run.messages} messages for {args.count} people "
            f"({run.recipients} recipients, {run.reminders} reminders): "
            f"{per_recipient:.2f} messages/recipient, {run.messages / args.count:.2f} messages/person, "
            f"{run.messages / 30 / 60:.1f} min at 30 msg/s"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
