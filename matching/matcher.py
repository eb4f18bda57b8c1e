"""The matcher: build the index once, then ask for suggestions for everyone, for one person, or weekly."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np

from matching.config import MatchConfig
from matching.exceptions import UnknownParticipantError
from matching.history import History, blocked_pairs, pair_key
from matching.index import ProfileIndex
from matching.profile import Profile
from matching.ranking import top_k_per_row, weekly_pairs
from matching.reasons import _MIN_PHRASE_SCORE as MIN_PHRASE_SCORE
from matching.reasons import explain_many
from matching.scoring import PairRules
from matching.suggestion import Suggestion

_DECIMALS = 6
# Lowest hub level: a participant with weak scores everywhere (generic words only) is lifted by at most
# (1 / 0.35²) ** (hub_weight / 2), so generic profiles never become strong partners of each other.
_HUB_FLOOR = 0.35


class Matcher:
    """Suggests partners among ``profiles``; the index is built once in the constructor.

    Raises ``ValueError`` when two profiles share an id.
    """

    def __init__(self, profiles: Iterable[Profile], config: MatchConfig | None = None) -> None:
        self.config = config or MatchConfig()
        self.profiles: tuple[Profile, ...] = tuple(profiles)
        self._position = {p.id: k for k, p in enumerate(self.profiles)}
        if len(self._position) != len(self.profiles):
            seen: set[str] = set()
            dup = next(p.id for p in self.profiles if p.id in seen or seen.add(p.id))  # type: ignore[func-returns-value]
            raise ValueError(f"duplicate participant id: {dup!r}")
        self._index = ProfileIndex(self.profiles, self.config)  # it reads phrases; `profiles` stay as given
        self._rules = PairRules(
            self.profiles, self.config, self._index.audience_sought, self._index.audience_is
        )
        self._hub: np.ndarray | None = None
        ids = [p.id for p in self.profiles]
        self._tie_rank = np.argsort(np.argsort(np.array(ids, dtype=object), kind="stable"), kind="stable")

    # -- public ------------------------------------------------------------------------------------------
    def suggest(
        self, top_k: int = 5, history: History | None = None, *, now: datetime | None = None
    ) -> dict[str, list[Suggestion]]:
        """Top ``top_k`` suggestions for every active participant, best first.

        Without history the ranking uses the profiles alone. With history, forbidden pairs (suggested,
        declined, expired within cooldown, never-lists, inactive people) are left out, people reported as
        unresponsive rank lower, and people who reached the weekly incoming cap are not suggested.
        ``now`` (default: the current UTC time) is used for cooldowns only.
        """
        pool = max(self.config.candidate_pool, top_k * 4)
        rows, cols = self._index.candidates(pool)
        # Without history, the candidates' profile-only scores also give the hub levels (computed once).
        rows, cols, scores = self._score(rows, cols, history, now, hub_from_pairs=history is None)
        picked = top_k_per_row(
            rows, cols, scores, self._rules.org, self._tie_rank, top_k, self.config.max_per_organisation
        )
        return self._build(
            [i for i in range(len(self.profiles)) if self._serves(i, history)],
            [(i, j, s) for i, chosen in picked.items() for j, s in chosen],
        )

    def suggest_for(
        self,
        participant_id: str,
        top_k: int = 5,
        history: History | None = None,
        *,
        now: datetime | None = None,
    ) -> list[Suggestion]:
        """Top ``top_k`` suggestions for one participant, scored exactly against everyone in the index.

        Raises ``UnknownParticipantError`` for an id that is not in the index. An inactive participant
        gets an empty list.
        """
        i = self._position.get(participant_id)
        if i is None:
            raise UnknownParticipantError(participant_id)
        if not self._serves(i, history):
            return []
        linear = self._index.row_scores(i)
        cols = np.flatnonzero(linear > 0)
        rows = np.full(len(cols), i, dtype=np.int64)
        rows, cols, scores = self._score(rows, cols, history, now)
        picked = top_k_per_row(
            rows, cols, scores, self._rules.org, self._tie_rank, top_k, self.config.max_per_organisation
        )
        return self._build([i], [(i, j, s) for j, s in picked.get(i, [])])[participant_id]

    def weekly(
        self, history: History | None = None, now: datetime | None = None
    ) -> dict[str, list[Suggestion]]:
        """This week's new pairs: each pair is one suggestion shown to both sides.

        Every active participant gets at most ``weekly_new_per_person`` pairs and nobody receives more
        than ``weekly_incoming_cap`` suggestions this week (counting ``history.incoming_this_week``; lowered
        by ``unresponsive_cap_step`` per unresponsiveness report). Pairs are chosen best first in rounds, so
        everyone who can be paired gets a first pair before anyone gets a second. The result maps every
        active participant to its suggestions; a pair (a, b) appears as a->b and b->a with the same score.
        """
        history = history or History()
        cfg = self.config
        pool = max(cfg.candidate_pool, cfg.weekly_pool)
        rows, cols = self._index.candidates(pool)
        if self._index.n <= pool:
            rows, cols = np.nonzero(np.ones((self._index.n, self._index.n), dtype=bool))
        # Symmetric scoring: use both orientations so a pair is scored the same whichever side found it.
        n = self._index.n
        codes = np.unique(np.r_[rows * n + cols, cols * n + rows])
        rows, cols = codes // n, codes % n
        rows, cols, scores = self._score(rows, cols, history, now, symmetric=True)
        picked = top_k_per_row(
            rows, cols, scores, self._rules.org, self._tie_rank, cfg.weekly_pool, cfg.weekly_pool
        )
        pairs: dict[tuple[str, str], float] = {}
        for i, chosen in picked.items():
            for j, s in chosen:
                a, b = pair_key(self.profiles[i].id, self.profiles[j].id)
                pairs[(a, b)] = s
        reports = history.unresponsive_reports
        incoming_left = {
            p.id: max(
                0,
                cfg.weekly_incoming_cap
                - history.incoming_this_week.get(p.id, 0)
                - cfg.unresponsive_cap_step * reports.get(p.id, 0),
            )
            for p in self.profiles
        }
        organisation = {p.id: int(self._rules.org[k]) for k, p in enumerate(self.profiles)}
        chosen_pairs = weekly_pairs(
            [(s, a, b) for (a, b), s in pairs.items()],
            organisation,
            cfg.weekly_new_per_person,
            incoming_left,
            cfg.max_per_organisation,
        )
        triples = []
        for s, a, b in chosen_pairs:
            ia, ib = self._position[a], self._position[b]
            triples += [(ia, ib, s), (ib, ia, s)]
        result = self._build([k for k in range(len(self.profiles)) if self._serves(k, history)], triples)
        for suggestions in result.values():
            suggestions.sort(key=lambda x: (-x.score, x.other_id))
        return result

    def needs_with_partner(self, pool: int = 200) -> dict[str, frozenset[int]]:
        """Per participant, the positions of their needs that some allowed partner answers.

        A need is answered when a pair the matcher may suggest (its rules, score at least ``min_score``,
        among the ``pool`` best raw candidates of the asker) holds an offer matching it (``need_offer``) or
        a need that is its counterpart (``need_need``: interns against an internship place), as strongly as
        a reason on a suggestion card needs to be. Profiles only (no history). Everything vectorised: about
        a second at 3,000 participants, so a report of unmet demand agrees with the suggestions.
        """
        rows, cols = self._index.candidates(pool)
        rows, cols, _ = self._score(rows, cols, None, None)
        answered: dict[str, set[int]] = {}
        origins = self._index.origins["needs"]  # a need typed as "a + b" is two phrases of one item
        for kind in ("need_offer", "need_need"):
            if kind == "need_need":
                has = self._index.has_counterpart["needs"]
                subset = np.flatnonzero(has[rows] & has[cols])
                kind_rows, kind_cols = rows[subset], cols[subset]
            else:
                kind_rows, kind_cols = rows, cols
            pair, own, _, scores = self._index.phrase_pairs(kind, kind_rows, kind_cols)
            keep = scores >= MIN_PHRASE_SCORE
            for i, need in zip(kind_rows[pair[keep]].tolist(), own[keep].tolist(), strict=True):
                answered.setdefault(self.profiles[i].id, set()).add(origins[i][need])
        return {pid: frozenset(needs) for pid, needs in answered.items()}

    def with_profile(self, profile: Profile) -> Matcher:
        """A new matcher with ``profile`` added (or replacing the profile with the same id).

        Rebuilds the index (population weights change with every profile): about 0.4 s per 1,000
        participants, so after onboarding the bot can call ``matcher.with_profile(p).suggest_for(p.id)``.
        """
        others = [p for p in self.profiles if p.id != profile.id]
        return Matcher([*others, profile], self.config)

    def score(self, a_id: str, b_id: str) -> float:
        """The profile-only score of a pair (0.0 when the pair is not allowed); symmetric."""
        for pid in (a_id, b_id):
            if pid not in self._position:
                raise UnknownParticipantError(pid)
        rows = np.array([self._position[a_id]], dtype=np.int64)
        cols = np.array([self._position[b_id]], dtype=np.int64)
        _, _, scores = self._score(rows, cols, None, None, keep_all=True)
        return float(scores[0]) if len(scores) else 0.0

    # -- internal ------------------------------------------------------------------------------------------
    def _serves(self, i: int, history: History | None) -> bool:
        p = self.profiles[i]
        return p.active and (history is None or p.id not in history.inactive)

    def _score(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        history: History | None,
        now: datetime | None,
        *,
        symmetric: bool = False,
        keep_all: bool = False,
        hub_from_pairs: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, cols = rows.astype(np.int64), cols.astype(np.int64)
        ok = self._rules.allowed(rows, cols)
        if history is not None:
            ok &= self._history_allows(rows, cols, history, now, symmetric)
        rows, cols = rows[ok], cols[ok]
        # Score each unordered pair in one orientation so that a->b and b->a are bit-identical.
        lo, hi = np.minimum(rows, cols), np.maximum(rows, cols)
        scores = self._profile_scores(lo, hi)
        if self.config.hub_weight:
            if self._hub is None and hub_from_pairs:
                self._hub = self._hub_levels(rows, scores)
            hub = self._hub_level()
            scores = scores / (hub[lo] * hub[hi]) ** (self.config.hub_weight / 2)
        if history is not None and history.unresponsive_reports:
            reports = np.array(
                [history.unresponsive_reports.get(p.id, 0) for p in self.profiles], dtype=np.float64
            )
            exponent = reports[cols] + (reports[rows] if symmetric else 0.0)
            scores = scores * np.power(self.config.unresponsive_penalty, exponent)
        scores = np.round(scores, _DECIMALS)
        if keep_all:
            return rows, cols, scores
        keep = scores >= max(self.config.min_score, 10.0**-_DECIMALS)
        return rows[keep], cols[keep], scores[keep]

    def _profile_scores(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Linear score x role, region and audience factors of allowed pairs (before the hub scaling)."""
        scores = self._index.pair_scores(lo, hi) * self._rules.modifiers(lo, hi)
        if self.config.audience_weight:
            scores = scores * (1.0 + self.config.audience_weight * self._index.audience_match(lo, hi))
        if self.config.level_penalty:
            scores = scores * (1.0 - self.config.level_penalty * self._index.level_conflict(lo, hi))
        if self.config.place_penalty:
            scores = scores * (1.0 - self.config.place_penalty * self._index.place_conflict(lo, hi))
        if self.config.commerce_penalty < 1.0:
            sells = self._index.sells
            scores = scores * np.power(self.config.commerce_penalty, sells[lo] + sells[hi])
        return np.asarray(scores, dtype=np.float64)

    def _hub_level(self) -> np.ndarray:
        """Each participant's hub level (computed once, from the candidates' profile-only scores)."""
        if self._hub is None:
            pool = max(self.config.candidate_pool, self.config.hub_neighbours)
            rows, cols = self._index.candidates(pool)
            ok = self._rules.allowed(rows, cols)
            rows, cols = rows[ok], cols[ok]
            scores = self._profile_scores(np.minimum(rows, cols), np.maximum(rows, cols))
            self._hub = self._hub_levels(rows, scores)
        return self._hub

    def _hub_levels(self, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Mean of each participant's ``hub_neighbours`` best profile-only scores (``scores`` of allowed
        candidate pairs, row ``rows``), relative to the average over the participants that have any
        (floor: ``_HUB_FLOOR``)."""
        n = len(self.profiles)
        scores = np.round(scores, _DECIMALS)
        k = max(self.config.hub_neighbours, 1)
        order = np.lexsort((-scores, rows))
        rows, scores = rows[order], scores[order]
        starts = np.searchsorted(rows, np.arange(n))
        rank = np.arange(len(rows)) - starts[rows]
        best = rank < k
        level = np.bincount(rows[best], weights=scores[best], minlength=n) / k
        positive = level[level > 0]
        mean = float(positive.mean()) if len(positive) else 1.0
        return np.maximum(level / mean, _HUB_FLOOR)

    def _history_allows(
        self, rows: np.ndarray, cols: np.ndarray, history: History, now: datetime | None, symmetric: bool
    ) -> np.ndarray:
        n = len(self.profiles)
        moment = now or datetime.now(UTC)
        blocked = blocked_pairs(
            history, moment, self.config.cooldown_days, self.config.declined_cooldown_days
        )
        codes = [
            self._position[a] * n + self._position[b]
            for a, b in blocked
            if a in self._position and b in self._position
        ]
        code_array = np.array(
            codes
            + [
                self._position[b] * n + self._position[a]
                for a, b in blocked
                if a in self._position and b in self._position
            ],
            dtype=np.int64,
        )
        ok = ~np.isin(rows * n + cols, code_array)
        if history.inactive:
            inactive = np.array([p.id in history.inactive for p in self.profiles], dtype=bool)
            ok &= ~inactive[rows] & ~inactive[cols]
        if not symmetric and history.incoming_this_week:
            cfg = self.config
            full = np.array(
                [
                    history.incoming_this_week.get(p.id, 0)
                    >= cfg.weekly_incoming_cap
                    - cfg.unresponsive_cap_step * history.unresponsive_reports.get(p.id, 0)
                    for p in self.profiles
                ],
                dtype=bool,
            )
            ok &= ~full[cols]
        return ok

    def _build(self, served: list[int], triples: list[tuple[int, int, float]]) -> dict[str, list[Suggestion]]:
        """Suggestions with reasons for (row, col, score) triples, grouped per served participant in order."""
        rows = np.array([t[0] for t in triples], dtype=np.int64)
        cols = np.array([t[1] for t in triples], dtype=np.int64)
        reasons = explain_many(self._index, rows, cols)
        result: dict[str, list[Suggestion]] = {self.profiles[i].id: [] for i in served}
        for (i, j, s), why in zip(triples, reasons, strict=True):
            pid = self.profiles[i].id
            if pid in result:
                result[pid].append(Suggestion(pid, self.profiles[j].id, float(s), why))
        return result
