"""Scheduled work runs once across workers: many claim the same run at the same moment, one wins."""

from __future__ import annotations

import datetime as dt
import threading

from storage import make_engine, session_scope
from storage.engagement import claim_job_run
from storage.types import utcnow


def test_concurrent_claims_of_one_run_have_exactly_one_winner(database_url: str) -> None:
    workers = 8
    engines = [make_engine(database_url) for _ in range(workers)]
    barrier = threading.Barrier(workers)
    wins: list[str] = []
    failures: list[BaseException] = []
    now = utcnow()

    def worker(n: int) -> None:
        try:
            barrier.wait(10)
            with session_scope(engines[n]) as session:
                if claim_job_run(
                    session, key="digest:2026-W48", owner=f"w{n}", now=now, stale_after=dt.timedelta(hours=1)
                ):
                    wins.append(f"w{n}")
        except BaseException as exc:  # a lost race may surface as an error: count it, do not hide it
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for engine in engines:
        engine.dispose()
    assert len(wins) == 1, (wins, failures)
    assert not failures or all("locked" in str(f) for f in failures), failures
