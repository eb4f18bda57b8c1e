"""Inbound flood control: someone sending far more than anyone types is slowed down, not served.

Each person has a token bucket of `burst` updates, refilled at `per_second`. An update that finds a token
is handled. The first one that does not starts an *episode*: the person gets one short notice ("rustig
aan"), the flood is logged once, and every further update of theirs is dropped quietly, those already
waiting for their turn included (bot/ordering.py asks `flooding()` before handling one). While they keep
sending, each update still costs a token (down to -`burst`), so the episode ends only once they slowed down
long enough for a token to come back. Dropped updates are recorded as handled like any other, so nothing
is replayed after a restart.

A person who answers questions and presses buttons never comes near it: 8 at once, then one a second.
"""

from __future__ import annotations

import enum
import logging
import time

__all__ = ["FloodGuard", "Verdict"]

logger = logging.getLogger(__name__)

MAX_PEOPLE = 50_000  # buckets kept before the full, quiet ones are forgotten


class Verdict(enum.Enum):
    """What to do with one incoming update."""

    HANDLE = "handle"
    NOTIFY = "notify"  # the first update of an episode: tell the person once, drop it
    DROP = "drop"


class FloodGuard:
    """Per-person token buckets over incoming updates (see the module docstring)."""

    def __init__(self, *, burst: int = 8, per_second: float = 1.0) -> None:
        self.burst = burst
        self.per_second = per_second
        self.episodes = 0  # floods noticed
        self.dropped = 0  # updates dropped
        self._people: dict[int, tuple[float, float, bool]] = {}  # person → (tokens, at, flooding)

    def check(self, person: int, now: float | None = None) -> Verdict:
        """Take a token for one update of `person`: handle it, or drop it (an episode's first notifies)."""
        if self.burst <= 0:
            return Verdict.HANDLE
        at = time.monotonic() if now is None else now
        if person not in self._people and len(self._people) >= MAX_PEOPLE:
            self._forget_quiet(at)
        tokens, flooding = self._refilled(person, at)
        if tokens >= 1:
            self._people[person] = (tokens - 1, at, False)
            return Verdict.HANDLE
        self._people[person] = (max(-float(self.burst), tokens - 1), at, True)
        self.dropped += 1
        if flooding:
            return Verdict.DROP
        self.episodes += 1
        return Verdict.NOTIFY

    def flooding(self, person: int) -> bool:
        """True while `person` is in an episode (their updates are dropped, even those already admitted)."""
        state = self._people.get(person)
        if state is None or not state[2]:
            return False
        tokens, _flooding = self._refilled(person, time.monotonic())
        return tokens < 1

    def _refilled(self, person: int, at: float) -> tuple[float, bool]:
        tokens, stamp, flooding = self._people.get(person, (float(self.burst), at, False))
        return min(float(self.burst), tokens + max(0.0, at - stamp) * self.per_second), flooding

    def _forget_quiet(self, at: float) -> None:
        self._people = {
            person: state
            for person, state in self._people.items()
            if state[2] or state[0] + (at - state[1]) * self.per_second < self.burst
        }
