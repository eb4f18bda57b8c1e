"""The mechanisms of the fourth quality round (docs/matching.md): counterparts, the learnt role fit, the
topic gate, reciprocal normalisation, and reasons that name the need-offer fit first."""

import numpy as np
import pytest

from matching import MatchConfig, Matcher, normalise_phrase
from matching.profile import as_phrases
from matching.scoring import PairRules
from tests.matching.people import prof


# -- counterparts: a person and the place that person fills ------------------------------------------------
def interns_population():
    return [
        prof("firm", needs=["stagiairs elektrotechniek"], offers=["rondleiding"]),
        prof("roc", needs=["stageplekken elektrotechniek voor onze studenten"], role="mbo"),
        prof("installer", offers=["stageplekken elektrotechniek"]),
        prof("vmbo", offers=["snuffelstages"], needs=["gastles"], role="school"),
        prof("other-roc", offers=["studenten voor een stage elektrotechniek"], role="mbo"),
    ]


def test_a_need_for_interns_meets_a_need_for_internship_places():
    m = Matcher(interns_population())
    [first, *_] = m.suggest_for("firm")
    assert first.other_id in {"roc", "other-roc"}
    reason = next(r for r in m.suggest_for("firm", top_k=5) if r.other_id == "roc").reasons[0]
    assert (reason.kind, reason.own_text) == ("need_need", "stagiairs elektrotechniek")
    for_roc = next(s for s in m.suggest_for("roc", top_k=5) if s.other_id == "firm")
    first = for_roc.reasons[0]
    assert (first.kind, first.own_text, first.other_text) == (
        "need_need",
        "stageplekken elektrotechniek voor onze studenten",
        "stagiairs elektrotechniek",
    )


def test_two_sides_of_the_same_kind_do_not_match_on_interns():
    m = Matcher(interns_population())
    # A company asking for interns and a company offering internship places share only the topic.
    assert m.score("firm", "installer") < 0.5 * m.score("firm", "roc")
    # A school needing internship places is no partner of a school offering interns.
    assert m.score("roc", "other-roc") < 0.5 * m.score("roc", "installer")


def test_a_school_offering_internships_offers_its_students():
    m = Matcher(interns_population())
    assert m.score("vmbo", "firm") > 0  # "snuffelstages" offered by a school meets "stagiairs"
    # ... and complements a company offering internship places (both offer one half).
    [reason, *_] = next(s for s in m.suggest_for("vmbo", top_k=5) if s.other_id == "installer").reasons
    assert (reason.kind, reason.own_text, reason.other_text) == (
        "offer_offer",
        "snuffelstages",
        "stageplekken elektrotechniek",
    )


@pytest.mark.parametrize(
    ("person", "place"),
    [
        ("studenten voor een stage", "stageplekken voor studenten"),
        ("students for internships", "internships for students"),
        ("BBL-studenten installatietechniek", "BBL-plekken installatietechniek"),
        ("studententeams voor een praktijkopdracht", "een praktijkopdracht voor studenten"),
    ],
)
def test_word_order_tells_a_person_from_a_place(person, place):
    assert normalise_phrase(person) != normalise_phrase(place)


# -- the role fit learnt from how profiles name their partners ------------------------------------------
def test_the_role_fit_is_learnt_from_whom_profiles_name():
    people = [
        prof("s1", needs=["bedrijven voor een gastles"], role="school"),
        prof("s2", needs=["bedrijven die een excursie geven"], role="school"),
        prof("c1", needs=["scholen voor een rondleiding"], role="company"),
        prof("k1", needs=["scholen en bedrijven voor de techniekweek"], role="coordinator"),
        prof("k2", needs=["bedrijven die meedoen"], role="coordinator"),
    ]
    m = Matcher(people)
    learnt = m._rules.fit
    prior = PairRules(people, MatchConfig(learned_role_weight=0.0)).fit
    school, company, coordinator = 0, 4, 5
    # Nobody names coordinators: coordinators fit each other less than the prior table says, and
    # schools and companies, who name each other, fit better than coordinators do with each other.
    assert learnt[coordinator, coordinator] < prior[coordinator, coordinator]
    assert learnt[school, company] > learnt[coordinator, coordinator]
    assert learnt[school, school] < prior[school, school]
    assert np.allclose(learnt, learnt.T)


def test_two_coordinators_rank_below_the_schools_their_programme_serves():
    people = [
        prof(
            "pact",
            offers=["techniekweek voor scholen"],
            needs=["bedrijven voor de techniekweek"],
            role="coordinator",
        ),  # fmt: skip
        prof(
            "sto", offers=["netwerk techniekweek"], needs=["scholen voor de techniekweek"], role="coordinator"
        ),
        prof("vmbo", needs=["activiteit in de techniekweek"], offers=["leerlingen"], role="school"),
        prof("firm", offers=["rondleiding in de techniekweek voor scholen"], needs=["personeel"]),
    ]
    learnt, prior = Matcher(people), Matcher(people, MatchConfig(learned_role_weight=0.0))
    assert learnt.score("pact", "sto") / learnt.score("pact", "vmbo") < 0.8 * (
        prior.score("pact", "sto") / prior.score("pact", "vmbo")
    )


# -- the topic gate: a shared activity with unrelated topics -------------------------------------------
def test_a_shared_activity_with_unrelated_topics_counts_less():
    people = [
        prof("electro", needs=["bbl-leerlingen elektrotechniek"], themes=["elektrotechniek"]),
        prof("bikes", offers=["BBL-studenten fietstechniek"], role="mbo", themes=["fietstechniek"]),
        prof("roc", offers=["BBL-studenten"], role="mbo"),
        prof("bikeshop", themes=["fietstechniek"], offers=["reparatie"]),
        prof("electrician", themes=["elektrotechniek"], offers=["gastles"]),
    ]
    # Hub scaling off: it depends on every pair, and this compares one pair's score under two settings.
    gated = Matcher(people, MatchConfig(hub_weight=0.0))
    open_ = Matcher(people, MatchConfig(topic_gate=1.0, hub_weight=0.0))
    assert gated.score("electro", "bikes") < open_.score("electro", "bikes")
    # Naming no topic is no conflict.
    assert gated.score("electro", "roc") == open_.score("electro", "roc")


# -- reciprocal normalisation: a profile that overlaps a little with everyone ------------------------------
def test_a_profile_that_overlaps_with_everyone_ranks_lower_for_each():
    hub = prof("hub", offers=["gastles", "stage", "bedrijfsbezoek", "subsidie", "lesmateriaal", "workshop"])
    specific = prof("installer", offers=["gastles warmtepompen"])
    people = [
        prof("school", needs=["gastles over warmtepompen"], role="school"),
        *(
            prof(f"s{k}", needs=[need], role="school")
            for k, need in enumerate(["stage", "subsidie", "workshop"])
        ),
        hub,
        specific,
    ]
    plain = Matcher(people, MatchConfig(reciprocal_weight=0.0))
    reciprocal = Matcher(people)
    ratio = reciprocal.score("school", "hub") / reciprocal.score("school", "installer")
    assert ratio < plain.score("school", "hub") / plain.score("school", "installer")
    assert reciprocal.score("school", "hub") == reciprocal.score("hub", "school")


# -- reasons: the need-offer fit first -----------------------------------------------------------------
def test_the_first_reason_is_the_strongest_need_offer_fit():
    people = [
        prof(
            "school",
            needs=["iets met techniek", "gastles over warmtepompen"],
            offers=["leerlingen"],
            role="school",
            themes=["energie"],
        ),  # fmt: skip
        prof("ruud", offers=["gastlessen warmtepomp-installatie", "techniek"], themes=["energie"]),
    ]
    [s] = Matcher(people).suggest_for("school")
    assert (s.reasons[0].kind, s.reasons[0].own_text) == ("need_offer", "gastles over warmtepompen")
    assert [r.kind for r in s.reasons][-1] == "regions"
    weights = [r.weight for r in s.reasons if r.kind not in ("themes", "regions")]
    assert weights == sorted(weights, reverse=True) and len(weights) <= 3


# -- a plus joins two items ----------------------------------------------------------------------------
def plus_population():
    return [
        prof("school", needs=["profielwerkstuk met drones"], role="school"),
        prof(
            "drones",
            offers=["drone-demo op school + dataset met luchtfoto's en kaarten van akkers voor leerlingen"],
            role="company",
        ),
        prof("lab", offers=["begeleiding bij een profielwerkstuk"], role="company"),
    ]


def test_a_plus_between_two_offers_makes_two_phrases_each_fit_on_its_own():
    m = Matcher(plus_population())
    assert as_phrases(m.profiles[1]).offers == (
        "drone-demo op school",
        "dataset met luchtfoto's en kaarten van akkers voor leerlingen",
    )
    joined = Matcher(plus_population(), MatchConfig()).score("school", "drones")
    # The same offer typed as one long phrase without the plus fits the drone need less well.
    as_one = Matcher(
        [
            *plus_population()[:1],
            prof(
                "drones",
                offers=[
                    "drone-demo op school en dataset met luchtfoto's en kaarten van akkers voor leerlingen"
                ],
                role="company",
            ),
            plus_population()[2],
        ]
    ).score("school", "drones")
    assert joined > 1.2 * as_one
    reason = next(s for s in m.suggest_for("school") if s.other_id == "drones").reasons[0]
    # The reason quotes the item as typed: a piece of it ("zonnepanelen demonstratie" out of "warmtepompen +
    # zonnepanelen demonstratie") would put words in the other's mouth.
    assert reason.other_text == plus_population()[1].offers[0]


@pytest.mark.parametrize("text", ["niveau 3 + 4", "C++ programmeren", "1 + 1 workshop"])
def test_a_plus_between_numbers_or_inside_a_word_joins_nothing(text):
    assert as_phrases(prof("a", offers=[text])).offers == (text,)


def test_a_need_typed_with_a_plus_is_answered_as_the_one_item_it_is():
    m = Matcher(
        [
            prof("school", needs=["een gastles", "een lokaal + profielwerkstuk met drones"], role="school"),
            prof("drones", offers=["begeleiding bij een profielwerkstuk met drones"], role="company"),
        ]
    )
    assert m.profiles[0].needs[1] == "een lokaal + profielwerkstuk met drones"  # the matcher keeps items
    assert m.needs_with_partner()["school"] == frozenset({1})  # item 1, not phrase 2
