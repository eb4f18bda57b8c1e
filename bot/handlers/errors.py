"""The one error handler, and the guard that keeps the bot out of groups and channels."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.context import KoppelContext
from bot.handlers.retention import forget_seen
from bot.limiter import NotSent
from bot.services import db, participants
from bot.texts import language_for, t

__all__ = ["chat_blocked", "leave_group", "on_error"]

logger = logging.getLogger(__name__)


async def leave_group(update: Update, context: KoppelContext) -> None:
    """Say the bot is for private chats only, then leave the group (channels: just leave)."""
    chat = update.effective_chat
    if chat is None:
        return
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and update.effective_message is not None:
        language = language_for(update.effective_user.language_code if update.effective_user else None)
        try:
            await update.effective_message.reply_text(
                t(language, "common.private_only", bot_username=context.bot.username)
            )
        except TelegramError as exc:
            logger.info("could not explain in a %s: %s", chat.type, type(exc).__name__)
    try:
        await context.bot.leave_chat(chat.id)
    except TelegramError as exc:
        logger.info("could not leave a %s: %s", chat.type, type(exc).__name__)


async def _mark_blocked(update: object, context: KoppelContext) -> None:
    """After a 403 on a direct reply in a private chat: the person behind the chat becomes `blocked`."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    await chat_blocked(context, update.effective_chat.id, what=f"update {update.update_id}")


async def chat_blocked(context: KoppelContext, chat_id: int, *, what: str) -> None:
    """A 403 from `chat_id` (a private chat): the person behind it becomes `blocked`, their queued messages
    stop. `what` names the call for the log (no personal data)."""
    moment = context.clock.now()
    try:
        stopped = await db.run(
            context.engine, lambda s: participants.mark_chat_blocked(s, chat_id=chat_id, now=moment)
        )
    except Exception:  # called from error paths: must not fail itself
        logger.exception("could not mark a participant as blocked")
        return
    forget_seen(context.bot_data, chat_id)  # a private chat's id is its person's
    logger.info("marked the person of %s as blocked (%d queued messages stopped)", what, stopped)


def _undelivered(error: object) -> bool:
    """True for a reply Telegram did not take after the limiter's retries (429, 5xx, network, timeout).

    Not a fault in the bot: it is logged as one line, and no notice follows (it would meet the same fate).
    A BadRequest is the bot's own fault (e.g. invalid HTML) and is treated as any other failure.
    """
    if isinstance(error, BadRequest):
        return False
    return isinstance(error, RetryAfter | NetworkError | NotSent)


async def on_error(update: object, context: KoppelContext) -> None:
    """Log the failure without personal data and tell the person, in their language, that nothing was lost."""
    error = context.error
    if _undelivered(error):
        logger.warning(
            "could not deliver a reply to update %s: %s",
            update.update_id if isinstance(update, Update) else "-",
            type(error).__name__,
        )
        return
    if isinstance(error, Forbidden):
        # The person blocked the bot while we were answering: an expected outcome, not a failure. Mark them
        # `blocked` exactly as the outbox sender does on a 403, so no digest or nudge is queued for them.
        logger.info(
            "could not answer update %s: the person blocked the bot",
            update.update_id if isinstance(update, Update) else "-",
        )
        await _mark_blocked(update, context)
        return
    logger.error(
        "unhandled %s while handling update %s",
        type(error).__name__,
        update.update_id if isinstance(update, Update) else "-",
        exc_info=error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE or isinstance(error, Forbidden):
        return
    language = language_for(update.effective_user.language_code if update.effective_user else None)
    try:
        await context.bot.send_message(update.effective_chat.id, t(language, "common.error"))
    except TelegramError as exc:
        logger.warning("could not report the error to the chat: %s", type(exc).__name__)
