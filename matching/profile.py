"""The participant profile: what the matcher knows about one person."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from matching.thesaurus import clip, fold

_LEGAL_FORMS = frozenset(
    {"bv", "b v", "nv", "vof", "stichting", "foundation", "ltd", "gmbh", "inc", "de", "het"}
)


@dataclass(frozen=True)
class Profile:
    """One participant.

    Fields:
        id: stable identifier (the bot's participant id); unique within one matching run.
        name: display name used in reasons ("Ruud Jansen").
        organisation: organisation name as written; pairs within one (normalised) organisation are never
            suggested. Empty means "no organisation" and never excludes anyone.
        role: a code from ``ROLES`` (use ``parse_role`` on human text).
        region: a code from ``REGIONS`` (use ``parse_region`` on human text).
        reach: a code from ``REACHES``: partners from the ``own`` region only, own and ``neighbours``, or
            ``anywhere``. A pair is allowed only if each side's reach admits the other's region.
        offers: short phrases of what this person offers ("gastlessen warmtepomp-installatie").
        needs: short phrases of what this person looks for ("stageplekken installatietechniek").
        themes: interests/themes ("energietransitie", "food tech").
        active: False for paused, blocked or deleted participants: they are never suggested nor served.
    """

    id: str
    name: str = ""
    organisation: str = ""
    role: str = "other"
    region: str = "outside"
    reach: str = "anywhere"
    offers: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    active: bool = True


_JOINED = re.compile(r"\s\+\s")  # "werkplaats + begeleider": a plus between words joins two items
_WORD = re.compile(r"[^\W\d_]{3}")


def _split(text: str) -> list[str]:
    parts = [part.strip() for part in _JOINED.split(text)] if "+" in text else [text]
    if len(parts) > 1 and all(_WORD.search(part) for part in parts):
        return parts
    return [text]  # "niveau 3 + 4" is one thing


def phrase_origins(texts: tuple[str, ...]) -> tuple[int, ...]:
    """For each phrase `as_phrases` reads from `texts`, the position of the item it comes from."""
    return tuple(k for k, text in enumerate(texts) for _ in _split(text))


def as_phrases(profile: Profile) -> Profile:
    """The profile with every offer and need that joins two things with a plus ("drone-demo op school +
    dataset met luchtfoto's") read as two phrases: on a phone "+" is typed for "and also", and one phrase of
    both halves fits neither half's partner well (each fit is a cosine over the whole phrase)."""
    offers = tuple(part for text in profile.offers for part in _split(text))
    needs = tuple(part for text in profile.needs for part in _split(text))
    if offers == profile.offers and needs == profile.needs:
        return profile
    return replace(profile, offers=offers, needs=needs)


def organisation_key(organisation: str) -> str:
    """Normalised organisation name used for same-organisation exclusion and diversity ("" if none)."""
    folded = re.sub(r"\b(b v|n v|v o f)\b", " ", fold(clip(organisation)))
    words = [w for w in folded.split() if w not in _LEGAL_FORMS]
    return " ".join(words)
