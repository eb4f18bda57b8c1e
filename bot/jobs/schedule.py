"""The schedule: which jobs run when, on PTB's job queue (APScheduler 3 underneath).

APScheduler only triggers the work; what is due lives in our tables (JobRun claims, FollowUp rows, the
outbox), so a missed trigger, a restart or a second worker never loses or doubles anything:

- the weekly digest: a cron trigger on DIGEST_DAY at DIGEST_TIME in TIMEZONE, plus a check shortly after
  start-up (and every `CHECK_INTERVAL`) whether this week's digest is due and not done, within
  DIGEST_GRACE_HOURS: a digest missed while the bot was down is sent after the restart;
- follow-up nudges: every `FOLLOWUP_INTERVAL`, follow-ups are planned for new introductions and due ones
  are queued (quiet hours respected);
- the retention pass: once a day (JobRun `retention:<date>`), see bot.services.retention.

Jobs read the time from `bot_data.clock`, so tests and the demo can move it. `start_jobs(application)` and
`stop_jobs(application)` are called from the application's post_init and post_stop (see `bot.app`), so
`koppelbot run`, `koppelbot worker`, the demo and the end-to-end tests all run them the same way.
`RUN_JOBS=false` leaves them out of a process (e.g. extra webhook processes).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from bot import metrics
from bot.jobs.organiser import schedule_organiser_jobs
from bot.jobs.retention import schedule_retention
from bot.jobs.sender import OutboxSender
from bot.services import db, digest, followups

__all__ = [
    "CHECK_INTERVAL",
    "FOLLOWUP_INTERVAL",
    "catch_up_job",
    "digest_job",
    "followup_job",
    "schedule_jobs",
    "start_jobs",
    "stop_jobs",
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


async def start_jobs(application: Any) -> None:
    """Start the outbox sender and schedule the periodic jobs on the application's job queue."""
    data = application.bot_data
    if not data.settings.run_jobs or data.sender is not None:
        return
    sender = OutboxSender.from_settings(application.bot, data.engine, data.settings, clock=data.clock)
    data.sender = sender
    metrics.watch_sender(sender)
    await sender.start()
    schedule_jobs(application)


async def stop_jobs(application: Any) -> None:
    """Stop the outbox sender (in-flight sends finish, claimed rows go back to pending)."""
    data = application.bot_data
    sender = data.sender
    if sender is None:
        return
    data.sender = None
    await sender.stop()
    metrics.retire_sender(sender)


def schedule_jobs(application: Any) -> None:
    """Register the digest trigger, the digest catch-up check and the follow-up round."""
    job_queue = application.job_queue
    if job_queue is None:
        logger.warning("no job queue (install python-telegram-bot[job-queue]); scheduled jobs are off")
        return
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
            report = await db.call(
                run, data.engine, settings=data.settings, now=data.clock.now(), matcher=data.matcher
            )
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
            await db.call(followups.run_followups, data.engine, settings=data.settings, now=data.clock.now())
        except Exception:
            logger.exception("the follow-up round failed; the next round tries again")
