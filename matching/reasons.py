"""Why a pair was suggested: structured reasons from the index, and their rendering in Dutch or English."""

from __future__ import annotations

from collections.abc import Mapping

from matching.index import ProfileIndex, Vector
from matching.profile import Profile
from matching.reason_texts import DEFAULT_LANGUAGE, REGION_NAMES, TEMPLATES
from matching.suggestion import Reason, Suggestion

_MAX_PER_DIRECTION = 2
_MIN_PHRASE_SCORE = 0.02


def _dot(a: Vector, b: Vector) -> tuple[float, tuple[str, ...]]:
    shared = [(a[t] * b[t], t) for t in a.keys() & b.keys()]
    shared.sort(key=lambda x: (-x[0], x[1]))
    return sum(s for s, _ in shared), tuple(t for _, t in shared)


def _phrase_reasons(
    kind: str,
    own_texts: tuple[str, ...],
    own_vectors: tuple[Vector, ...],
    other_texts: tuple[str, ...],
    other_vectors: tuple[Vector, ...],
    weight: float,
) -> list[Reason]:
    scored = []
    for a, va in enumerate(own_vectors):
        for b, vb in enumerate(other_vectors):
            s, terms = _dot(va, vb)
            if s >= _MIN_PHRASE_SCORE:
                scored.append((s, a, b, terms))
    scored.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_own: set[int] = set()
    used_other: set[int] = set()
    out: list[Reason] = []
    for s, a, b, terms in scored:
        if a in used_own or b in used_other:
            continue
        if out and s < 0.25 * out[0].weight / weight:
            break
        used_own.add(a)
        used_other.add(b)
        out.append(Reason(kind, own_texts[a], other_texts[b], terms, weight=round(s * weight, 6)))
        if len(out) == _MAX_PER_DIRECTION:
            break
    return out


def explain(index: ProfileIndex, i: int, j: int) -> tuple[Reason, ...]:
    """Structured reasons for pairing participant ``i`` with ``j`` (from ``i``'s point of view)."""
    cfg = index.config
    me, other = index.profiles[i], index.profiles[j]
    wc = cfg.complementarity_weight or 1.0
    reasons = _phrase_reasons(
        "need_offer", me.needs, index.need_vectors[i], other.offers, index.offer_vectors[j], wc
    )
    reasons += _phrase_reasons(
        "offer_need", me.offers, index.offer_vectors[i], other.needs, index.need_vectors[j], wc
    )
    reasons.sort(key=lambda r: -r.weight)
    theme_score, shared = _dot(index.theme_vectors[i], index.theme_vectors[j])
    if shared and theme_score >= _MIN_PHRASE_SCORE / 2:
        shared_set = set(shared)
        texts = tuple(
            text
            for text, terms in zip(me.themes, index.theme_terms[i], strict=True)
            if shared_set & set(terms)
        )
        if texts:
            reasons.append(
                Reason("themes", terms=shared, themes=texts, weight=round(theme_score * cfg.theme_weight, 6))
            )
    reasons.append(Reason("regions", regions=(me.region, other.region)))
    return tuple(reasons)


def _name_of(other_id: str, names: Mapping[str, Profile] | Mapping[str, str]) -> str:
    value = names.get(other_id)
    if isinstance(value, Profile):
        return value.name or value.id
    return value or other_id


def render_reasons(
    suggestion: Suggestion,
    profiles_by_id_or_names: Mapping[str, Profile] | Mapping[str, str],
    language: str = DEFAULT_LANGUAGE,
) -> list[str]:
    """One line per reason, for the reader ``suggestion.participant_id``, in ``nl`` (default) or ``en``.

    ``profiles_by_id_or_names`` maps participant ids to profiles or to display names; a missing id is
    shown as the id itself. Unknown languages fall back to Dutch.
    """
    lang = (language or DEFAULT_LANGUAGE).lower()[:2]
    if lang not in TEMPLATES:
        lang = DEFAULT_LANGUAGE
    texts, regions = TEMPLATES[lang], REGION_NAMES[lang]
    name = _name_of(suggestion.other_id, profiles_by_id_or_names)
    lines: list[str] = []
    for reason in suggestion.reasons:
        if reason.kind in ("need_offer", "offer_need"):
            lines.append(texts[reason.kind].format(own=reason.own_text, other=reason.other_text, name=name))
        elif reason.kind == "themes":
            lines.append(texts["themes"].format(themes=", ".join(reason.themes)))
        elif reason.kind == "regions":
            own, theirs = reason.regions
            if own == theirs:
                lines.append(texts["regions_same"].format(region=regions.get(own, own)))
            else:
                lines.append(
                    texts["regions_other"].format(
                        own_region=regions.get(own, own), other_region=regions.get(theirs, theirs), name=name
                    )
                )
    return lines
