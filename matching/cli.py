"""Core of ``koppelbot match``: read a profiles CSV and print suggestions as JSON or a table."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from matching.config import MatchConfig
from matching.exceptions import ProfileFileError
from matching.history import History
from matching.matcher import Matcher
from matching.profile import Profile
from matching.reasons import describe_reasons
from matching.suggestion import Suggestion

#: Renders a suggestion's reasons as lines of text for a language; `koppelbot match` passes the bot's
#: catalogue renderer (bot.reasons.render_plain), the default is the language-free `describe_reasons`.
ReasonRenderer = Callable[[Suggestion, Mapping[str, Profile], str], list[str]]


def _describe(suggestion: Suggestion, profiles: Mapping[str, Profile], language: str) -> list[str]:
    del profiles, language
    return describe_reasons(suggestion)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``match`` options to ``parser``."""
    parser.add_argument("--profiles", required=True, metavar="FILE.csv", help="profiles CSV (UTF-8)")
    parser.add_argument(
        "--top", type=int, default=5, metavar="K", help="suggestions per participant (default 5)"
    )
    parser.add_argument("--format", choices=("json", "table"), default="table", help="output format")
    parser.add_argument(
        "--weekly",
        action="store_true",
        help="weekly pairing: symmetric pairs, at most min(K, 3) new pairs per person, weekly caps applied",
    )
    parser.add_argument("--language", choices=("nl", "en"), default="nl", help="language of the reasons")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProfileFileError("not valid UTF-8", line=line) from exc


def _json(
    result: dict[str, list[Suggestion]], by_id: dict[str, Profile], language: str, render: ReasonRenderer
) -> str:
    payload = {
        "suggestions": {
            pid: [
                {"id": s.other_id, "score": round(s.score, 4), "reasons": render(s, by_id, language)}
                for s in suggestions
            ]
            for pid, suggestions in result.items()
        }
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _table(
    result: dict[str, list[Suggestion]], by_id: dict[str, Profile], language: str, render: ReasonRenderer
) -> str:
    lines: list[str] = []
    for pid, suggestions in result.items():
        me = by_id[pid]
        lines.append(f"{me.name or pid} ({pid}, {me.organisation or '-'})")
        if not suggestions:
            lines.append("   -")
        for rank, s in enumerate(suggestions, 1):
            other = by_id[s.other_id]
            lines.append(
                f"  {rank}. {other.name or other.id} ({other.id}, {other.organisation or '-'})  {s.score:.3f}"
            )
            lines.extend(f"       {text}" for text in render(s, by_id, language))
        lines.append("")
    return "\n".join(lines)


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO, render: ReasonRenderer = _describe) -> int:
    """Run ``match`` with parsed ``args``; returns the exit code (0 ok, 2 bad input file or option).

    ``render`` words the reasons (default: language-free ``describe_reasons``).
    """
    path = Path(args.profiles)
    try:
        profiles = load_profiles_csv_bytes(path.read_bytes())
    except OSError as exc:
        stderr.write(f"koppelbot match: cannot read {path}: {exc.strerror or exc}\n")
        return 2
    except ProfileFileError as exc:
        stderr.write(f"koppelbot match: {path}: {exc}\n")
        return 2
    if args.top < 1:
        stderr.write("koppelbot match: --top must be at least 1\n")
        return 2
    config = MatchConfig()
    if args.weekly:
        # --top can only lower the weekly per-person cap.
        config = replace(config, weekly_new_per_person=min(args.top, config.weekly_new_per_person))
    matcher = Matcher(profiles, config)
    if args.weekly:
        result = matcher.weekly(History(), datetime.now(UTC))
    else:
        result = matcher.suggest(top_k=args.top)
    by_id = {p.id: p for p in profiles}
    language = getattr(args, "language", "nl")
    if args.format == "json":
        text = _json(result, by_id, language, render)
    else:
        text = _table(result, by_id, language, render)
    stdout.write(text)
    return 0


def load_profiles_csv_bytes(data: bytes) -> list[Profile]:
    """Decode (UTF-8, optional BOM) and parse a profiles file."""
    from matching.profiles_csv import load_profiles_csv

    return load_profiles_csv(_decode(data))
