"""The profile index: terms, population weights and sparse participant vectors, built once.

Every participant gets two sparse row vectors over ``3 * V`` columns (V = distinct terms)::

    L = [ sqrt(wc) * needs | sqrt(wc) * offers | sqrt(wt) * themes ]
    R = [ sqrt(wc) * offers | sqrt(wc) * needs | sqrt(wt) * themes ]

so that ``L[a] . R[b] = wc * (needs_a . offers_b + offers_a . needs_b) + wt * themes_a . themes_b``: the
symmetric linear part of the pair score (complementarity both ways plus shared themes) is one sparse product.
``R`` also carries the counterparts (data/counterparts.txt): its offers block is ``offers + swap(needs)`` and
its needs block ``needs + swap(offers)``, so a need for interns meets a need for internship places.
``pair_scores`` multiplies the product by the topic gate and divides it by the reciprocal normalisation.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from rapidfuzz import fuzz, process

from matching.codes import REGIONS, places_named
from matching.config import MatchConfig
from matching.normalise import Analyser
from matching.profile import Profile, as_phrases, phrase_origins
from matching.thesaurus import Thesaurus, clip, fold, is_plural_typo, is_typo, load_thesaurus, stem

logger = logging.getLogger(__name__)

Vector = dict[str, float]

# Up to this many participants, candidate generation is the exact full sparse product (every pair that
# shares any term); above it, a per-participant top-n product over the less common terms.
_EXACT_UP_TO = 800
_EDUCATION = frozenset({"school", "mbo", "hbo"})  # roles whose offered internships are their students
_COMMERCE = frozenset({"sale", "customer"})  # thesaurus kinds that mark selling, not collaboration
# School levels (audience keys of data/audience.txt) as bits, and the level concepts that name them.
_LEVEL_BITS = {"basisonderwijs": 1, "vmbo": 2, "havovwo": 4, "mbo": 8, "hbo": 16}
_LEVEL_TERMS = {"basisonderwijs": 1, "vmbo": 2, "havovwo": 4, "vo": 2 | 4, "mbo": 8, "hbo": 16}

try:  # optional accelerator for candidate generation (the ``fast`` extra); pure scipy otherwise.
    from sparse_dot_topn import sp_matmul_topn as _sp_matmul_topn  # type: ignore[import-untyped]
except ImportError:  # tested in tests/matching/test_candidates.py
    _sp_matmul_topn = None


def _as_persons(
    phrases: tuple[tuple[str, ...], ...], to_person: dict[str, str]
) -> tuple[tuple[str, ...], ...]:
    """Phrases with their place concepts replaced by the person counterparts ("stage" -> "stagiair")."""
    if not any(to_person.keys() & set(ph) for ph in phrases):
        return phrases
    return tuple(tuple(dict.fromkeys(to_person.get(t, t) for t in ph)) for ph in phrases)


def population_analyser(phrases: Iterable[str], thesaurus: Thesaurus, typing_slips: bool = True) -> Analyser:
    """An analyser that also knows the population's own words (for compounds) and its typos."""
    token_counts: Counter[str] = Counter(
        chain.from_iterable(set(fold(clip(phrase)).split()) for phrase in phrases)
    )
    stopwords = thesaurus.stopwords
    stem_counts: Counter[str] = Counter()
    for token, count in token_counts.items():
        if token not in stopwords and token.isalpha():
            stem_counts[stem(token)] += count
    extra_known = {s for s, c in stem_counts.items() if c >= 2 and len(s) >= 4}
    anchors = sorted(thesaurus.known | {s for s, c in stem_counts.items() if c >= 3 and len(s) >= 5})
    rare = sorted(
        s
        for s, c in stem_counts.items()
        if c == 1 and len(s) >= 6 and s not in thesaurus.known and s not in thesaurus.phrase_words
    )
    corrections: dict[str, str] = {}
    if rare and anchors:
        anchor_lengths = np.array([len(a) for a in anchors])
        for start in range(0, len(rare), 2000):
            block = rare[start : start + 2000]
            sims = process.cdist(
                block, anchors, scorer=fuzz.ratio, score_cutoff=83, dtype=np.uint8, workers=-1
            )
            best = sims.argmax(axis=1)
            for row, (word, col) in enumerate(zip(block, best, strict=True)):
                score = int(sims[row, col])
                if score == 0 or anchors[col] == word:
                    continue
                if (
                    score >= (85 if len(word) >= 8 else 83)
                    and abs(int(anchor_lengths[col]) - len(word)) <= 2
                    and (
                        not typing_slips or is_typo(word, anchors[col]) or is_plural_typo(word, anchors[col])
                    )
                ):
                    corrections[word] = anchors[col]
    return Analyser(thesaurus, extra_known=extra_known, corrections=corrections, correct_typos=False)


class ProfileIndex:
    """Analysed profiles, term weights and the sparse matrices ``L`` and ``R`` (internal)."""

    def __init__(self, profiles: Sequence[Profile], config: MatchConfig) -> None:
        # The index reads phrases: an item that joins two things with " + " is two (profile.as_phrases).
        self.profiles = tuple(as_phrases(p) for p in profiles)
        # Per participant and phrase, the position of the item it comes from, and what a reason quotes for
        # it: the item as the person typed it, not a piece of it.
        self.origins = {
            "needs": [phrase_origins(p.needs) for p in profiles],
            "offers": [phrase_origins(p.offers) for p in profiles],
        }
        self.quotes = {
            "needs": [
                tuple(p.needs[k] for k in ks) for p, ks in zip(profiles, self.origins["needs"], strict=True)
            ],
            "offers": [
                tuple(p.offers[k] for k in ks) for p, ks in zip(profiles, self.origins["offers"], strict=True)
            ],
        }
        self.config = config
        self.n = len(self.profiles)
        self.thesaurus = load_thesaurus()
        self.counterpart: dict[str, str] = {}
        for person, place in self.thesaurus.counterparts:
            self.counterpart[person], self.counterpart[place] = place, person
        self._swapped: dict[str, sp.csr_matrix] = {}
        self._kinds_named: dict[str, list[list[frozenset[str]]]] | None = None
        all_phrases = [p for prof in self.profiles for p in (*prof.offers, *prof.needs, *prof.themes)]
        self.analyser = population_analyser(all_phrases, self.thesaurus, config.typing_slips)
        analyse = self.analyser.analyse
        self.offer_terms = [tuple(analyse(t) for t in p.offers) for p in self.profiles]
        self.need_terms = [tuple(analyse(t) for t in p.needs) for p in self.profiles]
        # A school offering "stages" or "BBL" offers the people who fill them (its students), and a company
        # needing them needs those people: there, place concepts are read as their person counterparts.
        to_person = {place: person for person, place in self.thesaurus.counterparts}
        for i, p in enumerate(self.profiles):
            if p.role in _EDUCATION:
                self.offer_terms[i] = _as_persons(self.offer_terms[i], to_person)
            elif p.role == "company":
                self.need_terms[i] = _as_persons(self.need_terms[i], to_person)
        self.theme_terms = [tuple(analyse(t) for t in p.themes) for p in self.profiles]

        broader = self.thesaurus.broader
        df: Counter[str] = Counter()
        for i in range(self.n):
            terms: set[str] = set()
            for group in (self.offer_terms[i], self.need_terms[i], self.theme_terms[i]):
                for phrase in group:
                    for t in phrase:
                        terms.add(t)
                        terms.update(broader.get(t, ()))
            df.update(terms)
        self.df = df
        n = max(self.n, 1)
        log_n = math.log(1.0 + n)
        generic, kinds = self.thesaurus.generic, self.thesaurus.kinds
        self.weight: dict[str, float] = {}
        for term, count in df.items():
            w = math.log(1.0 + n / count) / log_n
            if term in generic:
                w *= config.generic_damping
            if count == 1:
                w *= config.unique_term_weight
            if kinds.get(term) in _COMMERCE:  # a signal of selling (see _sellers), no common ground
                w = 0.0
            self.weight[term] = w
        self._vector_cache: dict[tuple[str, ...], Vector] = {}
        self._theme_cache: dict[tuple[str, ...], Vector] = {}
        self.offer_vectors = [tuple(self.phrase_vector(t) for t in ph) for ph in self.offer_terms]
        self.need_vectors = [tuple(self.phrase_vector(t) for t in ph) for ph in self.need_terms]
        self.theme_vectors = [
            self.phrase_vector(tuple(t for ph in themes for t in ph), structured=False)
            for themes in self.theme_terms
        ]
        self.columns = {term: k for k, term in enumerate(sorted(df))}
        self.v = len(self.columns)
        self.need_phrases, self.need_start, self.need_count = self._phrase_matrix(self.need_vectors)
        self.offer_phrases, self.offer_start, self.offer_count = self._phrase_matrix(self.offer_vectors)
        self.theme_matrix = self._phrase_matrix([(v,) for v in self.theme_vectors])[0]
        # Term-pair columns ("stage+elektrotechniek", see _term_pairs) follow the terms in the needs and
        # offers blocks of L and R (not in the themes, nor in the phrase matrices the reasons use).
        self.pair_columns: list[str] = []
        pairs = self._term_pairs()
        need_rows, offer_rows = self.need_phrases, self.offer_phrases
        if pairs is not None:
            need_pairs, offer_pairs, self.pair_columns = pairs
            need_rows = sp.hstack([need_rows, need_pairs], format="csr")
            offer_rows = sp.hstack([offer_rows, offer_pairs], format="csr")
        self.left, self.right = self._matrices(need_rows, offer_rows)
        self.audience_sought, self.audience_is = self._audiences()
        self.sells = self._sellers()
        self.levels = self._named(*self._levels())
        self.places = self._named(*self._places())
        self.candidate_left, self.candidate_right = self._candidate_matrices()

    # -- commerce --------------------------------------------------------------------------------------
    def _sellers(self) -> np.ndarray:
        """Whether each participant sells (0/1): its offers name something for sale, hire or a fee
        (thesaurus kind ``sale``) or its needs name customers (kind ``customer``). A sale is no joint
        project: the matcher damps such pairs (``MatchConfig.commerce_penalty``)."""
        kinds = self.thesaurus.kinds
        sale = frozenset(c for c, k in kinds.items() if k == "sale")
        customer = frozenset(c for c, k in kinds.items() if k == "customer")
        return np.fromiter(
            (
                any(not sale.isdisjoint(ph) for ph in offers)
                or any(not customer.isdisjoint(ph) for ph in needs)
                for offers, needs in zip(self.offer_terms, self.need_terms, strict=True)
            ),
            dtype=np.float64,
            count=self.n,
        )

    # -- school levels ---------------------------------------------------------------------------------
    def _levels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """School levels as bit masks (``_LEVEL_BITS``): the levels each participant is (its role, or a
        school's name: data/audience.txt), and the levels each need and offer phrase names for a partner.

        A phrase's level words that are the writer's own level describe the writer ("onze mbo-studenten"),
        and a school whose level is unknown may be naming its own pupils ("groep 8"): neither names a
        partner's level."""
        keys = [key for key, *_ in self.thesaurus.audiences]
        own = np.zeros(self.n, dtype=np.int64)
        for key, bit in _LEVEL_BITS.items():
            if key in keys:
                own |= np.where(self.audience_is[:, keys.index(key)] > 0, bit, 0)

        def named(groups: list[tuple[tuple[str, ...], ...]]) -> np.ndarray:
            masks = []
            for i, phrases in enumerate(groups):
                unknown_school = not own[i] and self.profiles[i].role == "school"
                for phrase in phrases:
                    mask = 0
                    for term in phrase:
                        mask |= _LEVEL_TERMS.get(term, 0)
                    masks.append(0 if unknown_school else mask & ~int(own[i]))
            return np.array(masks, dtype=np.int64)

        return own, named(self.need_terms), named(self.offer_terms)

    def level_conflict(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Per pair, the share (0..1) of its phrase fit whose phrase names a school level the other is not
        ("hbo-afstudeerders" against a vmbo school offering pupils for a snuffelstage)."""
        return self._conflict(rows, cols, self.levels)

    def wrong_level(
        self, kind: str, rows: np.ndarray, cols: np.ndarray, own: np.ndarray, other: np.ndarray
    ) -> np.ndarray:
        """For phrase pairs (participant ``rows`` phrase ``own`` with ``cols`` phrase ``other``) of any kind
        (``need_offer``, ``offer_need`` and the counterparts ``need_need``, ``offer_offer``): whether one
        phrase names a school level the other side is not."""
        return self._wrong(kind, rows, cols, own, other, self.levels)

    def kinds_named(self) -> dict[str, list[list[frozenset[str]]]]:
        """Per participant and phrase ("needs", "offers"), the kinds of collaboration (gastles, stage,
        subsidie, ...) and school levels it names, with the broader concepts of its kinds of collaboration
        (a BBL place is an internship place, a workshop a guest lesson); computed once per index (the
        reasons' "Raakvlak" test: two phrases that name kinds but none in common share a topic only)."""
        if self._kinds_named is None:
            broader, thesaurus_kinds = self.thesaurus.broader, self.thesaurus.kinds
            collaboration = frozenset(c for c, k in thesaurus_kinds.items() if k in ("activity", "resource"))
            kinds = collaboration | frozenset(c for c, k in thesaurus_kinds.items() if k == "level")
            cache: dict[tuple[str, ...], frozenset[str]] = {}

            def of(phrase: tuple[str, ...]) -> frozenset[str]:
                found = cache.get(phrase)
                if found is None:
                    wide = set(phrase)
                    for term in phrase:
                        if term in collaboration:
                            wide.update(broader.get(term, ()))
                    found = cache[phrase] = frozenset(wide & kinds)
                return found

            self._kinds_named = {
                "needs": [[of(ph) for ph in phrases] for phrases in self.need_terms],
                "offers": [[of(ph) for ph in phrases] for phrases in self.offer_terms],
            }
        return self._kinds_named

    def place_conflict(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Per pair, the share (0..1) of its phrase fit whose phrase names a place in another region than
        the other side's ("contact met basisscholen in Tiel" against a school in Doetinchem)."""
        return self._conflict(rows, cols, self.places)

    def wrong_place(
        self, kind: str, rows: np.ndarray, cols: np.ndarray, own: np.ndarray, other: np.ndarray
    ) -> np.ndarray:
        """Like ``wrong_level``, for places named in phrases."""
        return self._wrong(kind, rows, cols, own, other, self.places)

    def _wrong(
        self,
        kind: str,
        rows: np.ndarray,
        cols: np.ndarray,
        own: np.ndarray,
        other: np.ndarray,
        named: _Named,
    ) -> np.ndarray:
        if not named.naming.any():  # nobody names one: nothing is at the wrong one
            return np.zeros(len(rows), dtype=bool)
        is_ = named.is_
        needs, offers = (named.needs, self.need_start), (named.offers, self.offer_start)
        (own_mask, own_start), (other_mask, other_start) = {
            "need_offer": (needs, offers),
            "offer_need": (offers, needs),
            "need_need": (needs, needs),
            "offer_offer": (offers, offers),
        }[kind]
        mine, theirs = own_mask[own_start[rows] + own], other_mask[other_start[cols] + other]
        is_r, is_c = is_[rows], is_[cols]
        return np.asarray(
            ((mine > 0) & (is_c > 0) & ((mine & is_c) == 0))
            | ((theirs > 0) & (is_r > 0) & ((theirs & is_r) == 0)),
            dtype=bool,
        )

    def _named(self, is_: np.ndarray, needs: np.ndarray, offers: np.ndarray) -> _Named:
        """Bit masks of what participants are and what their need and offer phrases name, with who names
        anything at all (counted once, used by every ``_conflict``)."""
        names = np.bincount(
            np.repeat(np.arange(self.n), self.need_count), weights=needs > 0, minlength=self.n
        ) + np.bincount(np.repeat(np.arange(self.n), self.offer_count), weights=offers > 0, minlength=self.n)
        return _Named(is_, needs, offers, names > 0)

    def _conflict(self, rows: np.ndarray, cols: np.ndarray, named: _Named) -> np.ndarray:
        """The share of each pair's phrase fit (summed cosines of its phrase pairs) that ``_wrong`` marks;
        only pairs where one side names something and the other's is known are looked at."""
        out = np.zeros(len(rows), dtype=np.float64)
        if not len(rows) or not named.naming.any():
            return out
        naming, known = named.naming, named.is_ > 0
        subset = np.flatnonzero((naming[rows] & known[cols]) | (naming[cols] & known[rows]))
        if not len(subset):
            return out
        r, c = rows[subset], cols[subset]
        bad = np.zeros(len(subset), dtype=np.float64)
        total = np.zeros(len(subset), dtype=np.float64)
        for kind in ("need_offer", "offer_need", "need_need", "offer_offer"):
            pair, a, b, cos = self.phrase_pairs(kind, r, c)
            keep = cos > 0
            pair, a, b, cos = pair[keep], a[keep], b[keep], cos[keep]
            wrong = self._wrong(kind, r[pair], c[pair], a, b, named)
            total += np.bincount(pair, weights=cos, minlength=len(subset))
            bad += np.bincount(pair, weights=cos * wrong, minlength=len(subset))
        out[subset] = np.where(total > 0, bad / np.maximum(total, 1e-12), 0.0)
        return out

    def _places(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Places as bit masks: each participant's region (the six regions and ``outside``; the whole
        province is no restriction), and the regions of the towns and regions each phrase names. A need's
        place is where the partner should be ("MaS-plekken in Arnhem"), also in one's own region; an offer
        that names one's own region describes where it is ("rondleiding in onze fabriek in Groenlo")."""
        bits = {code: 1 << k for k, code in enumerate(REGIONS) if code != "gelderland"}
        is_ = np.array([bits.get(p.region, 0) for p in self.profiles], dtype=np.int64)

        def mask(text: str) -> int:
            return sum(bits[region] for region in places_named(text))

        needs = [mask(text) for p in self.profiles for text in p.needs]
        offers = [mask(text) & ~int(is_[i]) for i, p in enumerate(self.profiles) for text in p.offers]
        return is_, np.array(needs, dtype=np.int64), np.array(offers, dtype=np.int64)

    # -- audiences -------------------------------------------------------------------------------------
    def _audiences(self) -> tuple[np.ndarray, np.ndarray]:
        """Whom each participant's offers and needs name (rows sum to at most 1) and what it is (0/1).

        A participant's own kinds (and those its role could be) are self-description, not whom it seeks.
        """
        audiences = self.thesaurus.audiences
        sought = np.zeros((self.n, len(audiences)), dtype=np.float64)
        is_ = np.zeros((self.n, len(audiences)), dtype=np.float64)
        analyse = self.analyser.analyse
        for i, p in enumerate(self.profiles):
            named: set[str] | None = None
            used = {
                t for group in (self.offer_terms[i], self.need_terms[i]) for phrase in group for t in phrase
            }
            for k, (_, terms, always, when_named) in enumerate(audiences):
                if p.role in always:
                    is_[i, k] = 1.0
                elif p.role in when_named:
                    if named is None:
                        named = set(analyse(p.organisation))
                    if terms & named:
                        is_[i, k] = 1.0
            # Words for one's own kind ("onze studenten") describe oneself. A kind one's role could be but
            # one's name says one is not (a "Vmbo ..." writing "groep 8") is someone sought.
            knows_kind = any(
                is_[i, k] for k, (*_, when_named) in enumerate(audiences) if p.role in when_named
            )
            for k, (_, terms, always, when_named) in enumerate(audiences):
                if p.role in always or is_[i, k] or (p.role in when_named and not knows_kind):
                    used -= terms
            found = [k for k, (_, terms, always, when_named) in enumerate(audiences) if terms & used]
            if found:
                sought[i, found] = 1.0 / len(found)
        return sought, is_

    def audience_match(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """How far each side's text names the other's kind, summed over both directions (0..2)."""
        if len(rows) == 0 or self.audience_is.shape[1] == 0:
            return np.zeros(len(rows), dtype=np.float64)
        forward = (self.audience_sought[rows] * self.audience_is[cols]).sum(axis=1)
        backward = (self.audience_sought[cols] * self.audience_is[rows]).sum(axis=1)
        return np.asarray(forward + backward, dtype=np.float64)

    # -- vectors ---------------------------------------------------------------------------------------
    def _term_pairs(self) -> tuple[sp.csr_matrix, sp.csr_matrix, list[str]] | None:
        """Term-pair blocks of the need and offer phrase matrices and their column names, or None.

        Two phrases that share two informative terms ("stageplaatsen elektrotechniek" and "internships in
        electrical engineering") should match by more than two single-term matches with different phrases
        do. So every pair of informative terms (not generic, used by more than one participant; broader
        concepts excluded) of a need or offer phrase gets an entry ``a+b`` of
        ``sqrt(phrase_pair_weight * sqrt(w_a * w_b))`` from the two terms' weights in the normalised phrase
        vector, outside the phrase norm. Only pairs written at least twice become columns.
        """
        pw = self.config.phrase_pair_weight
        if pw <= 0 or self.v == 0:
            return None
        generic = self.thesaurus.generic
        pairable = {t for t, c in self.df.items() if c > 1 and t not in generic and self.weight[t] > 0}
        scale = math.sqrt(pw)
        base = self._vector_cache
        # Counted per phrase occurrence, not per participant: a pair one participant writes twice gets a
        # column it can never share, which changes no score.
        occurrences = Counter(t for ph in (*self.need_terms, *self.offer_terms) for t in ph)
        entries: dict[tuple[str, ...], list[tuple[str, float]]] = {}
        counts: Counter[str] = Counter()
        for terms, times in occurrences.items():
            own = [t for t in terms if t in pairable]
            if len(own) < 2:
                continue
            vector = base[terms]
            if len(own) == 2:
                a, b = sorted(own)
                found = [(f"{a}+{b}", scale * (vector[a] * vector[b]) ** 0.25)]
            else:
                own.sort()
                q = [vector[t] ** 0.25 for t in own]
                found = [
                    (f"{own[x]}+{own[y]}", scale * q[x] * q[y])
                    for x in range(len(own))
                    for y in range(x + 1, len(own))
                ]
            entries[terms] = found
            for key, _ in found:
                counts[key] += times
        names = sorted(k for k, c in counts.items() if c >= 2)
        if not names:
            return None
        column = {k: i for i, k in enumerate(names)}
        kept = {
            terms: cells
            for terms, found in entries.items()
            if (cells := [(column[k], w) for k, w in found if k in column])
        }

        def block(phrase_terms: list[tuple[tuple[str, ...], ...]]) -> sp.csr_matrix:
            rows = [kept.get(t, ()) for ph in phrase_terms for t in ph]
            lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
            indptr = np.zeros(len(rows) + 1, dtype=np.int64)
            np.cumsum(lengths, out=indptr[1:])
            total = int(indptr[-1])
            indices = np.fromiter((c for cells in rows for c, _ in cells), dtype=np.int64, count=total)
            data = np.fromiter((w for cells in rows for _, w in cells), dtype=np.float64, count=total)
            matrix = sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(names)))
            matrix.sort_indices()
            return matrix

        return block(self.need_terms), block(self.offer_terms), names

    def phrase_vector(self, terms: tuple[str, ...], structured: bool = True) -> Vector:
        """Weighted, length-limited vector of one phrase's terms (broader concepts weighted down).

        ``structured`` (offers and needs): a phrase that names both a kind of collaboration (activity,
        resource or level concepts) and a topic gets ``activity_share`` of its squared length for the
        former and the rest for the latter, each part normalised on its own, so "stageplaatsen" keeps its
        weight however many topic words surround it. Phrases with the same terms share one (never
        mutated) vector.
        """
        cache = self._vector_cache if structured else self._theme_cache
        cached = cache.get(terms)
        if cached is not None:
            return cached
        vec: Vector = {}
        weight = self.weight
        broader = self.thesaurus.broader
        for t in terms:
            w = weight.get(t, 0.0)
            if w > vec.get(t, 0.0):
                vec[t] = w
        for t in terms:
            if t in broader:
                for b in broader[t]:
                    wb = self.config.broader_weight * weight.get(b, 0.0)
                    if wb > vec.get(b, 0.0):
                        vec[b] = wb
        floor = self.config.phrase_norm_floor
        share = self.config.activity_share if structured else 0.0
        activities = self.thesaurus.activities
        act_sq = sum(w * w for t, w in vec.items() if t in activities) if 0.0 < share < 1.0 else 0.0
        total_sq = sum(w * w for w in vec.values())
        if act_sq and total_sq - act_sq > 1e-18:
            act, top = math.sqrt(act_sq), math.sqrt(total_sq - act_sq)
            # Each part has a length floor (floor * its share ** 0.25): a part of generic words stays weak.
            scale_act = math.sqrt(share) / max(act, floor * share**0.25)
            scale_top = math.sqrt(1.0 - share) / max(top, floor * (1.0 - share) ** 0.25)
            result = {t: w * (scale_act if t in activities else scale_top) for t, w in vec.items()}
        else:
            norm = math.sqrt(total_sq)
            scale = 1.0 / max(norm, floor) if norm else 0.0
            result = {t: w * scale for t, w in vec.items()}
        cache[terms] = result
        return result

    def _matrices(
        self, need_rows: sp.csr_matrix, offer_rows: sp.csr_matrix
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """``L`` and ``R`` from the phrase matrices: a participant's needs (offers) are the sum of its
        phrase vectors divided by count ** ``phrase_count_damping``."""
        cfg = self.config
        sc, st = math.sqrt(max(cfg.complementarity_weight, 0.0)), math.sqrt(max(cfg.theme_weight, 0.0))

        def summed(matrix: sp.csr_matrix, counts: np.ndarray) -> sp.csr_matrix:
            owner = np.repeat(np.arange(self.n, dtype=np.int64), counts)
            scale = np.repeat(1.0 / np.maximum(counts, 1) ** cfg.phrase_count_damping, counts)
            phrases = np.arange(int(counts.sum()), dtype=np.int64)
            aggregate = sp.csr_matrix((scale, (owner, phrases)), shape=(self.n, matrix.shape[0]))
            return (aggregate @ matrix).tocsr()

        needs = summed(need_rows, self.need_count)
        offers = summed(offer_rows, self.offer_count)
        themes = self.theme_matrix
        self.topics = self._topics(needs, offers)
        swap = self._counterpart_swap(needs.shape[1])
        needs_swapped, offers_swapped = (needs @ swap).tocsr(), (offers @ swap).tocsr()
        self.has_counterpart = {
            "needs": np.diff(needs_swapped.indptr) > 0,
            "offers": np.diff(offers_swapped.indptr) > 0,
        }
        self.phrase_swap = sp.csr_matrix(swap[: self.v, : self.v]) if self.v else sp.csr_matrix((1, 1))
        # The topic vectors ride along as the last columns of L and R: one slice per pair gives both the
        # linear score and the topic cosine (see pair_scores).
        left = sp.hstack([needs * sc, offers * sc, themes * st, self.topics], format="csr")
        right = sp.hstack(
            [(offers + needs_swapped) * sc, (needs + offers_swapped) * sc, themes * st, self.topics],
            format="csr",
        )
        left.eliminate_zeros()
        right.eliminate_zeros()
        self.topic_width = self.topics.shape[1]
        width = left.shape[1]
        self._linear_part = np.r_[np.ones(width - self.topic_width), np.zeros(self.topic_width)]
        self._topic_part = 1.0 - self._linear_part
        # Each participant's total linear overlap with everyone, relative to the average (for reciprocity).
        degree = left @ (np.asarray(right.sum(axis=0)).ravel() * self._linear_part)
        positive = degree[degree > 0]
        self.degree = degree / float(positive.mean()) if len(positive) else degree
        return left, right

    def is_topic(self, term: str) -> bool:
        """A term that says what something is about (a field, a subject, a place): no kind of activity or
        audience, not generic, and used by someone else too; the terms of the topic gate (``_topics``)."""
        return (
            term not in self.thesaurus.activities and term not in self.thesaurus.generic and self.df[term] > 1
        )

    def sector_families(self, terms: Iterable[str]) -> frozenset[str]:
        """The sector families of the sector concepts among `terms` (a sector without a family is its own):
        what a phrase is about, coarsely (lassen and cnc are both ``maak``; energietransitie is not)."""
        kinds, families = self.thesaurus.kinds, self.thesaurus.families
        found: set[str] = set()
        for term in terms:
            if kinds.get(term) == "sector":
                found.update(families.get(term) or (term,))
        return frozenset(found)

    def _topics(self, needs: sp.csr_matrix, offers: sp.csr_matrix) -> sp.csr_matrix:
        """Each participant's topics as a unit row vector: the terms of its offers, needs and themes that
        are no kind of activity or audience (data/activities.txt), not generic and used by someone else."""
        keep = np.zeros(max(self.v, 1), dtype=np.float64)
        for term, k in self.columns.items():
            if self.is_topic(term):
                keep[k] = 1.0
        width = self.theme_matrix.shape[1]
        total = (needs[:, :width] + offers[:, :width] + self.theme_matrix) @ sp.diags(keep[:width])
        total = sp.csr_matrix(total)
        norms = np.sqrt(np.asarray(total.multiply(total).sum(axis=1)).ravel())
        return sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ total)

    def _counterpart_swap(self, width: int) -> sp.csr_matrix:
        """``width`` x ``width`` matrix exchanging each person concept's column with its place concept's
        (and term pairs with them: "stagiair+elektrotechniek" <-> "stage+elektrotechniek")."""
        other = self.counterpart
        names = {term: k for term, k in self.columns.items() if term in other}
        rows, cols = [], []
        for term, k in names.items():
            if other[term] in self.columns:
                rows.append(k)
                cols.append(self.columns[other[term]])
        pair_index = {name: self.v + k for k, name in enumerate(self.pair_columns)}
        for name, k in pair_index.items():
            a, b = name.split("+")
            if a in other or b in other:
                swapped = "+".join(sorted((other.get(a, a), other.get(b, b))))
                if swapped in pair_index:
                    rows.append(k)
                    cols.append(pair_index[swapped])
        data = np.ones(len(rows), dtype=np.float64)
        return sp.csr_matrix((data, (rows, cols)), shape=(width, width))

    def _phrase_matrix(
        self, groups: Sequence[tuple[Vector, ...]]
    ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """One row per phrase (a participant's phrases in a row), each participant's first row and count."""
        cols = self.columns
        counts = np.array([len(g) for g in groups], dtype=np.int64)
        starts = np.cumsum(counts) - counts
        vectors = [vec for group in groups for vec in group]
        lengths = np.fromiter((len(vec) for vec in vectors), dtype=np.int64, count=len(vectors))
        indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        total = int(indptr[-1])
        indices = np.fromiter((cols[t] for vec in vectors for t in vec), dtype=np.int64, count=total)
        data = np.fromiter((w for vec in vectors for w in vec.values()), dtype=np.float64, count=total)
        matrix = sp.csr_matrix((data, indices, indptr), shape=(len(vectors), max(self.v, 1)))
        matrix.sort_indices()
        return matrix, starts, counts

    def phrase_pairs(
        self, kind: str, rows: np.ndarray, cols: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """All (pair number, own phrase, other phrase, cosine) for ``need_offer``, ``offer_need``,
        ``need_need`` or ``offer_offer`` (the last two through counterparts: "stagiairs" <-> "stageplekken").

        Phrase numbers are positions within the participant's own needs/offers tuple.
        """
        needs = (self.need_phrases, self.need_start, self.need_count)
        offers = (self.offer_phrases, self.offer_start, self.offer_count)
        (own_m, own_s, own_c), (oth_m, oth_s, oth_c) = {
            "need_offer": (needs, offers),
            "offer_need": (offers, needs),
            "need_need": (needs, needs),
            "offer_offer": (offers, offers),
        }[kind]
        if kind in ("need_need", "offer_offer"):  # the other's phrase read as its counterpart
            if kind not in self._swapped:
                self._swapped[kind] = (oth_m @ self.phrase_swap).tocsr()
            oth_m = self._swapped[kind]
        ca, cb = own_c[rows], oth_c[cols]
        total = ca * cb
        pair = np.repeat(np.arange(len(rows), dtype=np.int64), total)
        within = np.arange(int(total.sum()), dtype=np.int64) - np.repeat(np.cumsum(total) - total, total)
        a = within // np.maximum(cb[pair], 1)
        b = within % np.maximum(cb[pair], 1)
        scores = np.zeros(len(pair), dtype=np.float64)
        step = 300_000
        for start in range(0, len(pair), step):
            sl = slice(start, start + step)
            left = own_m[own_s[rows[pair[sl]]] + a[sl]]
            right = oth_m[oth_s[cols[pair[sl]]] + b[sl]]
            scores[sl] = np.asarray(left.multiply(right).sum(axis=1)).ravel()
        return pair, a, b, scores

    def theme_pair_scores(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Cosine-like similarity of the two participants' themes for arrays of pairs."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float64)
        product = self.theme_matrix[rows].multiply(self.theme_matrix[cols])
        return np.asarray(product.sum(axis=1)).ravel()

    def _candidate_matrices(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """L and R without the most common terms: cheaper candidate generation, exact rescoring later.

        Term pairs are left out too: a pair is shared only where both its terms are, so it never adds a
        candidate, only reorders them."""
        if self.n <= _EXACT_UP_TO or self.v == 0:
            linear = sp.diags(self._linear_part)  # without the topic columns
            return (self.left @ linear).tocsr(), (self.right @ linear).tocsr()
        limit = max(self.config.candidate_max_df * self.n, 50.0)
        keep = np.ones(self.v + len(self.pair_columns), dtype=np.float64)  # terms, then term pairs
        keep[self.theme_matrix.shape[1] :] = 0.0
        for term, k in self.columns.items():
            if self.df[term] > limit:
                keep[k] = 0.0
        width = self.theme_matrix.shape[1]
        mask = sp.diags(np.concatenate([keep, keep, keep[:width], np.zeros(self.topic_width)]))
        return (self.left @ mask).tocsr(), (self.right @ mask).tocsr()

    # -- products ---------------------------------------------------------------------------------------
    def candidates(self, pool: int) -> tuple[np.ndarray, np.ndarray]:
        """Row and column indices of up to ``pool`` best raw candidates per participant (self excluded)."""
        if self.n == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        top = min(pool + 1, self.n)
        a, b = self.candidate_left, self.candidate_right.T.tocsr()
        if self.n <= _EXACT_UP_TO:
            coo = (a @ b).tocoo()
            keep = coo.row != coo.col
            return coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64)
        if _sp_matmul_topn is not None:
            product = _sp_matmul_topn(a, b, top_n=top, threshold=0.0, n_threads=-1)
        else:
            product = blocked_topn(a, b, top)
        coo = product.tocoo()
        rows, cols = coo.row.astype(np.int64), coo.col.astype(np.int64)
        keep = rows != cols
        return rows[keep], cols[keep]

    def pair_scores(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Exact linear score of arrays of pairs: ``L[rows] . R[cols]``, times the topic gate and divided by
        the reciprocal normalisation (see ``MatchConfig``)."""
        cfg = self.config
        out = np.zeros(len(rows), dtype=np.float64)
        step = 100_000  # rows of L and R sliced at once: bounds the peak memory of rescoring
        has = np.diff(self.topics.indptr) > 0
        for start in range(0, len(rows), step):
            r, c = rows[start : start + step], cols[start : start + step]
            product = self.left[r].multiply(self.right[c]).tocsr()
            linear = product @ self._linear_part
            if cfg.topic_gate < 1.0:
                gate = self._gate(product @ self._topic_part)
                linear *= np.where(has[r] & has[c], gate, 1.0)
            out[start : start + step] = linear
        if cfg.reciprocal_weight:
            degree = np.maximum(self.degree, 1e-3)
            out /= (degree[rows] * degree[cols]) ** (cfg.reciprocal_weight / 2)
        return out

    def _gate(self, cosine: np.ndarray) -> np.ndarray:
        """The topic gate for topic cosines: ``topic_gate`` at 0, rising to 1 at ``topic_gate_cosine``."""
        cfg = self.config
        return cfg.topic_gate + (1.0 - cfg.topic_gate) * np.minimum(1.0, cosine / cfg.topic_gate_cosine)

    def row_scores(self, row: int) -> np.ndarray:
        """Raw overlap ``L[row] . R`` of one participant with everyone (dense, length n): which pairs
        ``pair_scores`` can give a score above zero."""
        product = self.right @ self.left[row].multiply(self._linear_part).T
        return np.asarray(product.todense()).ravel()


@dataclass(frozen=True)
class _Named:
    """What participants are (``is_``) and what each need and offer phrase names for a partner, as bit
    masks (school levels, places), and which participants name anything (``naming``)."""

    is_: np.ndarray
    needs: np.ndarray
    offers: np.ndarray
    naming: np.ndarray


def blocked_topn(a: sp.csr_matrix, b: sp.csr_matrix, top: int, block: int = 1000) -> sp.csr_matrix:
    """The ``top`` largest entries of each row of ``a @ b``, in blocks of rows (pure scipy and numpy).

    The default candidate generation without the optional ``sparse_dot_topn`` package (the ``fast``
    extra, which has no wheel for some platforms, e.g. Linux on ARM); the same entries up to ties.
    """
    rows_out, cols_out, vals_out = [], [], []
    for start in range(0, a.shape[0], block):
        product = (a[start : start + block] @ b).tocsr()
        product.eliminate_zeros()
        indptr, data = product.indptr, product.data
        counts = np.diff(indptr)
        keep = [np.arange(indptr[r], indptr[r + 1]) for r in np.flatnonzero((counts > 0) & (counts <= top))]
        for r in np.flatnonzero(counts > top).tolist():
            lo = indptr[r]
            keep.append(lo + np.argpartition(-data[lo : indptr[r + 1]], top - 1)[:top])
        if not keep:
            continue
        chosen = np.concatenate(keep)
        row = np.repeat(np.arange(product.shape[0], dtype=np.int64), counts)
        rows_out.append(row[chosen] + start)
        cols_out.append(product.indices[chosen])
        vals_out.append(data[chosen])
    if not rows_out:
        return sp.csr_matrix((a.shape[0], b.shape[1]), dtype=np.float64)
    return sp.csr_matrix(
        (np.concatenate(vals_out), (np.concatenate(rows_out), np.concatenate(cols_out))),
        shape=(a.shape[0], b.shape[1]),
    )
