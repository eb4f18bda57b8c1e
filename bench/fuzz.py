"""The full hostile-input run: 10,000+ fuzzed actions through the running bot, zero unhandled errors.

Usage:  python bench/fuzz.py [--actions 10000] [--postgres]

Runs tests/bot/test_fuzz_e2e.py with KOPPELBOT_FUZZ_BATCHES = actions / 100 (CI runs 1,000 per database)
and prints the time it took. The test itself counts ERROR records (unhandled exceptions) and requires zero.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL (TEST_DATABASE_URL)")
    args = parser.parse_args()
    env = os.environ | {"KOPPELBOT_FUZZ_BATCHES": str(max(1, args.actions // 100)), "PYTHONPATH": str(ROOT)}
    backend = "postgresql" if args.postgres else "sqlite"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W",
         "ignore::hypothesis.errors.HypothesisWarning",
         f"tests/bot/test_fuzz_e2e.py::test_hostile_updates_cause_no_unhandled_error[{backend}]"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    print(result.stdout[-2000:])
    verdict = "zero unhandled errors" if result.returncode == 0 else "FAILED"
    print(f"fuzz: {args.actions} actions on {backend} in {elapsed:.0f} s: {verdict}")
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
