"""The organisers' scheduled work: broadcast progress messages and the weekly summary.

Scheduled by `bot.jobs.schedule` on the application's job queue; what is due lives in our tables (the
broadcast rows, the JobRun claim of each week's summary), so a restart or a second worker changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import BadRequest, TelegramError

from bot.context import KoppelContext
from bot.keyboards import to_markup
from bot.organiser_views import progress_keyboard
from bot.services import db
from bot.services.broadcasts import progress_updates
from bot.services.stats import send_weekly_summary

__all__ = ["SUMMARY_CHECK_SECONDS", "progress_job", "schedule_organiser_jobs", "weekly_summary_job"]

logger = logging.getLogger(__name__)

SUMMARY_CHECK_SECONDS = 15 * 60


async def progress_job(context: KoppelContext) -> None:
    """Edit running broadcasts' progress messages (at most once per interval) and make the final reports."""
    interval = context.settings.broadcast_progress_seconds
    edits = await db.call(progress_updates, context.engine, interval=interval)
    for edit in edits:
        rows = None if edit.finished else progress_keyboard(edit.language, edit.broadcast_id)
        try:
            await context.bot.edit_message_text(
                edit.text, chat_id=edit.chat_id, message_id=edit.message_id, reply_markup=to_markup(rows)
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                logger.info("could not update a broadcast's progress: %s", type(exc).__name__)
        except TelegramError as exc:
            logger.info("could not update a broadcast's progress: %s", type(exc).__name__)


async def weekly_summary_job(context: KoppelContext) -> None:
    """Every quarter of an hour: queue the organisers' weekly summary once it is due (once a week)."""
    now = context.bot_data.clock.now()
    await db.call(send_weekly_summary, context.engine, context.settings, now=now)


def schedule_organiser_jobs(application: Any) -> None:
    """The organisers' periodic work on the shared job queue."""
    queue = application.job_queue
    if queue is None:
        return
    interval = application.bot_data.settings.broadcast_progress_seconds
    queue.run_repeating(progress_job, interval=interval, first=interval, name="broadcast-progress")
    queue.run_repeating(
        weekly_summary_job, interval=SUMMARY_CHECK_SECONDS, first=60, name="organiser-summary"
    )
