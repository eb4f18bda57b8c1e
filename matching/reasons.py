"""Why a pair was suggested: structured reasons from the index, and their rendering in Dutch or English."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from matching.index import ProfileIndex, Vector
from matching.profile import Profile
from matching.reason_texts import DEFAULT_LANGUAGE, REGION_NAMES, TEMPLATES
from matching.suggestion import Reason, Suggestion

_MAX_PER_DIRECTION = 2
_MIN_PHRASE_SCORE = 0.02


def _dot(a: Vector, b: Vector) -> tuple[float, tuple[str, ...]]:
    if a.keys().isdisjoint(b):
        return 0.0, ()
    shared = [(a[t] * b[t], t) for t in a.keys() & b.keys()]
    shared.sort(key=lambda x: (-x[0], x[1]))
    return sum(s for s, _ in shared), tuple(t for _, t in shared)


def _shared_terms(a: Vector, b: Vector) -> tuple[str, ...]:
    # In the order of the participant's own phrase.
    return tuple(t for t in a if t in b)


def _choose(
    kind: str,
    candidates: list[tuple[float, int, int]],
    own_texts: tuple[str, ...],
    own_vectors: tuple[Vector, ...],
    other_texts: tuple[str, ...],
    other_vectors: tuple[Vector, ...],
    weight: float,
) -> list[Reason]:
    """Best phrase pairs (``candidates`` sorted best first), each phrase used once, none weaker than a
    quarter of the best."""
    if len(candidates) == 1:
        s, a, b = candidates[0]
        terms = _shared_terms(own_vectors[a], other_vectors[b])
        return [Reason(kind, own_texts[a], other_texts[b], terms, weight=s * weight)]
    used_own: set[int] = set()
    used_other: set[int] = set()
    out: list[Reason] = []
    best = candidates[0][0]
    for s, a, b in candidates:
        if a in used_own or b in used_other:
            continue
        if s < 0.25 * best:
            break
        used_own.add(a)
        used_other.add(b)
        terms = _shared_terms(own_vectors[a], other_vectors[b])
        out.append(Reason(kind, own_texts[a], other_texts[b], terms, weight=s * weight))
        if len(out) == _MAX_PER_DIRECTION:
            break
    return out


def explain_many(index: ProfileIndex, rows: np.ndarray, cols: np.ndarray) -> list[tuple[Reason, ...]]:
    """Structured reasons for many pairs at once (row's point of view); phrase pairs scored vectorised."""
    cfg = index.config
    wc = cfg.complementarity_weight or 1.0
    found: dict[str, dict[int, list[tuple[float, int, int]]]] = {}
    for kind in ("need_offer", "offer_need"):
        per_pair: dict[int, list[tuple[float, int, int]]] = {}
        pair, a, b, scores = index.phrase_pairs(kind, rows, cols)
        keep = scores >= _MIN_PHRASE_SCORE
        pair, a, b, scores = pair[keep], a[keep], b[keep], scores[keep]
        order = np.lexsort((b, a, -scores, pair))  # per pair: best first, ties by phrase position
        for p, x, y, s in zip(
            pair[order].tolist(), a[order].tolist(), b[order].tolist(), scores[order].tolist(), strict=True
        ):
            per_pair.setdefault(p, []).append((s, x, y))
        found[kind] = per_pair
    theme_scores = index.theme_pair_scores(rows, cols)
    need_offer, offer_need = found["need_offer"], found["offer_need"]
    profiles, themes_of = index.profiles, index.theme_vectors
    out: list[tuple[Reason, ...]] = []
    for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        me, other = profiles[i], profiles[j]
        reasons: list[Reason] = []
        if k in need_offer:
            reasons += _choose(
                "need_offer",
                need_offer[k],
                me.needs,
                index.need_vectors[i],
                other.offers,
                index.offer_vectors[j],
                wc,
            )
        if k in offer_need:
            reasons += _choose(
                "offer_need",
                offer_need[k],
                me.offers,
                index.offer_vectors[i],
                other.needs,
                index.need_vectors[j],
                wc,
            )
            if k in need_offer:
                reasons.sort(key=lambda r: -r.weight)
        theme_score = float(theme_scores[k])
        if theme_score >= _MIN_PHRASE_SCORE / 2:
            shared = _shared_terms(themes_of[i], themes_of[j])
            shared_set = set(shared)
            texts = tuple(
                text
                for text, terms in zip(me.themes, index.theme_terms[i], strict=True)
                if not shared_set.isdisjoint(terms)
            )
            if texts:
                reasons.append(
                    Reason(
                        "themes", terms=shared, themes=texts, weight=round(theme_score * cfg.theme_weight, 6)
                    )
                )
        reasons.append(Reason("regions", regions=(me.region, other.region)))
        out.append(tuple(reasons))
    return out


def explain(index: ProfileIndex, i: int, j: int) -> tuple[Reason, ...]:
    """Structured reasons for pairing participant ``i`` with ``j`` (from ``i``'s point of view)."""
    return explain_many(index, np.array([i], dtype=np.int64), np.array([j], dtype=np.int64))[0]


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
