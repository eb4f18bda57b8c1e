"""Quality of the engine against the two baselines on a labelled development set.

Usage:  PYTHONPATH=. python bench/quality.py [--devset tests/matching/data/devset.csv] [--k 3] [--misses]

The dev set is a profiles CSV with an extra ``good`` column: space-separated ids of hand-judged good
partners. Judgements are symmetrised (if a lists b, b's good partners include a) and restricted to
active participants.

Metrics over the participants with at least one good partner:
- hit@k:    share of them with at least one good partner in their top k.
- recall@k: per person |good ∩ top k| / min(k, |good|), averaged (1.0 = the top k is filled with good
            partners as far as there are that many).
- MRR:      mean reciprocal rank of the first good partner within the top 10 (0 if none).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matching import Profile

# Run as a script, this file's folder comes first on sys.path, where bench/matching.py would shadow the
# matching package: put the repository root first and import the project lazily.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_DEVSET = Path(__file__).resolve().parents[1] / "tests" / "matching" / "data" / "devset.csv"

Ranker = Callable[[list["Profile"], int], dict[str, list[str]]]


def load_devset(path: Path) -> tuple[list[Profile], dict[str, set[str]]]:
    """Profiles and symmetrised good-partner judgements of a dev set file."""
    from matching import load_profiles_csv

    text = path.read_text(encoding="utf-8-sig")
    profiles = load_profiles_csv(text)
    active = {p.id for p in profiles if p.active}
    good: dict[str, set[str]] = {p.id: set() for p in profiles}
    for row in csv.DictReader(io.StringIO(text)):
        for other in (row.get("good") or "").split():
            good[row["id"]].add(other)
            good.setdefault(other, set()).add(row["id"])
    return profiles, {k: v & active for k, v in good.items() if k in active}


def engine(profiles: list[Profile], k: int) -> dict[str, list[str]]:
    from matching import Matcher

    result = Matcher(profiles).suggest(top_k=k)
    return {pid: [s.other_id for s in lst] for pid, lst in result.items()}


def rapidfuzz_baseline(profiles: list[Profile], k: int) -> dict[str, list[str]]:
    from bench.baselines import rapidfuzz_top

    return {pid: [o for o, _ in lst] for pid, lst in rapidfuzz_top(profiles, k).items()}


def tfidf_baseline(profiles: list[Profile], k: int) -> dict[str, list[str]]:
    from bench.baselines import tfidf_top

    return {pid: [o for o, _ in lst] for pid, lst in tfidf_top(profiles, k).items()}


def evaluate(ranked: dict[str, list[str]], good: dict[str, set[str]], k: int) -> dict[str, float]:
    people = [pid for pid, g in good.items() if g]
    hits = recall = mrr = 0.0
    for pid in people:
        top = ranked.get(pid, [])
        found = good[pid] & set(top[:k])
        hits += bool(found)
        recall += len(found) / min(k, len(good[pid]))
        for rank, other in enumerate(top[:10], 1):
            if other in good[pid]:
                mrr += 1.0 / rank
                break
    n = max(len(people), 1)
    return {"hit": hits / n, "recall": recall / n, "mrr": mrr / n, "people": float(len(people))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--misses", action="store_true", help="list people whose top k misses good partners")
    args = parser.parse_args(argv)
    profiles, good = load_devset(args.devset)
    rankers: list[tuple[str, Ranker]] = [
        ("engine (matching.Matcher)", engine),
        ("rapidfuzz token_set_ratio", rapidfuzz_baseline),
        ("tfidf char_wb 3-5 + sparse_dot_topn", tfidf_baseline),
    ]
    k = args.k
    out = sys.stdout
    out.write(f"dev set: {args.devset.name}, {len(profiles)} profiles, ")
    out.write(f"{sum(1 for g in good.values() if g)} with judged good partners\n\n")
    out.write(f"| approach | hit@{k} | recall@{k} | MRR@10 | seconds |\n|---|---|---|---|---|\n")
    for name, ranker in rankers:
        start = time.perf_counter()
        ranked = ranker(profiles, 10)
        seconds = time.perf_counter() - start
        m = evaluate(ranked, good, k)
        out.write(f"| {name} | {m['hit']:.3f} | {m['recall']:.3f} | {m['mrr']:.3f} | {seconds:.2f} |\n")
        if args.misses and ranker is engine:
            for pid, g in sorted(good.items()):
                top = ranked.get(pid, [])[:k]
                if g and len(g & set(top)) < min(k, len(g)):
                    out.write(f"    miss {pid}: top={top} good={sorted(g)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
