"""The clock the scheduled work reads: system time by default, settable by tests and the demo.

`Clock()` is the system clock. `clock.set(when)` jumps to `when` and keeps ticking from there (so retries
with real delays still happen); `Clock(start, ticking=False)` stands still until `set`/`advance`. Jobs ask
`clock.now()` instead of `datetime.now()`, and whoever waits on time (the outbox sender) registers with
`on_change` to hear when a test or the demo moves the clock.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

__all__ = ["Clock"]


class Clock:
    """Timezone-aware UTC time: the system's, or a controlled one."""

    def __init__(self, start: dt.datetime | None = None, *, ticking: bool = True) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self._ticking = ticking
        self._base: dt.datetime | None = None
        self._base_mono = 0.0
        if start is not None:
            self._set(start)

    def _set(self, when: dt.datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware datetime")
        self._base = when.astimezone(dt.UTC)
        self._base_mono = time.monotonic()

    @property
    def controlled(self) -> bool:
        """True once a test or the demo has set the time."""
        return self._base is not None

    def now(self) -> dt.datetime:
        """The current time in UTC, timezone-aware."""
        with self._lock:
            if self._base is None:
                return dt.datetime.now(dt.UTC)
            if not self._ticking:
                return self._base
            return self._base + dt.timedelta(seconds=time.monotonic() - self._base_mono)

    def set(self, when: dt.datetime) -> None:
        """Jump to `when` (timezone-aware); a ticking clock runs on from there."""
        with self._lock:
            self._set(when)
        self._changed()

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the clock forward by `delta`; returns the new time."""
        when = self.now() + delta
        self.set(when)
        return when

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (from any thread) whenever the time is set; returns a function that unregisters."""
        with self._lock:
            self._listeners.append(callback)

        def remove() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return remove

    def _changed(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for callback in listeners:
            callback()
