"""Inline keyboards, built one way: rows of `Button`s from small pure `build_*` functions (views).

The same rows become an InlineKeyboardMarkup for a direct reply (`to_markup`) or Bot API JSON for an outbox
row (`to_dict`), so a card looks the same whichever way it travels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestUsers,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

__all__ = ["Button", "Keyboard", "grid", "remove_reply_keyboard", "to_dict", "to_markup", "user_picker"]


@dataclass(frozen=True)
class Button:
    """One inline button: callback data (made with bot.callbacks.pack) or a URL."""

    text: str
    data: str | None = None
    url: str | None = None


Keyboard = list[list[Button]]


def grid(buttons: list[Button], per_row: int) -> Keyboard:
    """Buttons in rows of `per_row`."""
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def to_markup(rows: Keyboard | None) -> InlineKeyboardMarkup | None:
    """The keyboard for a direct reply (None when there are no buttons)."""
    if not rows or not any(rows):
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data, url=b.url) for b in row] for row in rows if row]
    )


def to_dict(rows: Keyboard | None) -> dict[str, Any] | None:
    """The keyboard as Bot API JSON, for an outbox payload."""
    if not rows or not any(rows):
        return None
    keyboard: list[list[dict[str, str]]] = []
    for row in rows:
        if not row:
            continue
        out: list[dict[str, str]] = []
        for button in row:
            item = {"text": button.text}
            if button.url is not None:
                item["url"] = button.url
            else:
                item["callback_data"] = button.data or ""
            out.append(item)
        keyboard.append(out)
    return {"inline_keyboard": keyboard}


def user_picker(label: str, request_id: int) -> ReplyKeyboardMarkup:
    """A one-time reply keyboard with one button that opens Telegram's user picker (one person, not a bot).

    Telegram answers with a `users_shared` message carrying `request_id`, the user's id, name and username.
    """
    request = KeyboardButtonRequestUsers(
        request_id, user_is_bot=False, max_quantity=1, request_name=True, request_username=True
    )
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label, request_users=request)]], one_time_keyboard=True, resize_keyboard=True
    )


def remove_reply_keyboard() -> ReplyKeyboardRemove:
    """Takes a reply keyboard (the user picker) away."""
    return ReplyKeyboardRemove()
