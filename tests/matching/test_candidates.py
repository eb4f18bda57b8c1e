"""Candidate generation above 800 participants: the pure scipy path (the default install) and the optional
``sparse_dot_topn`` accelerator (the ``fast`` extra) find the same best candidates."""

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from matching import Matcher, Profile
from matching.index import blocked_topn

ROOT = Path(__file__).resolve().parents[2]


def _random_sparse(rows: int, cols: int, density: float, seed: int) -> sp.csr_matrix:
    return sp.random(rows, cols, density=density, format="csr", random_state=seed, dtype=np.float64)


def _top_values(matrix: sp.csr_matrix, top: int) -> list[list[float]]:
    dense = matrix.toarray()
    return [sorted((v for v in row if v > 0), reverse=True)[:top] for row in dense]


@pytest.mark.parametrize(("top", "block"), [(1, 7), (3, 5), (10, 1000), (40, 13)])
def test_blocked_topn_keeps_the_largest_entries_of_every_row(top, block):
    a = _random_sparse(60, 30, 0.2, seed=top)
    b = _random_sparse(30, 50, 0.2, seed=block)
    got = blocked_topn(a, b, top, block=block)
    assert got.shape == (60, 50)
    assert _top_values(got, top) == _top_values(a @ b, top)
    assert all(len(row) <= top for row in _top_values(got, 10**6))


def test_blocked_topn_of_an_empty_product():
    a = sp.csr_matrix((4, 3))
    assert blocked_topn(a, sp.csr_matrix((3, 5)), 2).nnz == 0


def test_sparse_dot_topn_agrees_with_the_pure_path():
    sparse_dot_topn = pytest.importorskip("sparse_dot_topn")
    a = _random_sparse(200, 80, 0.05, seed=1)
    b = _random_sparse(80, 300, 0.05, seed=2)
    fast = sparse_dot_topn.sp_matmul_topn(a, b, top_n=8, threshold=0.0, n_threads=1)
    assert _top_values(blocked_topn(a, b, 8, block=64), 8) == _top_values(fast, 8)


WORDS = "gastles stage warmtepomp zonnepaneel lassen cnc robotica bim infra isolatie drone food".split()


def _population(n: int) -> list[Profile]:
    rng = random.Random(5)

    def phrase() -> str:
        return " ".join(rng.sample(WORDS, 2) + [f"topic{rng.randrange(60)}"])

    return [
        Profile(
            id=f"p{i:04d}",
            organisation=f"org{i}",
            role=rng.choice(["school", "mbo", "company", "company"]),
            offers=(phrase(), phrase()),
            needs=(phrase(), phrase()),
            themes=(f"topic{rng.randrange(60)}",),
        )
        for i in range(n)
    ]


_CHILD = textwrap.dedent(
    """
    import json, sys
    sys.modules["sparse_dot_topn"] = None  # as on a machine without the optional package
    sys.path.insert(0, sys.argv[1])
    from tests.matching.test_candidates import _population
    import matching.index
    from matching import Matcher
    assert matching.index._sp_matmul_topn is None
    result = Matcher(_population(900)).suggest(top_k=5)
    json.dump({pid: [s.other_id for s in lst] for pid, lst in result.items()}, sys.stdout)
    """
)


def test_matching_without_sparse_dot_topn_gives_the_same_suggestions():
    """Above 800 participants, in a fresh interpreter where sparse_dot_topn cannot be imported."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(ROOT)], check=True, capture_output=True, text=True, cwd=ROOT
    )
    pure = json.loads(out.stdout)
    here = {pid: [s.other_id for s in lst] for pid, lst in Matcher(_population(900)).suggest(top_k=5).items()}
    assert set(pure) == set(here)
    assert sum(len(v) for v in pure.values()) >= 5 * 900 * 0.95
    # Equal up to ties at the candidate pool's edge (the population has many equal scores).
    shared = sum(len(set(pure[pid]) & set(here[pid])) for pid in here) / sum(len(v) for v in here.values())
    assert shared >= 0.9, shared
