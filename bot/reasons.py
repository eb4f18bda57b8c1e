"""Why a pair was suggested, in words: the matcher's structured reasons rendered from the catalogues.

`matching` returns `Reason`s (a kind and its parameters: the two phrases, the shared themes, both regions);
this module turns them into lines from `bot/locales/<lang>/reasons.toml`, with region names from
`regions.toml`. Lines are HTML (values escaped by `bot.texts.t`); `plain` makes terminal text of them for
`koppelbot match`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from bot.texts import first_name, region_in, t
from matching import Profile, Reason, Suggestion
from matching.suggestion import REASON_KINDS

__all__ = ["plain", "reason_line", "reason_lines", "render_plain"]

_PHRASE_KINDS = REASON_KINDS[:4]  # need_offer, offer_need, need_need, offer_offer
_TAG = re.compile(r"<[^>]+>")
# A typed phrase that opens with the verb the line already says ("Jij zoekt wij zoeken een bedrijf …"):
# that opening is left out of the quote.
_OPENING = {
    "need": re.compile(
        r"^(?:wij|we|ik|i)\s+(?:zoeken|zoek|zijn op zoek naar|ben op zoek naar|"
        r"are looking for|am looking for|look for|need|seek)\s+(?=\S)",
        re.IGNORECASE,
    ),
    "offer": re.compile(
        r"^(?:wij|we|ik|i)\s+(?:bieden|bied|hebben|heb|offer|provide|have)\s+(?=\S)", re.IGNORECASE
    ),
}
_SIDES = {
    "need_offer": ("need", "offer"),
    "offer_need": ("offer", "need"),
    "need_need": ("need", "need"),
    "offer_offer": ("offer", "offer"),
}


def _quote(text: str, side: str) -> str:
    """The phrase as the line quotes it: without an opening that repeats the line's verb, and without the
    exclamation marks or the full stop at its end (the line ends with its own; an ellipsis stays)."""
    quoted = _OPENING[side].sub("", text.strip()).rstrip(" !?")
    if quoted.endswith(".") and not quoted.endswith(".."):
        quoted = quoted[:-1]
    return quoted or text


def _listed(language: str, items: Sequence[str]) -> str:
    """ "a", "a en b", "a, b en c" (the last joined with the language's "and")."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t(language, 'reasons.and')} {items[-1]}"


def reason_line(language: str, reason: Reason, name: str) -> str | None:
    """One reason as a line of HTML, from the reader's point of view; None for a kind without a text."""
    if reason.kind in _PHRASE_KINDS:
        partial = reason.topic_only or reason.kind_only
        key = f"reasons.{reason.kind}_topic" if partial else f"reasons.{reason.kind}"
        own_side, other_side = _SIDES[reason.kind]
        own, other = _quote(reason.own_text, own_side), _quote(reason.other_text, other_side)
        return t(language, key, own=own, other=other, name=name)
    if reason.kind == "themes":
        return t(
            language, "reasons.themes", count=len(reason.themes), themes=_listed(language, reason.themes)
        )
    if reason.kind == "regions":
        own, theirs = reason.regions
        if own == theirs:
            return t(language, "reasons.regions_same", region=region_in(language, own))
        return t(
            language,
            "reasons.regions_other",
            own_region=region_in(language, own),
            other_region=region_in(language, theirs),
            name=name,
        )
    return None


def reason_lines(language: str, reasons: Sequence[Reason], other_name: str) -> list[str]:
    """Every reason of a suggestion as HTML lines; `other_name` is the other person's (full) name."""
    name = first_name(other_name, "…")
    return [line for reason in reasons if (line := reason_line(language, reason, name)) is not None]


def plain(line: str) -> str:
    """A rendered line as terminal text (tags dropped, entities undone)."""
    return html.unescape(_TAG.sub("", line))


def render_plain(suggestion: Suggestion, profiles: Mapping[str, Profile], language: str) -> list[str]:
    """The reasons of `suggestion` as plain lines, for `koppelbot match` (`matching.cli`'s renderer)."""
    other = profiles.get(suggestion.other_id)
    name = (other.name if other is not None else "") or suggestion.other_id
    return [plain(line) for line in reason_lines(language, suggestion.reasons, name)]
