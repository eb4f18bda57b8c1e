"""`/start`: the privacy statement and the consent question (nothing is stored before consent)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import pack
from bot.context import KoppelContext
from bot.texts import language_for, t

__all__ = ["build_consent_keyboard", "start"]


def build_consent_keyboard(language: str) -> InlineKeyboardMarkup:
    """The two answers to the consent question."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(language, "start.consent_button"), callback_data=pack("consent", "yes"))],
            [InlineKeyboardButton(t(language, "start.decline_button"), callback_data=pack("consent", "no"))],
        ]
    )


async def start(update: Update, context: KoppelContext) -> None:  # noqa: ARG001
    """Greet the person, explain privacy and ask for consent."""
    if update.effective_message is None or update.effective_user is None:
        return
    language = language_for(update.effective_user.language_code)
    await update.effective_message.reply_text(
        t(language, "start.welcome"), reply_markup=build_consent_keyboard(language)
    )
