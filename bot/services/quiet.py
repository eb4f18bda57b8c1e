"""Quiet hours: no automatic digests or nudges at night or on quiet days; due work waits until morning.

Pure functions of a moment and the settings (QUIET_HOURS_START/END, QUIET_DAYS, TIMEZONE).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["is_quiet", "next_allowed", "next_allowed_for"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _quiet_time(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end  # the window wraps past midnight


def is_quiet(
    now: dt.datetime, *, tz: ZoneInfo, start: dt.time, end: dt.time, days: list[str] | tuple[str, ...]
) -> bool:
    """True when `now` falls in the quiet hours or on a quiet day (in `tz`)."""
    local = now.astimezone(tz)
    return WEEKDAYS[local.weekday()] in days or _quiet_time(local.time(), start, end)


def next_allowed(
    now: dt.datetime, *, tz: ZoneInfo, start: dt.time, end: dt.time, days: list[str] | tuple[str, ...]
) -> dt.datetime:
    """`now` when automatic messages may go out now, else the first moment after the quiet period (UTC)."""
    local = now.astimezone(tz)
    for _ in range(16):
        if WEEKDAYS[local.weekday()] in days:
            next_day = local.date() + dt.timedelta(days=1)
            local = dt.datetime.combine(next_day, dt.time(0, 0), tzinfo=tz)
            continue
        moment = local.time()
        if not _quiet_time(moment, start, end):
            return local.astimezone(dt.UTC)
        day = local.date()
        if start > end and moment >= start:
            day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, end, tzinfo=tz)
    return local.astimezone(dt.UTC)  # every day quiet: give up waiting rather than never send


def next_allowed_for(now: dt.datetime, settings: object) -> dt.datetime:
    """`next_allowed` with the quiet hours from `Settings`."""
    return next_allowed(
        now,
        tz=settings.tz,  # type: ignore[attr-defined]
        start=settings.quiet_hours_start,  # type: ignore[attr-defined]
        end=settings.quiet_hours_end,  # type: ignore[attr-defined]
        days=settings.quiet_days,  # type: ignore[attr-defined]
    )
