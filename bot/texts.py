"""Texts a person reads, from one catalogue per language (`bot/locales/<lang>/*.toml`).

Each TOML file is a domain (`start.toml` → keys `start.<name>`), so features keep their texts apart. Values
are HTML (Telegram's parse mode) with `{placeholders}`; every value passed in is HTML-escaped here, so a
name like `<b>Eve</b>` is shown, never interpreted. Dutch is the default; a key missing in a language falls
back to Dutch (a test keeps the catalogues complete). People whose Telegram language has no catalogue get
DEFAULT_LANGUAGE (`language_for`).
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "LANGUAGES",
    "Markup",
    "catalogue",
    "default_language",
    "language_for",
    "set_default_language",
    "t",
]

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = ("nl", "en")
DEFAULT = "nl"


class Markup(str):
    """A value that is already safe HTML and must not be escaped again."""


def _flatten(prefix: str, table: Mapping[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            _flatten(name, value, into)
        else:
            into[name] = str(value)


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every text of one language, keyed `domain.name`."""
    texts: dict[str, str] = {}
    for path in sorted((LOCALES / language).glob("*.toml")):
        with path.open("rb") as handle:
            _flatten(path.stem, tomllib.load(handle), texts)
    return texts


# The language for people whose Telegram language is none of LANGUAGES: DEFAULT_LANGUAGE, set when the bot
# starts (bot.app.post_init). One value per process, like the settings it comes from.
_fallback = {"language": DEFAULT}


def set_default_language(language: str) -> None:
    """Use `language` for people whose Telegram language has no catalogue (DEFAULT_LANGUAGE)."""
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for {language!r}")
    _fallback["language"] = language


def default_language() -> str:
    """DEFAULT_LANGUAGE of this process (see `set_default_language`)."""
    return _fallback["language"]


def language_for(code: str | None, default: str | None = None) -> str:
    """The catalogue language for a Telegram `language_code` (en-GB → en; anything else → the default).

    The default is `default` when given, else DEFAULT_LANGUAGE (see `set_default_language`).
    """
    if code and code.split("-")[0].lower() in LANGUAGES:
        return code.split("-")[0].lower()
    return default or _fallback["language"]


def _escape(value: object) -> str:
    if isinstance(value, Markup):
        return str(value)
    return html.escape(str(value), quote=False)


def t(language: str, key: str, /, **values: object) -> str:
    """The text `key` in `language`, with `values` HTML-escaped into its placeholders."""
    template = catalogue(language if language in LANGUAGES else DEFAULT).get(key) or catalogue(DEFAULT)[key]
    return string.Formatter().vformat(template, (), {name: _escape(v) for name, v in values.items()})
