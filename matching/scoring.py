"""Pair rules: who may be paired at all, and the role and region modifiers of a pair's score.

The role fit is a prior table blended with a fit learnt from the population: how often each role's
offers and needs name the kinds of organisation the other role is (data/audience.txt).

The linear part of the score (complementarity both ways plus shared themes, topic gate and reciprocal
normalisation) comes from ``index.py``; the final score is
``linear * role_factor * region_factor * audience_factor * commerce_factor * level_factor * place_factor *
unresponsive_factor``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from matching.codes import NEIGHBOURS, REACHES, REGIONS, ROLES
from matching.config import MatchConfig
from matching.profile import Profile, organisation_key

_FIT: Mapping[tuple[str, str], float] = {
    ("school", "company"): 1.0,
    ("school", "mbo"): 0.9,
    ("school", "hbo"): 0.7,
    ("school", "training"): 0.8,
    ("school", "coordinator"): 0.8,
    ("school", "government"): 0.6,
    ("school", "school"): 0.5,
    ("mbo", "company"): 1.0,
    ("mbo", "hbo"): 0.8,
    ("mbo", "training"): 0.8,
    ("mbo", "coordinator"): 0.8,
    ("mbo", "government"): 0.6,
    ("mbo", "mbo"): 0.5,
    ("hbo", "company"): 1.0,
    ("hbo", "training"): 0.7,
    ("hbo", "coordinator"): 0.8,
    ("hbo", "government"): 0.7,
    ("hbo", "hbo"): 0.5,
    ("training", "company"): 0.9,
    ("training", "coordinator"): 0.8,
    ("training", "government"): 0.7,
    ("training", "training"): 0.5,
    ("company", "company"): 0.7,
    ("company", "coordinator"): 0.8,
    ("company", "government"): 0.7,
    ("coordinator", "coordinator"): 0.7,
    ("coordinator", "government"): 0.9,
    ("government", "government"): 0.5,
}
_DEFAULT_FIT = 0.6  # anything with role "other"


def role_fit(a: str, b: str) -> float:
    """How naturally two roles work together on a project, 0..1 (symmetric)."""
    return _FIT.get((a, b), _FIT.get((b, a), _DEFAULT_FIT))


def reach_admits(reach: str, own_region: str, other_region: str) -> bool:
    """Whether a participant with this reach and region accepts a partner from ``other_region``."""
    if reach == "own":
        return own_region == other_region
    if reach == "neighbours":
        return own_region == other_region or other_region in NEIGHBOURS.get(own_region, frozenset())
    return True


def _code_index(codes: Sequence[str], value: str, default: str) -> int:
    return codes.index(value) if value in codes else codes.index(default)


class PairRules:
    """Vectorised eligibility and modifiers over participant index arrays (internal)."""

    def __init__(
        self,
        profiles: Sequence[Profile],
        config: MatchConfig,
        audience_sought: np.ndarray | None = None,
        audience_is: np.ndarray | None = None,
    ) -> None:
        self.config = config
        self.role = np.array([_code_index(ROLES, p.role, "other") for p in profiles], dtype=np.int64)
        self.region = np.array([_code_index(REGIONS, p.region, "outside") for p in profiles], dtype=np.int64)
        self.reach = np.array([_code_index(REACHES, p.reach, "anywhere") for p in profiles], dtype=np.int64)
        self.active = np.array([p.active for p in profiles], dtype=bool)
        keys: dict[str, int] = {}
        orgs = []
        for k, p in enumerate(profiles):
            key = organisation_key(p.organisation)
            # No organisation: a unique negative code, so it never equals anyone else's.
            orgs.append(keys.setdefault(key, len(keys)) if key else -1 - k)
        self.org = np.array(orgs, dtype=np.int64)
        self.admit = np.array(
            [[[reach_admits(reach, a, b) for b in REGIONS] for a in REGIONS] for reach in REACHES], dtype=bool
        )
        self.fit = np.array([[role_fit(a, b) for b in ROLES] for a in ROLES], dtype=np.float64)
        if audience_sought is not None and audience_is is not None:
            self.fit = self._learnt_fit(self.fit, audience_sought, audience_is)
        self.role_factor = 1.0 - config.role_weight + config.role_weight * self.fit
        region_factor = np.ones((len(REGIONS), len(REGIONS)), dtype=np.float64)
        for x, a in enumerate(REGIONS):
            for y, b in enumerate(REGIONS):
                if a == b:
                    region_factor[x, y] += config.same_region_bonus
                else:
                    region_factor[x, y] += config.cross_region_bonus
                    if b in NEIGHBOURS.get(a, frozenset()):
                        region_factor[x, y] += config.neighbour_bonus
        self.region_factor = region_factor

    def _learnt_fit(self, prior: np.ndarray, sought: np.ndarray, is_: np.ndarray) -> np.ndarray:
        """Role fit learnt from how the population's texts name kinds of partners, blended with the prior.

        ``sought[i]``: the kinds (data/audience.txt) participant i's offers and needs name, summing to 1 or
        0; ``is_[i]``: the kinds it is (0/1). A role's affinity for another is how often its members name
        what the other's members are, in both directions; the strongest affinity counts as 1.
        """
        gamma = self.config.learned_role_weight
        if gamma <= 0 or sought.shape[1] == 0:
            return prior
        seeks = np.zeros((len(ROLES), sought.shape[1]))
        kind = np.zeros((len(ROLES), sought.shape[1]))
        for r in range(len(ROLES)):
            members = self.role == r
            if members.any():
                seeks[r] = sought[members].mean(axis=0)
                kind[r] = is_[members].mean(axis=0)
        affinity = seeks @ kind.T
        affinity = affinity + affinity.T
        top = float(affinity.max())
        if top <= 0:
            return prior
        return np.asarray((1.0 - gamma) * prior + gamma * affinity / top, dtype=np.float64)

    def allowed(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Pairs that may be suggested: not self, both active, other organisation, reach both ways."""
        ok = (rows != cols) & self.active[rows] & self.active[cols] & (self.org[rows] != self.org[cols])
        ok &= self.admit[self.reach[rows], self.region[rows], self.region[cols]]
        ok &= self.admit[self.reach[cols], self.region[cols], self.region[rows]]
        return ok

    def modifiers(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Role and region factor of each pair (symmetric)."""
        role = self.role_factor[self.role[rows], self.role[cols]]
        region = self.region_factor[self.region[rows], self.region[cols]]
        return np.asarray(role * region, dtype=np.float64)
