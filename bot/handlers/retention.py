"""The retention promise in the running bot: activity is recorded, "Ik doe nog mee" keeps a person, and the
daily pass (bot.services.retention) runs on the job queue.

- `record_activity` sees every update first (group -2) and sets the person's `last_seen_at`, at most once per
  `ACTIVITY_RESOLUTION` per person and process: a dictionary lookup for every other update.
- `keep_button` answers `ret:keep`, the button under the warning.
- `retention_job` runs the daily pass; `schedule_retention` puts it on the job queue (from bot.jobs.schedule).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from telegram import Update

from bot.context import BotData, KoppelContext
from bot.handlers.common import answer_query, edit_or_send, language_of, now, participant_of, pressed
from bot.services import retention
from bot.texts import t
from storage import session_scope
from storage.db import transaction
from storage.retention import record_activity as store_activity

__all__ = [
    "ACTIVITY_RESOLUTION",
    "keep_button",
    "record_activity",
    "retention_job",
    "schedule_retention",
]

logger = logging.getLogger(__name__)

ACTIVITY_RESOLUTION = dt.timedelta(hours=1)  # last_seen_at is written at most this often per person
CHECK_SECONDS = 60 * 60.0  # how often the job asks "has today's pass run?"
FIRST_CHECK_SECONDS = 60.0
_SEEN = "activity_seen"
_SEEN_MAX = 100_000


def _seen(data: BotData) -> dict[int, dt.datetime]:
    seen: dict[int, dt.datetime] = data.extras.setdefault(_SEEN, {})
    if len(seen) > _SEEN_MAX:  # bound the memory: forgetting only costs one extra write per person
        seen.clear()
    return seen


async def record_activity(update: object, context: KoppelContext) -> None:
    """Any update of a person: they were active now (one write per person per ACTIVITY_RESOLUTION)."""
    if not isinstance(update, Update) or update.effective_user is None or update.effective_user.is_bot:
        return
    user_id = update.effective_user.id
    moment = now(context)
    seen = _seen(context.bot_data)
    last = seen.get(user_id)
    if last is not None and last <= moment < last + ACTIVITY_RESOLUTION:
        return
    try:
        transaction(
            context.engine,
            lambda session: store_activity(
                session, telegram_id=user_id, now=moment, resolution=ACTIVITY_RESOLUTION
            ),
        )
    except Exception as exc:  # the update itself must still be handled
        logger.warning("could not record activity: %s", type(exc).__name__)
        return
    seen[user_id] = moment


async def keep_button(update: Update, context: KoppelContext) -> None:
    """`ret:keep`: "Ik doe nog mee" under the retention warning; the person stays and nothing is erased."""
    found = await pressed(update, "ret")
    if found is None:
        return
    query, data = found
    moment = now(context)
    with session_scope(context.engine) as session:
        participant = participant_of(session, update)
        language = language_of(update, participant)
        if participant is not None and participant.telegram_id is not None and data.args == ("keep",):
            store_activity(session, telegram_id=participant.telegram_id, now=moment)
    if data.args != ("keep",):
        await answer_query(query, t(language, "account.old_button"), alert=True)
        return
    if participant is None:  # erased already, or never registered: nothing to keep
        await answer_query(query, t(language, "account.not_registered"), alert=True)
        return
    _seen(context.bot_data)[participant.telegram_id or 0] = moment
    await answer_query(query)
    await edit_or_send(update, t(language, "retention.kept"))


async def retention_job(context: Any) -> None:
    """Once a day (across processes): warn, erase and clear what the retention promise says."""
    data = context.bot_data
    try:  # the pass logs what it did
        await asyncio.to_thread(
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
