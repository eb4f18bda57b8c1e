"""The schedule: which jobs run when, on PTB's job queue (APScheduler 3 underneath).

APScheduler only triggers the work; what is due lives in our tables (JobRun claims, FollowUp rows, the
outbox), so a missed trigger or a second worker never loses or doubles anything.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["schedule_jobs"]

logger = logging.getLogger(__name__)


def schedule_jobs(application: Any) -> None:
    """Register the periodic jobs (nothing yet besides the sender, which runs on its own)."""
    if application.job_queue is None:
        logger.warning("no job queue (install python-telegram-bot[job-queue]); scheduled jobs are off")
        return
    from bot.handlers.organiser_broadcast import schedule_progress_job

    schedule_progress_job(application)
