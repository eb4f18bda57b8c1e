"""Organiser tools at event scale: import, /stats, chart, export, broadcast enqueue, unmet demand.

Usage: python bench/organiser.py [--people 3000] [--database-url URL]   (default: a temporary SQLite file)
Prints one line per step with its wall-clock time. Synthetic profiles, fixed random seed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bot.services.broadcasts import theme_segment  # noqa: E402
from bot.services.exports import export_csv, export_xlsx  # noqa: E402
from bot.services.imports import import_profiles  # noqa: E402
from bot.services.matchmaking import MatcherCache  # noqa: E402
from bot.services.organisers import unmet_needs  # noqa: E402
from bot.services.stats import render_funnel_chart, render_stats_caption  # noqa: E402
from storage import make_engine, session_scope, upgrade  # noqa: E402
from storage.broadcasts import count_recipients, create_draft, start_broadcast  # noqa: E402
from storage.exports import export_data  # noqa: E402
from storage.models import Introduction, Participant, Suggestion  # noqa: E402
from storage.scope import Scope  # noqa: E402
from storage.stats import funnel_report  # noqa: E402

ROLES = ["vmbo", "mbo", "hogeschool", "bedrijf", "bedrijf", "techniekpact", "gemeente"]
REGIONS = ["Achterhoek", "Arnhem", "Ede", "Apeldoorn", "Harderwijk", "Tiel"]
PHRASES = [
    "gastlessen warmtepompen", "stageplekken installatietechniek", "bedrijfsbezoek", "excursie fabriek",
    "lasrobots", "cnc draaien", "waterstof", "zonnepanelen installeren", "praktijkopdrachten",
    "docentstage", "leerwerkplekken bbl", "techniekdag", "robotica lessen", "duurzame bouw",
    "elektrotechniek", "voedseltechnologie", "ict en programmeren", "3d printen", "drones", "smart farming",
]  # fmt: skip


def profiles_csv(people: int, rng: random.Random) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "name", "organisation", "role", "region", "offers", "needs", "interests",
                     "telegram_id", "consent"])  # fmt: skip
    for k in range(people):
        offers = ";".join(rng.sample(PHRASES, 2))
        needs = ";".join(rng.sample(PHRASES, 2))
        themes = ";".join(rng.sample(PHRASES, 1))
        writer.writerow([k, f"Persoon {k}", f"Organisatie {k % (people // 3 + 1)}", rng.choice(ROLES),
                         rng.choice(REGIONS), offers, needs, themes, 10_000 + k, "yes"])  # fmt: skip
    return buffer.getvalue()


def timed(label: str, work):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = work()
    print(f"{label:<48} {time.perf_counter() - start:8.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    rng = random.Random(42)
    folder = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    n = args.people
    print(f"organiser tools, {n} participants, {engine.dialect.name}")
    text = profiles_csv(n, rng)
    report = timed(f"import {n} profiles (CSV → participants + items)", lambda: import_profiles(
        engine, text, invite_ttl=dt.timedelta(days=60)))  # fmt: skip
    assert report.participants_created == n, report
    with session_scope(engine) as session:
        ids = list(session.exec(select(Participant.id)).all())
        pairs = {tuple(sorted(rng.sample(ids, 2))) for _ in range(n * 3)}
        rows = [{"participant_a_id": a, "participant_b_id": b, "score": 0.5, "reasons": {},
                 "status": "pending", "answer_a": rng.choice([None, "yes", "no"]), "source": "matches",
                 "created_at": dt.datetime.now(dt.UTC)} for a, b in pairs]  # fmt: skip
        session.execute(insert(Suggestion), rows)
        suggestion_rows = session.exec(select(Suggestion.id, Suggestion.participant_a_id,
                                              Suggestion.participant_b_id)).all()  # fmt: skip
        now = dt.datetime.now(dt.UTC)
        intros = [{"suggestion_id": s, "participant_a_id": a, "participant_b_id": b, "status": "introduced",
                   "introduced_at": now, "contacted_at": now if k % 2 else None,
                   "project_started_at": now if k % 7 == 0 else None,
                   "project_description": f"Project {k}" if k % 7 == 0 else None}
                  for k, (s, a, b) in enumerate(suggestion_rows[: n // 3])]  # fmt: skip
        session.execute(insert(Introduction), intros)
    print(f"  ({len(pairs)} suggestions, {len(intros)} introductions)")
    with Session(engine) as session:
        funnel = timed(
            "/stats: funnel overall and per region (query)",
            lambda: funnel_report(session, scope=Scope.everything()),
        )
    png = timed("/stats: chart rendered to PNG (matplotlib Agg)", lambda: render_funnel_chart(funnel, "nl"))
    print(f"  (PNG {len(png) // 1024} KB, caption {len(render_stats_caption(funnel, 'nl'))} characters)")
    with Session(engine) as session:
        data = timed("/export: read every record", lambda: export_data(session, scope=Scope.everything()))
    content = timed("/export: write the Excel CSV", lambda: export_csv(data, tz=ZoneInfo("Europe/Amsterdam")))
    print(f"  (CSV {len(content) // 1024} KB)")
    book = timed(
        "/export: write the Excel workbook",
        lambda: export_xlsx(data, tz=ZoneInfo("Europe/Amsterdam"), language="nl"),
    )
    print(f"  (xlsx {len(book) // 1024} KB)")
    cache = MatcherCache()
    with Session(engine) as session:
        timed("/unmet: build the matcher (once per process)", lambda: cache.get(session))
        needs = timed(
            "/unmet: needs the matcher finds no partner for",
            lambda: unmet_needs(session, matcher=cache, scope=Scope.everything()),
        )
    print(f"  ({len(needs)} unmet need groups, {sum(n.count for n in needs)} people)")
    with Session(engine) as session:
        timed("broadcast preview: count everyone", lambda: count_recipients(session, segment={}))
        timed(
            "broadcast preview: count a region",
            lambda: count_recipients(session, segment={"region": "achterhoek"}),
        )
        segment = theme_segment("waterstof")
        timed("broadcast preview: count a theme keyword", lambda: count_recipients(session, segment=segment))

    def send_everyone() -> int:
        with session_scope(engine) as session:
            draft = create_draft(session, created_by=1, text="Hallo allemaal", segment={})
            return start_broadcast(session, broadcast=draft)

    total = timed(f"broadcast to everyone: enqueue {n} outbox rows", send_everyone)
    assert total == n
    engine.dispose()


if __name__ == "__main__":
    main()
