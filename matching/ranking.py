"""Turning scored candidate pairs into lists: top-k with organisation diversity, and weekly pairing."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def top_k_per_row(
    rows: np.ndarray,
    cols: np.ndarray,
    scores: np.ndarray,
    org: np.ndarray,
    tie_rank: np.ndarray,
    top_k: int,
    max_per_organisation: int,
) -> dict[int, list[tuple[int, float]]]:
    """Best ``top_k`` (col, score) per row, best first, at most ``max_per_organisation`` per organisation.

    Ties are broken by ``tie_rank`` (the rank of the participant id), so results do not depend on input order.
    """
    out: dict[int, list[tuple[int, float]]] = {}
    if len(rows) == 0 or top_k <= 0:
        return out
    order = np.lexsort((tie_rank[cols], -scores, rows))
    rows_s, cols_s, scores_s = rows[order], cols[order], scores[order]
    n = len(rows_s)
    positions = np.arange(n)
    # How many better candidates of the same organisation the row already has (vectorised): group the
    # sorted entries by (row, organisation), keeping their order, and count within each group.
    org_s = org[cols_s]
    grouped = np.lexsort((positions, org_s, rows_s))
    r_g, o_g = rows_s[grouped], org_s[grouped]
    new_group = np.r_[True, (r_g[1:] != r_g[:-1]) | (o_g[1:] != o_g[:-1])]
    group_start = np.maximum.accumulate(np.where(new_group, positions, 0))
    seen_before = np.empty(n, dtype=np.int64)
    seen_before[grouped] = positions - group_start
    keep = np.flatnonzero(seen_before < max(1, max_per_organisation))
    # Then the first top_k of what is left, per row.
    rows_k = rows_s[keep]
    new_row = np.r_[True, rows_k[1:] != rows_k[:-1]]
    row_start = np.maximum.accumulate(np.where(new_row, np.arange(len(keep)), 0))
    keep = keep[np.arange(len(keep)) - row_start < top_k]
    for r, c, s in zip(rows_s[keep].tolist(), cols_s[keep].tolist(), scores_s[keep].tolist(), strict=True):
        lst = out.get(r)
        if lst is None:
            out[r] = [(c, s)]
        else:
            lst.append((c, s))
    return out


def weekly_pairs(
    pairs: list[tuple[float, str, str]],
    organisation: Mapping[str, int],
    per_person: int,
    incoming_left: Mapping[str, int],
    max_per_organisation: int,
) -> list[tuple[float, str, str]]:
    """Choose symmetric pairs, best first, in rounds: in round r nobody gets an r-th pair, and within a
    round pairs that serve someone with fewer pairs come first, so everyone who can be paired gets a first
    pair before anyone gets a second.

    ``pairs`` are (score, a, b) with a < b; ``incoming_left`` is how many more suggestions each person may
    receive this week. A person gets at most ``per_person`` pairs and at most ``max_per_organisation``
    partners from one organisation.
    """
    ordered = sorted(pairs, key=lambda p: (-p[0], p[1], p[2]))
    count: dict[str, int] = {}
    orgs_seen: dict[tuple[str, int], int] = {}
    chosen: list[tuple[float, str, str]] = []
    taken: set[tuple[str, str]] = set()
    for round_no in range(1, per_person + 1):
        # Within a round, first serve pairs where someone still has fewer pairs than the others.
        for level in range(round_no):
            for score, a, b in ordered:
                if (a, b) in taken:
                    continue
                ca, cb = count.get(a, 0), count.get(b, 0)
                if ca >= round_no or cb >= round_no or min(ca, cb) > level:
                    continue
                if ca >= incoming_left.get(a, 0) or cb >= incoming_left.get(b, 0):
                    continue
                key_a, key_b = (a, organisation[b]), (b, organisation[a])
                if max(orgs_seen.get(key_a, 0), orgs_seen.get(key_b, 0)) >= max_per_organisation:
                    continue
                taken.add((a, b))
                chosen.append((score, a, b))
                count[a], count[b] = ca + 1, cb + 1
                orgs_seen[key_a] = orgs_seen.get(key_a, 0) + 1
                orgs_seen[key_b] = orgs_seen.get(key_b, 0) + 1
    return chosen
