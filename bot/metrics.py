"""The process's Prometheus metrics, in one place (served as `/metrics` by bot/health.py).

Counters are per process and start at zero when it starts, as Prometheus expects.

- Updates: `koppelbot_updates_handled_total`, `koppelbot_updates_replayed_total` and the histogram
  `koppelbot_update_seconds` (from receiving an update until its handlers, and so its direct replies, are
  done: the reply latency a person feels), fed by bot/ordering.py.
- Outbox: `koppelbot_outbox_sent_total`, `_retried_total`, `_parked_total`, `_blocked_total`,
  `_uncertain_total`, read at scrape time from the running senders' `SenderStats` (`watch_sender`), and
  from the database the gauges `koppelbot_outbox_messages{state="pending"|"sending"|"parked"}` and
  `koppelbot_outbox_backlog_seconds` (bot/health.py sets them before each scrape).
- 429s: `koppelbot_telegram_rate_limited_total{source=...}`: `source="outbox"` from the senders' stats,
  any other source from `count_rate_limited(source)`: `"replies"` from the one Bot API limiter
  (bot.limiter; it leaves the outbox's 429s to the senders' stats, so none is counted twice) and
  `"polling"` from the poller.
- Health: `koppelbot_database_up` and `koppelbot_healthy` (1 or 0), set by each health check.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter as Tally
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = [
    "DATABASE_UP",
    "HEALTHY",
    "OUTBOX_BACKLOG_SECONDS",
    "OUTBOX_MESSAGES",
    "UPDATES_HANDLED",
    "UPDATES_REPLAYED",
    "UPDATE_SECONDS",
    "count_rate_limited",
    "retire_sender",
    "watch_sender",
]

logger = logging.getLogger(__name__)

UPDATES_HANDLED = Counter("koppelbot_updates_handled", "Telegram updates handled (replays not counted).")
UPDATES_REPLAYED = Counter(
    "koppelbot_updates_replayed", "Telegram updates skipped because they were handled before."
)
UPDATE_SECONDS = Histogram(
    "koppelbot_update_seconds",
    "Seconds from receiving an update until its handlers and their replies were done.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
OUTBOX_MESSAGES = Gauge(
    "koppelbot_outbox_messages",
    "Outbox messages in the database by state (pending, sending, parked).",
    ["state"],
)
OUTBOX_BACKLOG_SECONDS = Gauge(
    "koppelbot_outbox_backlog_seconds", "How long the oldest due outbox message has been waiting."
)
DATABASE_UP = Gauge("koppelbot_database_up", "1 when the database answered the last health check, else 0.")
HEALTHY = Gauge("koppelbot_healthy", "1 when the last health check found nothing wrong, else 0.")

# SenderStats field → (metric name, help)
_SENDER_COUNTERS = {
    "sent": ("koppelbot_outbox_sent", "Outbox messages delivered."),
    "retried": ("koppelbot_outbox_retried", "Outbox sends that failed (5xx, network) and will be retried."),
    "parked": ("koppelbot_outbox_parked", "Outbox messages parked after failing too often."),
    "blocked": ("koppelbot_outbox_blocked", "Outbox sends refused because the person blocked the bot."),
    "uncertain_deliveries": (
        "koppelbot_outbox_uncertain",
        "Outbox sends that timed out: delivered or not, nobody knows.",
    ),
}
_RATE_LIMITED = ("koppelbot_telegram_rate_limited", "429 Too Many Requests answers from the Bot API.")


class _SenderCollector(Collector):
    """Counters read from the running senders' stats, plus what stopped senders had counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._senders: list[Any] = []
        self._retired: Tally[str] = Tally()
        self._rate_limited: Tally[str] = Tally()  # source → 429s seen outside the outbox sender

    def watch(self, sender: Any) -> None:
        with self._lock:
            if sender not in self._senders:
                self._senders.append(sender)

    def retire(self, sender: Any) -> None:
        with self._lock:
            if sender in self._senders:
                self._senders.remove(sender)
                for item in fields(sender.stats):
                    value = getattr(sender.stats, item.name)
                    if isinstance(value, int):
                        self._retired[item.name] += value

    def count_rate_limited(self, source: str, n: int) -> None:
        with self._lock:
            self._rate_limited[source] += n

    def _totals(self) -> Tally[str]:
        totals = Tally(self._retired)
        for sender in self._senders:
            for item in fields(sender.stats):
                value = getattr(sender.stats, item.name)
                if isinstance(value, int):
                    totals[item.name] += value
        return totals

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            totals = self._totals()
            rate_limited = dict(self._rate_limited)
        for field_name, (name, documentation) in _SENDER_COUNTERS.items():
            yield CounterMetricFamily(name, documentation, value=totals[field_name])
        family = CounterMetricFamily(*_RATE_LIMITED, labels=["source"])
        family.add_metric(["outbox"], totals["rate_limited"])
        for source, count in sorted(rate_limited.items()):
            family.add_metric([source], count)
        yield family


_SENDERS = _SenderCollector()
REGISTRY.register(_SENDERS)


def watch_sender(sender: Any) -> None:
    """Report `sender.stats` (a bot.jobs.sender.SenderStats) in the outbox counters while it runs."""
    _SENDERS.watch(sender)


def retire_sender(sender: Any) -> None:
    """The sender stopped: keep what it counted (counters never go down within a process)."""
    _SENDERS.retire(sender)


def count_rate_limited(source: str, n: int = 1) -> None:
    """Count a 429 answer seen by `source` (e.g. "polling"; the outbox sender is counted by its stats)."""
    _SENDERS.count_rate_limited(source, n)
