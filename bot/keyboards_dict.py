"""Inline keyboards kept as Bot API dicts (as the outbox stores them), turned into PTB objects for replies."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

__all__ = ["markup_from_dict"]


def markup_from_dict(markup: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    """`{"inline_keyboard": [[{"text": ..., "callback_data": ...}]]}` as an InlineKeyboardMarkup."""
    if not markup:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(**button) for button in row] for row in markup.get("inline_keyboard", [])]
    )
