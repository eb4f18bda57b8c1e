"""What the database knows about earlier suggestions, as the matcher needs it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


def pair_key(a: str, b: str) -> tuple[str, str]:
    """The order-free key of a pair of participant ids."""
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class History:
    """Earlier outcomes; pairs may be given in either order.

    Fields:
        suggested: pairs already suggested, pending or introduced: never suggested again.
        declined: pair -> when one side declined: never again, unless ``MatchConfig.declined_cooldown_days``.
        expired: pair -> when the suggestion lapsed unanswered: again only after ``cooldown_days``.
        never: person id -> ids that person never wants suggested (applies in both directions).
        incoming_this_week: person id -> new suggestions that person already received this week.
        unresponsive_reports: person id -> how often others reported the person as unresponsive.
        inactive: ids of paused, blocked or deleted people (in addition to ``Profile.active``).
    """

    suggested: frozenset[tuple[str, str]] = frozenset()
    declined: Mapping[tuple[str, str], datetime] = field(default_factory=dict)
    expired: Mapping[tuple[str, str], datetime] = field(default_factory=dict)
    never: Mapping[str, frozenset[str]] = field(default_factory=dict)
    incoming_this_week: Mapping[str, int] = field(default_factory=dict)
    unresponsive_reports: Mapping[str, int] = field(default_factory=dict)
    inactive: frozenset[str] = frozenset()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def blocked_pairs(
    history: History, now: datetime, cooldown_days: int, declined_cooldown_days: int | None
) -> set[tuple[str, str]]:
    """All order-free pairs the history forbids at ``now`` (naive datetimes are taken as UTC)."""
    now = _aware(now)
    blocked = {pair_key(a, b) for a, b in history.suggested}
    for (a, b), when in history.declined.items():
        if declined_cooldown_days is None or (now - _aware(when)).days < declined_cooldown_days:
            blocked.add(pair_key(a, b))
    for (a, b), when in history.expired.items():
        if (now - _aware(when)).days < cooldown_days:
            blocked.add(pair_key(a, b))
    for person, others in history.never.items():
        blocked.update(pair_key(person, other) for other in others)
    return blocked
