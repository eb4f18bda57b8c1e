"""Texts a person reads, from one catalogue per language (`bot/locales/<lang>/*.toml`).

Each TOML file is a domain (`start.toml` → keys `start.<name>`), so features keep their texts apart. Values
are HTML (Telegram's parse mode) with `{placeholders}`; every value passed in is HTML-escaped here, so a
name like `<b>Eve</b>` is shown, never interpreted. Dutch is the default; a key missing in a language falls
back to Dutch (a test keeps the catalogues complete). People whose Telegram language has no catalogue get
DEFAULT_LANGUAGE (`language_for`).

Plurals work as in CLDR/ICU/Fluent, kept small: a text that depends on a number is a TOML table with one
form per plural category (`one`, `other`), e.g.

    [new]
    one = "Er is <b>1 nieuwe suggestie</b> voor je."
    other = "Er zijn <b>{count} nieuwe suggesties</b> voor je."

and is rendered with `t(language, "digest.new", count=n)`: the category comes from `plural_category` (Dutch
and English: `one` for exactly 1, `other` for everything else, 0 included) and `{count}` is filled in with
the language's thousands separator. A sentence with several numbers names each one with a counted noun
from `count.toml` (`t(language, "count.participants", count=n)` → "1 deelnemer", "3 deelnemers").
"""

from __future__ import annotations

import html
import re
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from bot.numbers import count

__all__ = [
    "LANGUAGES",
    "PLURAL_CATEGORIES",
    "Counted",
    "Markup",
    "catalogue",
    "is_plural",
    "plural_category",
    "region_in",
    "region_name",
    "default_language",
    "first_name",
    "language_for",
    "set_default_language",
    "t",
]

LOCALES = Path(__file__).with_name("locales")
LANGUAGES = ("nl", "en")
DEFAULT = "nl"
# CLDR plural categories used by the catalogues' languages (nl and en have exactly these two for integers).
PLURAL_CATEGORIES = ("one", "other")


class Markup(str):
    """A value that is already safe HTML and must not be escaped again."""


class Counted(NamedTuple):
    """A number with its noun from `count.toml`, filled in by `t` in the text's own language.

    `t("nl", "onboarding.too_long", length=Counted("characters", 200))` → "… maximaal 200 tekens."
    """

    noun: str
    number: int


def _flatten(prefix: str, table: Mapping[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, Mapping) and set(value) == set(PLURAL_CATEGORIES):
            # A plural entry: kept as `name.one` and `name.other`, chosen by `t(..., count=n)`.
            for category in PLURAL_CATEGORIES:
                into[f"{name}.{category}"] = str(value[category])
        elif isinstance(value, Mapping):
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


def plural_category(language: str, count: int) -> str:
    """The CLDR plural category of a whole number: Dutch and English say "1 school", "0 / 2 scholen"."""
    del language  # both catalogue languages share the rule; a new language adds its own here
    return "one" if count == 1 else "other"


def is_plural(key: str, language: str = DEFAULT) -> bool:
    """Whether `key` is a plural entry (has `one` and `other` forms, needs `count`)."""
    texts = catalogue(language if language in LANGUAGES else DEFAULT)
    return key not in texts and all(f"{key}.{c}" in texts for c in PLURAL_CATEGORIES)


# Words people put before their name ("Juf Anne", "Wethouder Jansen", "Dr. Smit"): not a first name.
_TITLES = frozenset(
    "juf juffrouw meester meneer mevrouw dhr mevr mw hr mr mrs ms miss dr drs ir ing prof wethouder "
    "burgemeester gedeputeerde".split()
)
_INITIALS = re.compile(r"^(?:[^\W\d_]\.)+$|^[^\W\d_]$")


def first_name(name: str | None, fallback: str = "") -> str:
    """How a text addresses or names a person informally ("Marieke Jansen" → "Marieke"). A name that starts
    with a title or initials is used whole ("Juf Anne", "J. de Vries"): its first word is no first name."""
    parts = (name or "").split()
    if not parts:
        return fallback
    if len(parts) > 1 and (parts[0].rstrip(".").casefold() in _TITLES or _INITIALS.match(parts[0])):
        return " ".join(parts)
    return parts[0]


def region_name(language: str, code: str | None) -> str:
    """A region's name ("foodvalley" → "FoodValley"), from `regions.toml`, the one place regions are named."""
    return catalogue(language if language in LANGUAGES else DEFAULT).get(f"regions.name.{code}", code or "")


def region_in(language: str, code: str | None) -> str:
    """A region inside a sentence ("achterhoek" → "in de Achterhoek"), from `regions.toml`."""
    return catalogue(language if language in LANGUAGES else DEFAULT).get(f"regions.in.{code}", code or "")


def _escape(value: object) -> str:
    if isinstance(value, Markup):
        return str(value)
    return html.escape(str(value), quote=False)


def t(language: str, key: str, /, **values: object) -> str:
    """The text `key` in `language`, with `values` HTML-escaped into its placeholders.

    For a plural entry pass the number as `count` (an int): it picks the form and fills `{count}`.
    """
    language = language if language in LANGUAGES else DEFAULT
    if is_plural(key, language):
        number = values.get("count")
        if not isinstance(number, int) or isinstance(number, bool):
            raise TypeError(f"{key} is a plural text: pass count=<int>")
        key = f"{key}.{plural_category(language, number)}"
        values = {**values, "count": count(number, language)}
    template = catalogue(language).get(key) or catalogue(DEFAULT)[key]
    values = {
        name: Markup(t(language, f"count.{v.noun}", count=v.number)) if isinstance(v, Counted) else v
        for name, v in values.items()
    }
    return string.Formatter().vformat(template, (), {name: _escape(v) for name, v in values.items()})
