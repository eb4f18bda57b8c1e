"""The daily retention pass on the job queue: checked every hour, run once a day across processes
(JobRun `retention:<date>`); what it does is bot.services.retention."""

from __future__ import annotations

import logging
from typing import Any

from bot.services import db, retention

__all__ = ["retention_job", "schedule_retention"]

logger = logging.getLogger(__name__)

CHECK_SECONDS = 60 * 60.0  # how often the job asks "has today's pass run?"
FIRST_CHECK_SECONDS = 60.0


async def retention_job(context: Any) -> None:
    """Once a day (across processes): warn, erase and clear what the retention promise says."""
    data = context.bot_data
    try:  # the pass logs what it did
        await db.call(
            retention.run_retention_if_due, data.engine, settings=data.settings, now=data.clock.now()
        )
    except Exception:
        logger.exception("the retention pass failed; the next check tries again")


def schedule_retention(application: Any) -> None:
    """Check every hour whether today's retention pass has run (called from bot.jobs.schedule)."""
    queue = application.job_queue
    if queue is None:
        return
    queue.run_repeating(retention_job, interval=CHECK_SECONDS, first=FIRST_CHECK_SECONDS, name="retention")
