"""Quality of the engine against the two baselines on a labelled development set.

Usage:  PYTHONPATH=. python bench/quality.py [--devset FILE.csv ...] [--external DIR] [--k 3] [--misses]
                                            [--set FIELD=VALUE ...] [--engine-only]

Without ``--devset`` both labelled sets are evaluated: the development set ``devset.csv`` (used while
tuning) and the validation set ``valset.csv`` (written before tuning, from other profiles and phrases, to
see whether improvements carry over). Each set is a profiles CSV with an extra ``good`` column:
space-separated ids of hand-judged good partners. Judgements are symmetrised (if a lists b, b's good
partners include a) and restricted to active participants.

Metrics over the participants with at least one good partner:
- hit@k:    share of them with at least one good partner in their top k.
- recall@k: per person |good ∩ top k| / min(k, |good|), averaged (1.0 = the top k is filled with good
            partners as far as there are that many).
- MRR:      mean reciprocal rank of the first good partner within the top 10 (0 if none).

``--external DIR`` also scores a set in the external format (``DIR/profiles.csv`` without a ``good``
column, ``DIR/truth.json`` with symmetric ``pairs``), and reports it whole and in two halves of its people
(A and B, split by a hash of the id): decide on one half, confirm on the other. ``--set FIELD=VALUE``
overrides a ``MatchConfig`` field for the engine (to compare settings without editing code).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matching import MatchConfig, Profile

# Run as a script, this file's folder comes first on sys.path, where bench/matching.py would shadow the
# matching package: put the repository root first and import the project lazily.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = Path(__file__).resolve().parents[1] / "tests" / "matching" / "data"
DEFAULT_SETS = (DATA / "devset.csv", DATA / "valset.csv")

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


CONFIG_OVERRIDES: dict[str, float | int | None] = {}


def load_external(folder: Path) -> tuple[list[Profile], dict[str, set[str]]]:
    """Profiles and good partners of a set in the external format (profiles.csv + truth.json)."""
    from matching import load_profiles_csv

    profiles = load_profiles_csv((folder / "profiles.csv").read_text(encoding="utf-8-sig"))
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    good: dict[str, set[str]] = {p.id: set() for p in profiles if p.active}
    for a, b in truth["pairs"]:
        good.setdefault(a, set()).add(b)
        good.setdefault(b, set()).add(a)
    return profiles, good


def half(pid: str) -> str:
    """Which half of a set a person belongs to (A or B), stable across runs and sets."""
    return "AB"[zlib.crc32(pid.encode("utf-8")) % 2]


def config() -> MatchConfig:
    from matching import MatchConfig

    return MatchConfig(**CONFIG_OVERRIDES)  # type: ignore[arg-type]


def engine(profiles: list[Profile], k: int) -> dict[str, list[str]]:
    from matching import Matcher

    result = Matcher(profiles, config()).suggest(top_k=k)
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


def misses(profiles: list[Profile], good: dict[str, set[str]], k: int) -> list[str]:
    """Per person whose engine top k misses good partners: each missed partner with its score and rank,
    and the suggestions that outranked it (with scores, marked ``+`` when judged good)."""
    from matching import Matcher

    matcher = Matcher(profiles, config())
    names = {p.id: p.name for p in profiles}
    lines: list[str] = []
    for pid, g in sorted(good.items()):
        ranked = matcher.suggest_for(pid, top_k=len(profiles))
        top = [s.other_id for s in ranked[:k]]
        missing = sorted(g - set(top))
        if not g or len(g & set(top)) >= min(k, len(g)):
            continue
        lines.append(f"miss {pid} ({names[pid]}): {len(g & set(top))}/{min(k, len(g))} good in top {k}")
        order = [s.other_id for s in ranked]
        for other in missing:
            rank = order.index(other) + 1 if other in order else None
            where = f"rank {rank}" if rank else "not suggested"
            lines.append(
                f"    good {other} ({names.get(other, '?')}): score {matcher.score(pid, other):.4f}, {where}"
            )
        for s in ranked[:k]:
            mark = "+" if s.other_id in g else "-"
            lines.append(f"    {mark} top {s.other_id} ({names[s.other_id]}): score {s.score:.4f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--devset", type=Path, action="append", help="labelled set(s); default: dev + validation"
    )
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument(
        "--misses",
        action="store_true",
        help="per person: good partners missing from the top k (score, rank) and what outranked them",
    )
    parser.add_argument("--external", type=Path, help="folder with profiles.csv and truth.json")
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE", help="MatchConfig override"
    )
    parser.add_argument("--engine-only", action="store_true", help="skip the two baselines")
    args = parser.parse_args(argv)
    for item in args.set:
        field, _, value = item.partition("=")
        number = None if value == "None" else float(value) if "." in value else int(value)
        CONFIG_OVERRIDES[field.strip()] = number
    rankers: list[tuple[str, Ranker]] = [
        ("engine (matching.Matcher)", engine),
        ("rapidfuzz token_set_ratio", rapidfuzz_baseline),
        ("tfidf char_wb 3-5 + sparse_dot_topn", tfidf_baseline),
    ]
    if args.engine_only:
        rankers = rankers[:1]
    k = args.k
    out = sys.stdout
    sets: list[tuple[str, tuple[list[Profile], dict[str, set[str]]], bool]] = [
        (path.name, load_devset(path), False) for path in args.devset or DEFAULT_SETS
    ]
    if args.external:
        sets.append((f"{args.external.name} (external)", load_external(args.external), True))
    for title, (profiles, good), halves in sets:
        out.write(f"set: {title}, {len(profiles)} profiles, ")
        out.write(f"{sum(1 for g in good.values() if g)} with judged good partners\n\n")
        head = f"| approach | hit@{k} | recall@{k} | MRR@10 | seconds |"
        if halves:
            head += " half A hit / recall / MRR | half B hit / recall / MRR |"
        out.write(head + "\n")
        out.write("|" + "---|" * (head.count("|") - 1) + "\n")
        for name, ranker in rankers:
            start = time.perf_counter()
            ranked = ranker(profiles, 10)
            seconds = time.perf_counter() - start
            m = evaluate(ranked, good, k)
            row = f"| {name} | {m['hit']:.3f} | {m['recall']:.3f} | {m['mrr']:.3f} | {seconds:.2f} |"
            if halves:
                for side in "AB":
                    h = evaluate(ranked, {p: g for p, g in good.items() if half(p) == side}, k)
                    row += f" {h['hit']:.3f} / {h['recall']:.3f} / {h['mrr']:.3f} |"
            out.write(row + "\n")
        if args.misses:
            out.write("\n" + "".join(line + "\n" for line in misses(profiles, good, k)))
        out.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
