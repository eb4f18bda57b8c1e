"""Tunable settings of the matcher."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatchConfig:
    """Weights, thresholds and fairness caps. The defaults are the tuned, documented values.

    Scoring (see docs/matching.md):
        complementarity_weight: weight of offers-vs-needs similarity, summed over both directions.
        theme_weight: weight of shared themes (cosine of weighted theme terms).
        role_weight: how strongly role fit modifies the score (0 = ignore roles, 1 = fully multiplicative).
        learned_role_weight: share of the role fit learnt from the population (how often one role's texts
            name the kinds of organisation another role is) against the fixed prior table (0 = prior only).
        same_region_bonus: relative bonus for pairs in the same region (easy to meet).
        neighbour_bonus: relative bonus for pairs in neighbouring regions.
        cross_region_bonus: relative bonus for pairs in different regions (to encourage bridges); applied
            on top of ``neighbour_bonus`` for neighbouring regions.
        audience_weight: relative bonus per direction in which one side's offers or needs name the other's
            kind of organisation ("bedrijven die ...", "hbo-stagiairs", "scholieren"; data/audience.txt).
        commerce_penalty: score multiplier per side of a pair that sells: offers something for sale, hire
            or a fee, or needs customers (thesaurus kinds ``sale`` and ``customer``). A sale is no joint
            project; 1 switches it off. The words that mark selling carry no weight in any case.
        level_penalty: how much of a pair's score is lost with the share of its need-offer phrase fit whose
            phrase names a school level the other participant is not ("hbo-afstudeerders" and a vmbo
            school): ``score * (1 - level_penalty * share)``. One's own level in one's phrase is
            self-description and never counts; 0 switches it off.
        place_penalty: the same for places: the share of a pair's phrase fit whose need names a town or
            region the other is not in ("contact met basisscholen in Tiel"), or whose offer names one outside
            its writer's own region; 0 switches it off.
        generic_damping: multiplier on the weight of words in data/generic.txt ("leerlingen", "techniek").
        broader_weight: weight of a broader concept implied by the thesaurus (warmtepomp -> duurzame energie)
            relative to the concept itself.
        unique_term_weight: multiplier on the weight of a term only one participant uses: it can never be
            shared, so it should only partly dilute that participant's phrase.
        phrase_norm_floor: a phrase vector is divided by max(its length, this floor), so phrases made of
            uninformative words stay weak instead of being scaled up to unit length.
        phrase_pair_weight: extra weight for an offer and a need that share two informative terms (a pair
            such as stage + elektrotechniek), on top of the two single-term matches; 0 switches it off.
        phrase_count_damping: each participant's summed offers (needs) are divided by count**damping, so
            listing many phrases helps a little but cannot dominate.
        activity_share: share of a need or offer phrase's squared length given to its kind of
            collaboration (activity, resource and level concepts of the thesaurus) when it also names a
            topic; each part is normalised on its own, so a shared "stage" keeps its weight in a phrase
            full of topic words. 0 (or 1) normalises the phrase as one vector.
        topic_gate: score multiplier for two participants who both name topics (warmtepompen, food, ...)
            that have nothing in common, e.g. a shared "BBL" with electrical work on one side and bicycle
            repair on the other; it rises to 1 as their topics' cosine reaches ``topic_gate_cosine``.
        topic_gate_cosine: topic cosine from which two participants' topics count as fully compatible.
        reciprocal_weight: exponent alpha of the reciprocal normalisation
            ``score / (d_a * d_b) ** (alpha / 2)``, ``d`` a participant's total overlap with everyone
            (relative to the average): a pair is good when it stands out for both sides, not when one side
            overlaps a little with everyone.
        hub_weight: exponent beta of the local scaling against hubs
            ``score / (h_a * h_b) ** (beta / 2)``, ``h`` the mean of a participant's ``hub_neighbours``
            best profile-only scores (relative to the population's average): someone who scores well with
            everybody (a generic profile listing every activity) counts for less in each list, so a partner
            for whom this pair stands out ranks higher. 0 switches it off.
        hub_neighbours: how many of a participant's best scores make its hub level.
        typing_slips: a rare word is corrected towards a frequent one only if it differs by slips people
            make on a phone keyboard (``thesaurus.is_typo``), not merely by a similar spelling.
        min_score: suggestions below this score are not made.

    Ranking and fairness:
        max_per_organisation: at most this many suggestions from one organisation in one list.
        candidate_pool: above 800 participants, how many best raw candidates per participant are
            rescored exactly in batch mode (below that every pair sharing a term is scored).
        candidate_max_df: above 800 participants, terms used by more than this share of participants
            (and by more than 50) are skipped when generating candidates; they still count in the score.
        weekly_new_per_person: at most this many new pairs per person in one weekly run.
        weekly_incoming_cap: at most this many new suggestions a person receives per week, counting
            ``History.incoming_this_week``; also applied by ``suggest``/``suggest_for`` when history is given.
        weekly_pool: how many best candidates per person the weekly pairing considers.
        cooldown_days: days before an expired (unanswered) pair may be suggested again.
        declined_cooldown_days: days before a declined pair may return; ``None`` means never.
        unresponsive_penalty: score multiplier per unresponsiveness report about a person (0..1).
        unresponsive_cap_step: each report lowers that person's weekly incoming cap by this many.
    """

    complementarity_weight: float = 1.0
    theme_weight: float = 0.4
    role_weight: float = 0.6
    learned_role_weight: float = 0.6
    same_region_bonus: float = 0.3
    neighbour_bonus: float = 0.02
    cross_region_bonus: float = 0.0
    audience_weight: float = 0.25
    commerce_penalty: float = 0.3
    level_penalty: float = 0.5
    place_penalty: float = 0.5
    generic_damping: float = 0.25
    broader_weight: float = 0.35
    unique_term_weight: float = 0.5
    phrase_norm_floor: float = 0.7
    phrase_count_damping: float = 0.25
    phrase_pair_weight: float = 0.4
    activity_share: float = 0.5
    topic_gate: float = 0.7
    topic_gate_cosine: float = 0.3
    reciprocal_weight: float = 0.25
    hub_weight: float = 0.8
    hub_neighbours: int = 10
    typing_slips: bool = True
    min_score: float = 0.02
    max_per_organisation: int = 2
    candidate_pool: int = 30
    candidate_max_df: float = 0.2
    weekly_new_per_person: int = 3
    weekly_incoming_cap: int = 5
    weekly_pool: int = 15
    cooldown_days: int = 56
    declined_cooldown_days: int | None = None
    unresponsive_penalty: float = 0.7
    unresponsive_cap_step: int = 1
