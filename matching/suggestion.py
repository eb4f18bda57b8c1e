"""Results: a suggestion and the structured reasons behind it."""

from __future__ import annotations

from dataclasses import dataclass

#: Reason kinds, most important first.
REASON_KINDS: tuple[str, ...] = ("need_offer", "offer_need", "need_need", "offer_offer", "themes", "regions")


@dataclass(frozen=True, slots=True)
class Reason:
    """One structured reason, from the point of view of the participant who receives the suggestion.

    Fields:
        kind: ``need_offer`` (participant needs what the other offers), ``offer_need`` (participant offers
            what the other needs), ``need_need`` / ``offer_offer`` (counterparts: the participant needs
            interns, the other an internship place; or both offer the two halves), ``themes`` (shared
            themes) or ``regions`` (where both are). Phrase kinds come first, strongest first.
        own_text: the participant's own phrase (their need for ``need_offer``/``need_need``, offer for
            ``offer_need``/``offer_offer``).
        other_text: the other's phrase (their offer for ``need_offer``, need for ``offer_need``, need for
            ``need_need``, offer for ``offer_offer``).
        terms: the normalised terms the two phrases share (e.g. ``("gastles", "warmtepomp")``).
        themes: shared themes in the participant's own wording (``themes`` kind).
        regions: (participant's region, other's region) codes (``regions`` kind).
        weight: this reason's contribution to the score, for ordering.
        topic_only: a phrase reason whose two phrases share only a topic (warmtepompen, installatietechniek)
            while each names another kind of collaboration (stagiairs against gastlessen): common ground, not
            the one giving what the other seeks; the bot words it so.
        kind_only: the mirror case: the two phrases share only a kind of collaboration while each names its
            own topic, none in common (gastles lassen against gastles energietransitie); worded the same way.
    """

    kind: str
    own_text: str = ""
    other_text: str = ""
    terms: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    regions: tuple[str, str] = ("", "")
    weight: float = 0.0
    topic_only: bool = False
    kind_only: bool = False


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A suggested partner ``other_id`` for ``participant_id``; ``score`` is higher for better pairs."""

    participant_id: str
    other_id: str
    score: float
    reasons: tuple[Reason, ...] = ()
