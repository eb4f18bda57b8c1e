"""The two obvious approaches the engine must beat, with the same hard pair rules applied.

1. ``rapidfuzz_top``: ``fuzz.token_set_ratio`` between whole concatenated profile texts
   (offers + needs + themes), all pairs via ``process.cdist(workers=-1)``.
2. ``tfidf_top``: TF-IDF over character n-grams (``analyzer="char_wb"``, ``ngram_range=(3, 5)``), one
   vector for a person's offers text and one for their needs text; score = cos(needs_a, offers_b) +
   cos(offers_a, needs_b), each computed as a sparse top-n product with ``sparse_dot_topn``.

Both return participant id -> ranked list of (other id, score). Self, inactive, same-organisation and
reach-forbidden pairs are removed from both, so the comparison measures the scoring, not the rules.
Needs: rapidfuzz, numpy, scipy, scikit-learn, sparse_dot_topn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer
from sparse_dot_topn import sp_matmul_topn

from matching import MatchConfig, Profile
from matching.scoring import PairRules

Ranked = dict[str, list[tuple[str, float]]]


def _rank(profiles: Sequence[Profile], matrix: sp.csr_matrix, top_k: int, rules: bool) -> Ranked:
    coo = matrix.tocoo()
    rows, cols, vals = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    keep = rows != cols
    if rules:
        keep &= PairRules(profiles, MatchConfig()).allowed(rows, cols)
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    order = np.lexsort((cols, -vals, rows))
    out: Ranked = {p.id: [] for p in profiles if p.active}
    for r, c, v in zip(rows[order].tolist(), cols[order].tolist(), vals[order].tolist(), strict=True):
        lst = out.get(profiles[r].id)
        if lst is not None and len(lst) < top_k:
            lst.append((profiles[c].id, float(v)))
    return out


def _whole_text(p: Profile) -> str:
    return " ".join((*p.offers, *p.needs, *p.themes))


def rapidfuzz_top(profiles: Sequence[Profile], top_k: int = 5, rules: bool = True) -> Ranked:
    """Plain rapidfuzz: token_set_ratio on whole texts (quadratic; meant for small sets)."""
    texts = [_whole_text(p).lower() for p in profiles]
    scores = process.cdist(texts, texts, scorer=fuzz.token_set_ratio, workers=-1, dtype=np.float32)
    return _rank(profiles, sp.csr_matrix(scores), top_k, rules)


def tfidf_top(
    profiles: Sequence[Profile], top_k: int = 5, rules: bool = True, top_n: int = 50, n_threads: int = 2
) -> Ranked:
    """TF-IDF char n-grams, offers vs needs both ways, cosine top-n via sparse_dot_topn."""
    offers = [" ".join(p.offers).lower() for p in profiles]
    needs = [" ".join(p.needs).lower() for p in profiles]
    vectoriser = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), dtype=np.float32, min_df=1)
    vectoriser.fit(offers + needs)
    o = vectoriser.transform(offers).tocsr()
    n = vectoriser.transform(needs).tocsr()
    top = min(top_n, len(profiles))
    forward = sp_matmul_topn(n, o.T.tocsr(), top_n=top, n_threads=n_threads)
    backward = sp_matmul_topn(o, n.T.tocsr(), top_n=top, n_threads=n_threads)
    return _rank(profiles, (forward + backward).tocsr(), top_k, rules)
