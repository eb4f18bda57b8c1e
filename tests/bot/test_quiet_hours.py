"""Quiet hours: pure rules, in the configured time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.services.quiet import is_quiet, next_allowed

AMS = ZoneInfo("Europe/Amsterdam")
RULES = {"tz": AMS, "start": dt.time(21, 0), "end": dt.time(8, 0), "days": ["sun"]}


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMS)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2026, 11, 23, 9, 0), local(2026, 11, 23, 9, 0)),  # Monday morning: at once
        (local(2026, 11, 23, 22, 30), local(2026, 11, 24, 8, 0)),  # Monday night → Tuesday 08:00
        (local(2026, 11, 24, 3, 0), local(2026, 11, 24, 8, 0)),  # small hours → same morning
        (local(2026, 11, 28, 21, 0), local(2026, 11, 30, 8, 0)),  # Saturday night → past Sunday
        (local(2026, 11, 29, 12, 0), local(2026, 11, 30, 8, 0)),  # Sunday noon → Monday 08:00
        (local(2026, 11, 23, 20, 59), local(2026, 11, 23, 20, 59)),  # just before the quiet hours
    ],
)
def test_next_allowed(now: dt.datetime, expected: dt.datetime) -> None:
    assert next_allowed(now, **RULES) == expected
    assert next_allowed(now, **RULES).tzinfo == dt.UTC
    assert is_quiet(now, **RULES) == (now != expected)


def test_window_that_does_not_wrap_and_no_quiet_days() -> None:
    rules = {"tz": AMS, "start": dt.time(12, 0), "end": dt.time(13, 0), "days": []}
    assert next_allowed(local(2026, 11, 29, 12, 30), **rules) == local(2026, 11, 29, 13, 0)
    assert next_allowed(local(2026, 11, 29, 13, 30), **rules) == local(2026, 11, 29, 13, 30)
