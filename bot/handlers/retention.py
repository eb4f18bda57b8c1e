"""The retention promise in the conversation: activity is recorded, and "Ik doe nog mee" keeps a person.

- `record_activity` sees every update first (group -2) and sets the person's `last_seen_at` (and makes someone
  marked blocked active again: they unblocked the bot), and records once that an organiser's chat exists, at
  most once per `ACTIVITY_RESOLUTION` per person and process: a dictionary lookup for every other update.
- `keep_button` answers `ret:keep`, the button under the warning.

The daily pass itself runs on the job queue (bot.jobs.retention).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlmodel import Session
from telegram import Update

from bot.context import BotData, KoppelContext
from bot.handlers.common import answer_query, edit_or_send, now, person_of, pressed
from bot.services import db, organisers, retention
from bot.texts import t

__all__ = ["ACTIVITY_RESOLUTION", "forget_seen", "keep_button", "record_activity"]

logger = logging.getLogger(__name__)

ACTIVITY_RESOLUTION = dt.timedelta(hours=1)  # last_seen_at is written at most this often per person
_SEEN = "activity_seen"
_SEEN_MAX = 100_000


def forget_seen(data: BotData, user_id: int) -> None:
    """The person was just marked blocked: their next update is recorded at once (it unblocks them)."""
    _seen(data).pop(user_id, None)


def _seen(data: BotData) -> dict[int, dt.datetime]:
    seen: dict[int, dt.datetime] = data.extras.setdefault(_SEEN, {})
    if len(seen) > _SEEN_MAX:  # bound the memory: forgetting only costs one extra write per person
        seen.clear()
    return seen


async def record_activity(update: object, context: KoppelContext) -> None:
    """Any update of a person: they were active now (one write per person per ACTIVITY_RESOLUTION); for an
    organiser in their private chat, that the chat exists (`organiser_chat`, once)."""
    if not isinstance(update, Update) or update.effective_user is None or update.effective_user.is_bot:
        return
    user_id = update.effective_user.id
    moment = now(context)
    seen = _seen(context.bot_data)
    last = seen.get(user_id)
    blocked: set[int] = getattr(context.bot_data.sender, "blocked_chats", set())
    if last is not None and last <= moment < last + ACTIVITY_RESOLUTION and user_id not in blocked:
        return
    private = update.effective_chat is not None and update.effective_chat.id == user_id
    configured = context.settings.organiser_ids

    def record(session: Session) -> None:
        retention.record_activity(session, telegram_id=user_id, now=moment, resolution=ACTIVITY_RESOLUTION)
        if private:  # an organiser's chat exists now: their weekly summary can arrive
            organisers.record_chat(session, telegram_id=user_id, configured=configured, now=moment)

    try:
        await db.run(context.engine, record)
    except Exception as exc:  # the update itself must still be handled
        logger.warning("could not record activity: %s", type(exc).__name__)
        return
    seen[user_id] = moment
    blocked.discard(user_id)


async def keep_button(update: Update, context: KoppelContext) -> None:
    """`ret:keep`: "Ik doe nog mee" under the retention warning; the person stays and nothing is erased."""
    found = await pressed(update, "ret")
    person = person_of(update)
    if found is None or person is None:
        return
    query, data = found
    moment = now(context)
    keep = data.args == ("keep",)
    language, kept = await db.run(
        context.engine, lambda session: retention.keep(session, person=person, now=moment, really=keep)
    )
    if not keep:
        await answer_query(query, t(language, "account.old_button"), alert=True)
        return
    if not kept:  # erased already, or never registered: nothing to keep
        await answer_query(query, t(language, "account.not_registered"), alert=True)
        return
    _seen(context.bot_data)[person.telegram_id] = moment
    await answer_query(query)
    await edit_or_send(update, t(language, "retention.kept"))
