"""The schedule: which jobs run when, on PTB's job queue (APScheduler 3 underneath).

APScheduler only triggers the work; what is due lives in our tables (JobRun claims, FollowUp rows, the
outbox), so a missed trigger, a restart or a second worker never loses or doubles anything:

- the weekly digest: a cron trigger on DIGEST_DAY at DIGEST_TIME in TIMEZONE, plus a check shortly after
  start-up (and every `CHECK_INTERVAL`) whether this week's digest is due and not done, within
  DIGEST_GRACE_HOURS: a digest missed while the bot was down is sent after the restart;
- follow-up nudges: every `FOLLOWUP_INTERVAL`, follow-ups are planned for new introductions and due ones
  are queued (quiet hours respected);
- the retention pass: once a day (JobRun `retention:<date>`), see bot.services.retention.

Jobs read the time from `bot_data.clock`, so tests and the demo can move it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from bot.services import digest, followups
from storage import session_scope
from storage.status import record_round

__all__ = [
    "CHECK_INTERVAL",
    "FOLLOWUP_INTERVAL",
    "catch_up_job",
    "digest_job",
    "followup_job",
    "schedule_jobs",
]

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 15 * 60.0  # seconds between "is a digest due?" checks
FOLLOWUP_INTERVAL = 5 * 60.0  # seconds between follow-up rounds


def _lock(data: Any) -> asyncio.Lock:
    """One job at a time per application (a lock made in the application's own event loop)."""
    lock = data.extras.get("engagement_lock")
    if lock is None:
        lock = data.extras["engagement_lock"] = asyncio.Lock()
    return lock


def schedule_jobs(application: Any) -> None:
    """Register the digest trigger, the digest catch-up check and the follow-up round."""
    job_queue = application.job_queue
    if job_queue is None:
        logger.warning("no job queue (install python-telegram-bot[job-queue]); scheduled jobs are off")
        return
    from bot.handlers.organiser import schedule_organiser_jobs
    from bot.handlers.retention import schedule_retention

    schedule_organiser_jobs(application)
    schedule_retention(application)
    settings = application.bot_data.settings
    trigger = CronTrigger(
        day_of_week=settings.digest_day,
        hour=settings.digest_time.hour,
        minute=settings.digest_time.minute,
        timezone=settings.tz,
    )
    job_queue.run_custom(digest_job, job_kwargs={"trigger": trigger}, name="digest")
    job_queue.run_repeating(catch_up_job, interval=CHECK_INTERVAL, first=1.0, name="digest-catch-up")
    job_queue.run_repeating(followup_job, interval=FOLLOWUP_INTERVAL, first=2.0, name="followups")


async def digest_job(context: Any) -> None:
    """The planned moment: run this week's digest (the JobRun claim makes a second run a no-op)."""
    await _digest(context, catch_up=False)


async def catch_up_job(context: Any) -> None:
    """Shortly after start-up and then now and again: run a digest that is due and not done yet."""
    await _digest(context, catch_up=True)


async def _digest(context: Any, *, catch_up: bool) -> None:
    data = context.bot_data
    run = digest.run_digest_if_due if catch_up else digest.run_digest
    async with _lock(data):
        try:
            report = await asyncio.to_thread(run, data.engine, settings=data.settings, now=data.clock.now())
        except Exception:
            logger.exception("the digest failed; the next check tries again")
            return
    if report is not None and report.ran:
        logger.info("digest %s queued %d messages", report.week, report.messages)


async def followup_job(context: Any) -> None:
    """Plan follow-ups for new introductions and queue the due ones."""
    data = context.bot_data
    async with _lock(data):
        try:
            await asyncio.to_thread(_followup_round, data)
        except Exception:
            logger.exception("the follow-up round failed; the next round tries again")


def _followup_round(data: Any) -> None:
    """One follow-up round, and the moment it finished (for `koppelbot status`)."""
    now = data.clock.now()
    report = followups.run_followups(data.engine, settings=data.settings, now=now)
    with session_scope(data.engine) as session:
        record_round(session, name="followups", now=now, details=dataclasses.asdict(report))
