"""How long `koppelbot demo` takes, as a person runs it: a fresh process each time, wall-clock seconds.

Usage: PYTHONPATH=. python bench/demo.py [--runs 3]

Prints, per run, the whole process's wall time (interpreter start, imports, stand-in, database, the story,
clean-up) and the story's own time as the demo reports it ("Klaar in N s"), with the load average, because
the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run() -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "bot", "demo"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"the demo failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    match = re.search(r"Klaar in ([0-9.]+) s", result.stdout)
    return wall, float(match.group(1)) if match else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    walls, stories = [], []
    print(f"{'run':>3} {'process s':>10} {'story s':>8} {'load avg (1 min)':>17}")
    for run in range(1, args.runs + 1):
        wall, story = one_run()
        walls.append(wall)
        stories.append(story)
        print(f"{run:>3} {wall:>10.1f} {story:>8.1f} {os.getloadavg()[0]:>17.1f}")
    print(f"median: process {statistics.median(walls):.1f} s, story {statistics.median(stories):.1f} s")


if __name__ == "__main__":
    main()
