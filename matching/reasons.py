"""Why a pair was suggested: structured reasons from the index (the bot renders them into words)."""

from __future__ import annotations

import numpy as np

from matching.index import ProfileIndex, Vector
from matching.suggestion import Reason, Suggestion

_MAX_PHRASE_REASONS = 3
# Phrase reasons: one's need met by the other's offer and the reverse, then the counterparts (one's need
# for interns against the other's need for an internship place, both offers likewise).
_PHRASE_KINDS = ("need_offer", "offer_need", "need_need", "offer_offer")
_OWN_GROUP = {"need_offer": "needs", "offer_need": "offers", "need_need": "needs", "offer_offer": "offers"}
_OTHER_GROUP = {"need_offer": "offers", "offer_need": "needs", "need_need": "needs", "offer_offer": "offers"}
_MIN_PHRASE_SCORE = 0.02


def _dot(a: Vector, b: Vector) -> tuple[float, tuple[str, ...]]:
    if a.keys().isdisjoint(b):
        return 0.0, ()
    shared = [(a[t] * b[t], t) for t in a.keys() & b.keys()]
    shared.sort(key=lambda x: (-x[0], x[1]))
    return sum(s for s, _ in shared), tuple(t for _, t in shared)


def _shared_terms(a: Vector, b: Vector) -> tuple[str, ...]:
    # In the order of the participant's own phrase.
    return tuple([t for t in a if t in b])


def _pick(
    pair: np.ndarray, a: np.ndarray, b: np.ndarray, scores: np.ndarray, n_pairs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, the best phrase pair and (if any) the best one that uses neither of its phrases and is at
    least a quarter as strong; as positions into the arrays, -1 where there is none. Vectorised form of
    taking phrase pairs best first (ties by phrase position), each phrase once, at most two."""
    first = np.full(n_pairs, -1, dtype=np.int64)
    second = np.full(n_pairs, -1, dtype=np.int64)
    if len(pair) == 0:
        return first, second
    order = np.lexsort((b, a, -scores, pair))  # per pair: best first, ties by phrase position
    p_sorted = pair[order]
    starts = np.flatnonzero(np.r_[True, p_sorted[1:] != p_sorted[:-1]])
    best_pos = order[starts]
    first[p_sorted[starts]] = best_pos
    fa, fb, fs = a[best_pos], b[best_pos], scores[best_pos]
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
    ok = (a[order] != fa[group]) & (b[order] != fb[group]) & (scores[order] >= 0.25 * fs[group])
    candidates = np.flatnonzero(ok)
    if len(candidates):
        g = group[candidates]
        keep = np.r_[True, g[1:] != g[:-1]]
        second[p_sorted[candidates[keep]]] = order[candidates[keep]]
    return first, second


def explain_many(index: ProfileIndex, rows: np.ndarray, cols: np.ndarray) -> list[tuple[Reason, ...]]:
    """Structured reasons for many pairs at once (row's point of view); phrase pairs scored and chosen
    vectorised."""
    cfg = index.config
    wc = cfg.complementarity_weight or 1.0
    n_pairs = len(rows)
    profiles, themes_of = index.profiles, index.theme_vectors
    # Per pair, the best phrase pairs of every kind (two per kind at most), as columns of one matrix:
    # kind 0 first, kind 0 second, kind 1 first, ...; the strongest _MAX_PHRASE_REASONS become reasons.
    found: list[tuple[str, list[int], list[int], list[float]]] = []
    weights = np.full((n_pairs, 2 * len(_PHRASE_KINDS)), -1.0)
    positions = np.full((n_pairs, 2 * len(_PHRASE_KINDS)), -1, dtype=np.int64)
    for c, kind in enumerate(_PHRASE_KINDS):
        if kind in ("need_need", "offer_offer"):
            # Only pairs where both sides have a counterpart concept in that group can have such a reason.
            has = index.has_counterpart[_OWN_GROUP[kind]]
            subset = np.flatnonzero(has[rows] & has[cols])
            pair, a, b, scores = index.phrase_pairs(kind, rows[subset], cols[subset])
            pair = subset[pair]
        else:
            pair, a, b, scores = index.phrase_pairs(kind, rows, cols)
        keep = scores >= _MIN_PHRASE_SCORE
        # naming another school level, or a place where the other side is not
        keep &= ~index.wrong_level(kind, rows[pair], cols[pair], a, b)
        keep &= ~index.wrong_place(kind, rows[pair], cols[pair], a, b)
        pair, a, b, scores = pair[keep], a[keep], b[keep], scores[keep]
        for d, pos in enumerate(_pick(pair, a, b, scores, n_pairs)):
            has = pos >= 0
            weights[has, 2 * c + d] = scores[pos[has]]
            positions[:, 2 * c + d] = pos
        # Plain lists: indexing them per pair below is much cheaper than indexing numpy arrays.
        found.append((kind, a.tolist(), b.tolist(), scores.tolist()))
    order = np.argsort(-weights, axis=1, kind="stable")[:, :_MAX_PHRASE_REASONS]
    best = np.take_along_axis(positions, order, axis=1)
    best[np.take_along_axis(weights, order, axis=1) < 0] = -1
    order_list, best_list = order.tolist(), best.tolist()

    vectors = {"needs": index.need_vectors, "offers": index.offer_vectors}
    swapped: dict[tuple[str, ...], Vector] = {}

    def counterpart(vector: Vector) -> Vector:
        """A phrase vector read as its counterpart ("stagiair" as "stage" and the reverse)."""
        key = tuple(sorted(vector))
        if key not in swapped:
            swapped[key] = {index.counterpart.get(t, t): w for t, w in vector.items()}
        return swapped[key]

    phrase_texts = index.quotes  # the item each phrase comes from, as typed
    # Per kind: (kind, own and other vectors, own and other texts, read the other's as counterpart)
    sides = [
        (
            kind,
            vectors[_OWN_GROUP[kind]],
            vectors[_OTHER_GROUP[kind]],
            phrase_texts[_OWN_GROUP[kind]],
            phrase_texts[_OTHER_GROUP[kind]],
            kind in ("need_need", "offer_offer"),
        )
        for kind, *_ in found
    ]

    # Per column of ``weights``: its kind's side data and found phrase pairs, looked up once.
    columns = [(*sides[c // 2], *found[c // 2][1:]) for c in range(2 * len(found))]

    def phrase_reason(column: int, pos: int, i: int, j: int) -> Reason:
        kind, own_vectors, other_vectors, own_texts, other_texts, swap, a, b, scores = columns[column]
        x, y = a[pos], b[pos]
        theirs = other_vectors[j][y]
        if swap:
            theirs = counterpart(theirs)
        # in the order of the participant's own phrase
        mine = own_vectors[i][x]
        terms = tuple([t for t in mine if t in theirs])
        # A kind of collaboration, resource or school level in common is a fit; otherwise, when each phrase
        # names some kind, the two only share a topic (broader concepts of topics do not count).
        topic_only = kind_only = False
        if terms:
            own_kinds = named[_OWN_GROUP[kind]][i][x]
            their_kinds = named[_OTHER_GROUP[kind]][j][y]
            if swap and their_kinds:
                their_kinds = frozenset(index.counterpart.get(t, t) for t in their_kinds)
            topic_only = bool(own_kinds) and bool(their_kinds) and own_kinds.isdisjoint(their_kinds)
            # The mirror: a kind in common, each phrase about a field of its own (no sector family shared).
            own_fields, their_fields = sectors(mine), sectors(other_vectors[j][y])
            kind_only = (
                bool(own_fields)
                and bool(their_fields)
                and own_fields.isdisjoint(their_fields)
                and not any(map(index.is_topic, terms))  # nor a place or subject word in common
            )
        return Reason(
            kind,
            own_texts[i][x],
            other_texts[j][y],
            terms,
            weight=scores[pos] * wc,
            topic_only=topic_only,
            kind_only=kind_only,
        )

    named = index.kinds_named()
    sectors = index.sector_families

    region_reasons: dict[tuple[str, str], Reason] = {}
    theme_scores = index.theme_pair_scores(rows, cols)
    theme_list = theme_scores.tolist()
    out: list[tuple[Reason, ...]] = []
    for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        me, other = profiles[i], profiles[j]
        # The strongest need-offer fits first (need_offer before offer_need on equal weight).
        reasons = [
            phrase_reason(column, pos, i, j)
            for column, pos in zip(order_list[k], best_list[k], strict=True)
            if pos >= 0
        ]
        theme_score = theme_list[k]
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
        where = (me.region, other.region)
        if where not in region_reasons:  # immutable: one object per pair of regions
            region_reasons[where] = Reason("regions", regions=where)
        reasons.append(region_reasons[where])
        out.append(tuple(reasons))
    return out


def explain(index: ProfileIndex, i: int, j: int) -> tuple[Reason, ...]:
    """Structured reasons for pairing participant ``i`` with ``j`` (from ``i``'s point of view)."""
    return explain_many(index, np.array([i], dtype=np.int64), np.array([j], dtype=np.int64))[0]


def describe_reasons(suggestion: Suggestion) -> list[str]:
    """The reasons of ``suggestion`` as language-free lines ("need_offer: gastles ↔ gastlessen").

    Person-facing wording lives in the bot's catalogues (``bot.reasons``); this is the fallback of
    ``matching.cli`` when no renderer is given.
    """
    lines: list[str] = []
    for reason in suggestion.reasons:
        if reason.kind in _PHRASE_KINDS:
            lines.append(f"{reason.kind}: {reason.own_text} ↔ {reason.other_text}")
        elif reason.kind == "themes":
            lines.append(f"themes: {', '.join(reason.themes)}")
        elif reason.kind == "regions":
            lines.append(f"regions: {' ↔ '.join(reason.regions)}")
    return lines
