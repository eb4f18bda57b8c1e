"""The profile questions as one table: what each field is, how it is asked, parsed, weighed and exported.

`FIELDS` drives onboarding (the questions in order), editing from /profile, the question views, the
completeness score and its tips, the invitation prefill and /mydata. Adding a question is one row here, its
migration (a `Participant` column, or an `ItemKind` for a list) and its texts: `onboarding.ask_<name>`,
`profile.field.<name>`, `profile.tip.<name>` when it has a tip, and `profile.<name>.<code>` per choice.

The input rules (typed text cleaned and limited, lists split) live here too: they are the table's parsers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import matching
from bot.cleaning import strip_controls
from bot.texts import Counted
from storage.models import ItemKind

__all__ = [
    "FIELDS",
    "FIELD_NAMES",
    "ITEM_MAX",
    "MESSAGE_MAX",
    "RELAY_MAX",
    "THEME_COUNT",
    "Field",
    "FieldKind",
    "InputProblem",
    "by_name",
    "clean_text",
    "completeness",
    "list_signal",
    "read_items",
    "split_items",
]

ITEM_MAX = 200  # one offer, need or theme
MESSAGE_MAX = 2000  # one message with several items
RELAY_MAX = 1000  # a first message passed on to an introduced partner
THEME_COUNT = 12  # profile.theme.t0 … t11 in the catalogues: the common themes offered as buttons
MORE_ITEMS = 3  # offers and needs together from which the profile counts as concrete (+5, no tip)


class InputProblem(ValueError):
    """Input that cannot be used; `key` is the catalogue text that explains it, `values` its placeholders."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def _plain(text: str | None) -> str:
    """Single-spaced text without control characters (PostgreSQL refuses NUL in text columns)."""
    return " ".join(strip_controls(text or "").split())


def clean_text(text: str | None, *, limit: int) -> str:
    """Trimmed single-spaced text within `limit` characters, or InputProblem."""
    value = _plain(text)
    if not value:
        raise InputProblem("onboarding.empty_text")
    if len(value) > limit:
        raise InputProblem("onboarding.too_long", length=Counted("characters", limit))
    return value


LIST_WORDS = 3  # commas separate items only when every part has at most this many words
# A part after a comma that starts with one of these says more about the part before: "stageplek, liefst
# niveau 3", "lesmateriaal, bijv. over zonnepanelen" (compared folded, without dots).
QUALIFIERS = frozenset(
    "liefst bijvoorkeur bijv bv bijvoorbeeld zoals vooral ook maar eventueel evt incl inclusief behalve "
    "eg ie preferably ideally especially also but including like except".split()
)


def _comma_list(line: str) -> list[str]:
    """`line` split at its commas when it is a plain list ("gastlessen, stageplekken, een bedrijfsbezoek"),
    else whole: a comma in a description ("stageplek voor een mbo'er, liefst niveau 3") or between brackets
    ("online veiligheid (phishing, wachtwoorden)") is part of one item."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in line:
        depth += (char in "([") - (char in ")]")
        if char == "," and depth <= 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    joined: list[str] = []
    for part in parts:
        if joined and _qualifies(part):
            joined[-1] += "," + part
        else:
            joined.append(part)
    if len(joined) > 1 and all(len(part.split()) <= LIST_WORDS for part in joined):
        return joined
    return [line]


def _qualifies(part: str) -> bool:
    words = part.casefold().replace(".", "").split()
    return bool(words) and (words[0] in QUALIFIERS or " ".join(words[:2]) in ("bij voorkeur", "such as"))


def _pieces(text: str | None) -> list[str]:
    """A message's list items before cleaning: one per line or semicolon, and a plain comma list split."""
    lines = strip_controls(text or "").replace(";", "\n").split("\n")
    return [piece for line in lines for piece in _comma_list(line)]


def split_items(text: str | None) -> list[str]:
    """Several items in one message, one per line or semicolon, or as a plain comma list ("gastlessen,
    stageplekken"); each within ITEM_MAX characters."""
    if text is not None and len(text) > MESSAGE_MAX:
        raise InputProblem("onboarding.too_long", length=Counted("characters", MESSAGE_MAX))
    items = [_plain(part).strip(" .-•*") for part in _pieces(text)]
    items = [item for item in items if item]
    if not items:
        raise InputProblem("onboarding.empty_text")
    if any(len(item) > ITEM_MAX for item in items):
        raise InputProblem("onboarding.item_too_long", length=Counted("characters", ITEM_MAX))
    return items


# Typed words that answer a list question without being an item (compared without case, spaces, dots,
# slashes and exclamation marks): "klaar" does what the Klaar button does, "n.v.t." means "nothing".
DONE_WORDS = frozenset({"klaar", "gereed", "slaover", "overslaan", "done", "ready", "finished", "skip"})
NOTHING_WORDS = frozenset({"nvt", "geen", "niets", "niks", "-", "--", "none", "na", "nothing"})


def _signal_key(text: str) -> str:
    return "".join(ch for ch in strip_controls(text).casefold() if not ch.isspace() and ch not in "./!")


def list_signal(text: str | None) -> str | None:
    """ "done" for a typed "klaar", "done" or "ready"; "nothing" for "n.v.t.", "geen", "-", "none", "n/a"."""
    key = _signal_key(text or "")
    if key in DONE_WORDS:
        return "done"
    if key in NOTHING_WORDS:
        return "nothing"
    return None


def read_items(text: str | None) -> tuple[list[str], list[str]]:
    """Typed list items: (the usable items, the ones over ITEM_MAX characters, which are not kept).

    Like `split_items`, but a too-long item does not sink the others, and words that mean "nothing"
    ("n.v.t.", "geen", "-") are never items. InputProblem for an over-long message.
    """
    if text is not None and len(text) > MESSAGE_MAX:
        raise InputProblem("onboarding.too_long", length=Counted("characters", MESSAGE_MAX))
    items = [_plain(part).strip(" .-•*") for part in _pieces(text) if list_signal(part) is None]
    items = [item for item in items if item]
    return [item for item in items if len(item) <= ITEM_MAX], [item for item in items if len(item) > ITEM_MAX]


class FieldKind(StrEnum):
    """How a field is asked and stored."""

    TEXT = "text"  # typed; a Participant column; a "keep" button offers the current value
    CHOICE = "choice"  # one code from a list, as buttons (a typed answer counts when it clearly names one)
    ITEMS = "items"  # a list of typed phrases: ProfileItem rows of `item_kind`
    THEMES = "themes"  # common themes as toggle buttons plus typed ones: ProfileItem rows of `item_kind`


class _Profile(Protocol):
    """What the table reads of a participant (a `storage.models.Participant`)."""

    name: str | None
    organisation: str | None
    role: str | None
    region: str | None
    reach: str


Items = Mapping[str, Sequence[Any]]  # item kind → the participant's items of that kind


@dataclass(frozen=True)
class Field:
    """One profile question. Column fields (text, choice) are stored in the `Participant` column `name`."""

    name: str
    kind: FieldKind
    weight: int = 0  # completeness points when filled in
    tip_rank: int | None = None  # the place of its tip in /profile's list (None: never a tip)
    limit: int = 0  # TEXT: at most this many characters
    codes: tuple[str, ...] = ()  # CHOICE: the codes on offer, in button order
    per_row: int = 2  # CHOICE: buttons per row
    unset_codes: tuple[str, ...] = ()  # CHOICE: codes that count as not filled in for completeness
    parse: Callable[[str], str | None] | None = None  # CHOICE: a typed answer → its code, when clear
    prefill: Callable[[object], str | None] | None = None  # an invitation's value → the stored value
    announce_prefill: bool = True  # listed among the prefilled answers of an invitation
    item_kind: ItemKind | None = None  # ITEMS, THEMES

    @property
    def column(self) -> bool:
        """True when the answer is a `Participant` column (else a list of profile items)."""
        return self.kind in (FieldKind.TEXT, FieldKind.CHOICE)

    @property
    def export(self) -> str:
        """Its key in /mydata (columns under `participant`; items are listed by kind)."""
        return self.name

    def value(self, participant: _Profile) -> str | None:
        """The stored answer of a column field."""
        return getattr(participant, self.name) if self.column else None

    def items(self, items: Items) -> Sequence[Any]:
        """The participant's items of a list field."""
        return items.get(self.item_kind, ()) if self.item_kind is not None else ()

    def answered(self, participant: _Profile, items: Items) -> bool:
        """True once the question has an answer (what onboarding resumes from)."""
        return bool(self.value(participant)) if self.column else bool(self.items(items))

    def filled(self, participant: _Profile, items: Items) -> bool:
        """True when the answer counts for completeness."""
        if self.column:
            value = self.value(participant)
            return bool(value) and value not in self.unset_codes
        return bool(self.items(items))


# -- parsers of typed choices and invitation values ------------------------------------------------------
def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def _typed_role(text: str) -> str | None:
    folded = _fold(text)
    code = matching.parse_role(folded)
    return None if code == "other" and "other" not in folded and "ander" not in folded else code


def _typed_region(text: str) -> str | None:
    folded = _fold(text)
    code = matching.parse_region(folded)
    if code == "outside" and not any(word in folded for word in ("buiten", "outside", "elders")):
        return None
    return code


_REACH_WORDS = (
    ("own", ("eigen", "own", "alleen")),
    ("neighbours", ("buur", "neighbour", "neighbor")),
    ("anywhere", ("overal", "anywhere", "maakt niet uit", "everywhere")),
)


def _typed_reach(text: str) -> str | None:
    folded = _fold(text)
    return next((code for code, words in _REACH_WORDS if any(word in folded for word in words)), None)


def _prefill_text(limit: int) -> Callable[[object], str | None]:
    def prefill(value: object) -> str | None:
        return _plain(value)[:limit] or None if isinstance(value, str) else None

    return prefill


def _prefill_parsed(parse: Callable[[str], str]) -> Callable[[object], str | None]:
    def prefill(value: object) -> str | None:
        return parse(value) if isinstance(value, str) and value.strip() else None

    return prefill


def _prefill_code(codes: tuple[str, ...]) -> Callable[[object], str | None]:
    def prefill(value: object) -> str | None:
        return value if isinstance(value, str) and value in codes else None

    return prefill


#: The questions, in the order onboarding asks them.
FIELDS: tuple[Field, ...] = (
    Field("name", FieldKind.TEXT, weight=10, tip_rank=5, limit=100, prefill=_prefill_text(100)),
    Field("organisation", FieldKind.TEXT, weight=10, tip_rank=4, limit=150, prefill=_prefill_text(150)),
    Field(
        "role",
        FieldKind.CHOICE,
        weight=10,
        tip_rank=2,
        codes=matching.ROLES,
        unset_codes=("other",),
        parse=_typed_role,
        prefill=_prefill_parsed(matching.parse_role),
    ),
    Field(
        "region",
        FieldKind.CHOICE,
        weight=10,
        tip_rank=3,
        codes=matching.REGIONS,
        parse=_typed_region,
        prefill=_prefill_parsed(matching.parse_region),
    ),
    Field(
        "reach",
        FieldKind.CHOICE,
        codes=matching.REACHES,
        per_row=1,
        parse=_typed_reach,
        prefill=_prefill_code(matching.REACHES),
        announce_prefill=False,
    ),
    Field("offers", FieldKind.ITEMS, weight=20, tip_rank=1, item_kind=ItemKind.OFFER),
    Field("needs", FieldKind.ITEMS, weight=25, tip_rank=0, item_kind=ItemKind.NEED),
    Field("themes", FieldKind.THEMES, weight=10, tip_rank=6, item_kind=ItemKind.THEME),
)
FIELD_NAMES: tuple[str, ...] = tuple(field.name for field in FIELDS)
_BY_NAME = {field.name: field for field in FIELDS}


def by_name(name: str | None) -> Field | None:
    """The field called `name`, or None."""
    return _BY_NAME.get(name or "")


def completeness(participant: _Profile, items: Items) -> tuple[int, list[str]]:
    """How complete the profile is (0–100) and the tips (catalogue keys) that would improve suggestions."""
    score = sum(field.weight for field in FIELDS if field.filled(participant, items))
    concrete = len(items.get(ItemKind.OFFER, ())) + len(items.get(ItemKind.NEED, ())) >= MORE_ITEMS
    if concrete:
        score += 5
    missing = [f for f in FIELDS if f.tip_rank is not None and not f.filled(participant, items)]
    tips = [f"profile.tip.{field.name}" for field in sorted(missing, key=lambda f: f.tip_rank or 0)]
    if not concrete:
        tips.append("profile.tip.more_items")
    return min(100, score), tips
