"""Speed of the matching engine beside the TF-IDF + sparse_dot_topn approach on synthetic profiles.

Usage:  PYTHONPATH=. python bench/matching.py [--sizes 1000,10000,50000] [--top 5] [--seed 7] [--pure]

Each (approach, size) runs in its own subprocess, so peak memory (``ru_maxrss``) and whole-process time
(interpreter start, imports, data generation, matching) are measured separately. "match s" is the time
of the matching itself: building the index and computing top-k for everyone (for TF-IDF: vectorising,
two top-n products and ranking).

Synthetic participants: 3 offers, 3 needs, 4 themes each. Phrases combine an activity ("gastles",
"stageplekken", "company visit", ...) with a topic; topics are drawn Zipf-like from real domain topics
plus a long tail of generated compound words whose number grows with the population (Heaps-like
vocabulary growth); some phrases carry generic words ("voor leerlingen") and 4% of words get a typo.
Needs: numpy, scipy, scikit-learn, sparse_dot_topn, rapidfuzz. ``--pure`` times the engine as installed
without the optional ``fast`` extra (sparse_dot_topn made unimportable in the engine's subprocess).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACTIVITIES = [
    "gastles over",
    "gastlessen",
    "stageplekken",
    "stages",
    "BPV-plaatsen",
    "bedrijfsbezoek",
    "rondleiding",
    "excursie naar",
    "docentstage",
    "leerwerkplekken",
    "BBL-plekken",
    "workshop",
    "praktijkopdracht",
    "lesmateriaal over",
    "guest lecture on",
    "internships in",
    "company visit",
    "teacher internship",
    "demonstratie",
    "open dag",
    "zij-instromers",
    "omscholing tot",
    "challenge",
    "mentoring",
    "apprenticeships",
    "snuffelstage",
    "masterclass",
    "hackathon",
]
TOPICS = [
    "warmtepompen",
    "zonnepanelen",
    "installatietechniek",
    "elektrotechniek",
    "laadpalen",
    "lassen",
    "cnc-frezen",
    "robotica",
    "plc",
    "3d-printen",
    "voedingstechnologie",
    "procestechniek",
    "food processing",
    "heat pumps",
    "solar panels",
    "bouwtechniek",
    "bim",
    "infra",
    "isolatie",
    "waterstof",
    "windenergie",
    "netbeheer",
    "mechatronica",
    "metaalbewerking",
    "automotive",
    "logistiek",
    "precisielandbouw",
    "drones",
    "programmeren",
    "data science",
    "cybersecurity",
    "virtual reality",
    "verpakkingsmachines",
    "klimaattechniek",
    "ventilatie",
    "domotica",
    "smart industry",
    "duurzaam bouwen",
    "circulaire economie",
]
GENERIC = ["voor leerlingen", "voor studenten", "in de techniek", "for students", "met personeel", ""]
THEMES = [
    "energietransitie",
    "duurzaamheid",
    "techniek",
    "food",
    "maakindustrie",
    "bouw",
    "mobiliteit",
    "onderwijs",
    "arbeidsmarkt",
    "digitalisering",
    "zorgtechniek",
    "agrifood",
    "circulair",
]
SYLLABLES = [
    "warm",
    "te",
    "pomp",
    "zon",
    "ne",
    "paneel",
    "las",
    "ro",
    "bot",
    "tech",
    "niek",
    "bouw",
    "kunde",
    "in",
    "stal",
    "la",
    "tie",
    "ener",
    "gie",
    "data",
    "proces",
    "lijn",
    "meet",
    "regel",
    "koel",
    "vries",
    "licht",
    "gas",
    "water",
    "stof",
    "staal",
    "hout",
    "glas",
    "print",
    "sensor",
]
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    k = rng.randrange(1, len(word) - 1)
    op = rng.randrange(3)
    if op == 0:
        return word[:k] + word[k + 1 :]
    if op == 1:
        return word[:k] + rng.choice(LETTERS) + word[k + 1 :]
    return word[: k - 1] + word[k] + word[k - 1] + word[k + 1 :]


def synthetic_profiles(n: int, seed: int = 7) -> list[dict[str, object]]:
    """``n`` synthetic profiles as plain dicts (id, organisation, role, region, offers, needs, themes)."""
    rng = random.Random(seed)
    tail_size = max(50, int(8 * n**0.6))  # vocabulary grows sub-linearly with the population
    tail = sorted(
        {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))) for _ in range(tail_size)}
    )
    topics = TOPICS + tail
    cum: list[float] = []
    total = 0.0
    for rank in range(len(topics)):
        total += 1.0 / (rank + 1) ** 1.05  # Zipf-like
        cum.append(total)
    roles = ["vmbo", "mbo", "hbo", "bedrijf", "bedrijf", "bedrijf", "Techniekpact", "gemeente", "opleider"]
    regions = ["Achterhoek", "Arnhem-Nijmegen", "Food Valley", "Cleantech", "Noord-Veluwe", "Rivierenland"]

    def phrase() -> str:
        topic = rng.choices(topics, cum_weights=cum)[0]
        words = f"{rng.choice(ACTIVITIES)} {topic} {rng.choice(GENERIC)}".split()
        return " ".join(_typo(w, rng) if rng.random() < 0.04 else w for w in words)

    return [
        {
            "id": f"s{i}",
            "organisation": f"org{rng.randrange(max(1, n // 2))}",
            "role": rng.choice(roles),
            "region": rng.choice(regions),
            "offers": [phrase() for _ in range(3)],
            "needs": [phrase() for _ in range(3)],
            "themes": rng.sample(THEMES, 2) + rng.choices(topics, cum_weights=cum, k=2),
        }
        for i in range(n)
    ]


def _child(approach: str, n: int, top: int, seed: int) -> None:
    started = time.perf_counter()
    if approach == "engine-pure":
        sys.modules["sparse_dot_topn"] = None  # type: ignore[assignment]  # as without the 'fast' extra
        approach = "engine"
    rows = synthetic_profiles(n, seed)
    if approach == "engine":
        from matching import Matcher, Profile, parse_region, parse_role

        profiles = [
            Profile(
                id=str(r["id"]),
                name=str(r["id"]),
                organisation=str(r["organisation"]),
                role=parse_role(str(r["role"])),
                region=parse_region(str(r["region"])),
                offers=tuple(r["offers"]),
                needs=tuple(r["needs"]),
                themes=tuple(r["themes"]),  # type: ignore[arg-type]
            )
            for r in rows
        ]
        t0 = time.perf_counter()
        result = Matcher(profiles).suggest(top_k=top)
        seconds = time.perf_counter() - t0
        filled = sum(1 for v in result.values() if v) / max(n, 1)
    else:
        from bench.baselines import tfidf_top
        from matching import Profile

        profiles = [
            Profile(id=str(r["id"]), offers=tuple(r["offers"]), needs=tuple(r["needs"]))  # type: ignore[arg-type]
            for r in rows
        ]
        t0 = time.perf_counter()
        ranked = tfidf_top(profiles, top_k=top, rules=False)
        seconds = time.perf_counter() - t0
        filled = sum(1 for v in ranked.values() if v) / max(n, 1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(
        {"seconds": seconds, "process": time.perf_counter() - started, "peak_mb": peak_mb, "filled": filled},
        sys.stdout,
    )


def _run(approach: str, n: int, top: int, seed: int, timeout: float) -> dict[str, float] | None:
    """Run one measurement in a fresh interpreter; ``None`` if it exceeds ``timeout`` seconds."""
    started = time.perf_counter()
    command = [sys.executable, __file__, "--child", approach, "--sizes", str(n), "--top", str(top)]
    try:
        out = subprocess.run(
            [*command, "--seed", str(seed)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    result: dict[str, float] = json.loads(out.stdout)
    result["wall"] = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-tfidf", action="store_true", help="time the engine only")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per measurement (default 900)")
    parser.add_argument("--pure", action="store_true", help="engine without sparse_dot_topn (pure scipy)")
    parser.add_argument("--child", choices=("engine", "engine-pure", "tfidf"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.child:
        _child(args.child, sizes[0], args.top, args.seed)
        return 0
    out = sys.stdout
    out.write(f"top-{args.top} for everyone; 3 offers, 3 needs, 4 themes each\n\n")
    out.write(
        "| participants | engine match s | engine process s | engine peak MB | tfidf match s "
        "| tfidf process s | tfidf peak MB | tfidf/engine (match) |\n|---|---|---|---|---|---|---|---|\n"
    )
    for n in sizes:
        e = _run("engine-pure" if args.pure else "engine", n, args.top, args.seed, args.timeout)
        t = None if args.skip_tfidf else _run("tfidf", n, args.top, args.seed, args.timeout)
        late = "not run" if args.skip_tfidf else f"> {args.timeout:.0f}"
        cells = [f"{n:,}"]
        for r in (e, t):
            cells += (
                [f"{r['seconds']:.2f}", f"{r['wall']:.2f}", f"{r['peak_mb']:.0f}"] if r else [late, late, "-"]
            )
        if e and t:
            cells.append(f"{t['seconds'] / max(e['seconds'], 1e-9):.2f}")
        elif e and not args.skip_tfidf:
            cells.append(f"> {args.timeout / max(e['seconds'], 1e-9):.1f}")
        else:
            cells.append("-")
        out.write("| " + " | ".join(cells) + " |\n")
        out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
