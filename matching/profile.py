"""The participant profile: what the matcher knows about one person."""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def organisation_key(organisation: str) -> str:
    """Normalised organisation name used for same-organisation exclusion and diversity ("" if none)."""
    folded = re.sub(r"\b(b v|n v|v o f)\b", " ", fold(clip(organisation)))
    words = [w for w in folded.split() if w not in _LEGAL_FORMS]
    return " ".join(words)
