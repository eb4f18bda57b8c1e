"""The retention pass and the erasure path at event scale.

Usage: python bench/retention.py [--people 10000] [--database-url URL]   (default: a temporary SQLite file)
Prints one line per step with its wall-clock time: the daily pass as a dry run, the real pass (warnings for a
tenth of the people, erasure of another tenth, each erased person with items and outbox rows), one /delete
(erase_participants: rows, then the file scrub), and recording activity for every person once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bot.services.retention import months_before, run_retention  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import OutboxMessage, Participant, ProfileItem  # noqa: E402
from storage.privacy import erase_participants  # noqa: E402
from storage.retention import record_activity  # noqa: E402

NOW = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


def timed(label: str, work):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = work()
    print(f"{label:<58} {time.perf_counter() - start:8.3f} s")
    return result


def seed(engine, people: int) -> None:  # type: ignore[no-untyped-def]
    warn_at = months_before(NOW, 11) - dt.timedelta(days=1)
    erase_at = months_before(NOW, 13)
    rows = []
    for k in range(people):
        seen = warn_at if k % 10 == 1 else erase_at if k % 10 == 2 else NOW - dt.timedelta(days=k % 200)
        rows.append(
            {"telegram_id": 10_000 + k, "chat_id": 10_000 + k, "name": f"Persoon {k}", "organisation": "Org",
             "language": "nl", "reach": "anywhere", "status": "active", "conversation_data": {},
             "unresponsive_reports": 0, "consent_at": seen - dt.timedelta(days=30), "last_seen_at": seen,
             "retention_warned_at": NOW - dt.timedelta(days=31) if k % 10 == 2 else None,
             "created_at": seen - dt.timedelta(days=30), "updated_at": seen}
        )  # fmt: skip
    with session_scope(engine) as session:
        session.execute(insert(Participant), rows)
        ids = list(session.exec(select(Participant.id)).all())
        session.execute(
            insert(ProfileItem),
            [{"participant_id": pid, "kind": "offer", "text": f"gastles {pid}", "normalised": "gastles",
              "position": 0, "created_at": NOW} for pid in ids],
        )  # fmt: skip
        session.execute(
            insert(OutboxMessage),
            [{"dedupe_key": f"digest:{pid}:2026-W01", "participant_id": pid, "chat_id": 10_000 + i,
              "kind": "digest", "method": "sendMessage", "payload": {"text": "x" * 300}, "priority": 0,
              "state": "sent", "attempts": 1, "next_attempt_at": NOW, "uncertain_deliveries": 0,
              "created_at": NOW} for i, pid in enumerate(ids)],
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    print(f"retention, {args.people} participants, {engine.dialect.name}")
    timed(f"seed {args.people} people with an item and an outbox row each", lambda: seed(engine, args.people))
    dry = timed(
        "daily pass, dry run", lambda: run_retention(engine, settings=settings, now=NOW, dry_run=True)
    )
    report = timed(
        f"daily pass: {len(dry.warned)} warned, {len(dry.erased)} erased (+ file scrub)",
        lambda: run_retention(engine, settings=settings, now=NOW),
    )
    assert len(report.erased) == len(dry.erased)
    with Session(engine) as session:
        someone = session.exec(select(Participant.id).where(Participant.status == "active")).first()
    assert someone is not None
    timed(
        "one /delete (erase_participants + file scrub)",
        lambda: erase_participants(engine, participant_ids=[someone]),
    )

    def activity() -> None:
        for k in range(args.people):
            with session_scope(engine) as session:
                record_activity(session, telegram_id=10_000 + k, now=NOW, resolution=dt.timedelta(hours=1))

    timed(f"record activity for {args.people} people (one write each)", activity)
    engine.dispose()


if __name__ == "__main__":
    main()
