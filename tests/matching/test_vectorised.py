"""The vectorised choices (reason phrase pairs, top-k with the organisation cap) against plain references."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.ranking import top_k_per_row
from matching.reasons import _pick


def _greedy(cands: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """Reference: best first (ties by phrase position), each phrase once, >= a quarter of the best, two."""
    cands = sorted(cands, key=lambda c: (-c[0], c[1], c[2]))
    out: list[tuple[float, int, int]] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for s, a, b in cands:
        if a in used_a or b in used_b:
            continue
        if s < 0.25 * cands[0][0]:
            break
        used_a.add(a)
        used_b.add(b)
        out.append((s, a, b))
        if len(out) == 2:
            break
    return out


phrase_pairs = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.integers(0, 3),
        st.integers(0, 3),
        st.sampled_from([0.05, 0.1, 0.3, 0.5, 0.9, 1.0]),
    ),
    max_size=40,
    unique_by=lambda t: (t[0], t[1], t[2]),
)


@settings(max_examples=200, deadline=None)
@given(phrase_pairs)
def test_pick_equals_greedy_choice(items):
    pair = np.array([t[0] for t in items], dtype=np.int64)
    a = np.array([t[1] for t in items], dtype=np.int64)
    b = np.array([t[2] for t in items], dtype=np.int64)
    scores = np.array([t[3] for t in items], dtype=np.float64)
    first, second = _pick(pair, a, b, scores, 6)
    for p in range(6):
        expected = _greedy([(t[3], t[1], t[2]) for t in items if t[0] == p])
        got = [(float(scores[k]), int(a[k]), int(b[k])) for k in (first[p], second[p]) if k >= 0]
        assert got == expected


def _reference_top_k(rows, cols, scores, org, tie_rank, top_k, cap):
    out: dict[int, list[tuple[int, float]]] = {}
    triples = list(zip(rows.tolist(), cols.tolist(), scores.tolist(), strict=True))
    for r in sorted(set(rows.tolist())):
        cands = sorted(
            ((c, s) for rr, c, s in triples if rr == r),
            key=lambda x: (-x[1], tie_rank[x[0]]),
        )
        picked: list[tuple[int, float]] = []
        per_org: dict[int, int] = {}
        for c, s in cands:
            if per_org.get(int(org[c]), 0) >= max(1, cap):
                continue
            per_org[int(org[c])] = per_org.get(int(org[c]), 0) + 1
            picked.append((c, s))
            if len(picked) == top_k:
                break
        out[r] = picked
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 9), st.sampled_from([0.1, 0.2, 0.5, 1.0])),
        max_size=50,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.lists(st.integers(0, 3), min_size=10, max_size=10),
    st.integers(1, 4),
    st.integers(0, 3),
)
def test_top_k_per_row_equals_reference(items, orgs, top_k, cap):
    rows = np.array([t[0] for t in items], dtype=np.int64)
    cols = np.array([t[1] for t in items], dtype=np.int64)
    scores = np.array([t[2] for t in items], dtype=np.float64)
    org = np.array(orgs, dtype=np.int64)
    tie_rank = np.arange(10)[::-1].copy()
    got = top_k_per_row(rows, cols, scores, org, tie_rank, top_k, cap)
    assert got == _reference_top_k(rows, cols, scores, org, tie_rank, top_k, cap)
