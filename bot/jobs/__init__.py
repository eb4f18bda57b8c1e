"""Work the bot does on its own: the outbox sender and the scheduled jobs (digest, nudges).

`start_jobs(application)` and `stop_jobs(application)` are called from the application's post_init and
post_stop (see `bot.app`), so `koppelbot run`, `koppelbot worker`, the demo and the end-to-end tests all run
them the same way. `RUN_JOBS=false` leaves them out of a process (e.g. extra webhook processes).
"""

from __future__ import annotations

import logging
from typing import Any

from bot import metrics
from bot.jobs.sender import OutboxSender

__all__ = ["OutboxSender", "start_jobs", "stop_jobs"]

logger = logging.getLogger(__name__)


async def start_jobs(application: Any) -> None:
    """Start the outbox sender and schedule the periodic jobs on the application's job queue."""
    data = application.bot_data
    if not data.settings.run_jobs or data.sender is not None:
        return
    sender = OutboxSender.from_settings(application.bot, data.engine, data.settings, clock=data.clock)
    data.sender = sender
    metrics.watch_sender(sender)
    await sender.start()
    from bot.jobs import schedule  # noqa: PLC0415 - keeps the import graph light for the sender alone

    schedule.schedule_jobs(application)


async def stop_jobs(application: Any) -> None:
    """Stop the outbox sender (in-flight sends finish, claimed rows go back to pending)."""
    data = application.bot_data
    sender = data.sender
    if sender is None:
        return
    data.sender = None
    await sender.stop()
    metrics.retire_sender(sender)
