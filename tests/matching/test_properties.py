"""Property tests: symmetry, exclusions, order independence, robustness on arbitrary text."""

import random
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import (
    REACHES,
    REGIONS,
    ROLES,
    History,
    Matcher,
    Profile,
    normalise_phrase,
)

NOW = datetime(2026, 3, 10, tzinfo=UTC)
WORDS = [
    "gastles",
    "warmtepompen",
    "stageplekken",
    "BBL",
    "zonnepanelen",
    "installatie",
    "leerlingen",
    "techniek",
    "lassen",
    "excursie",
    "docentstage",
    "food",
    "heat pump",
    "internship",
    "robotica",
    "zij-instromers",
    "personeel",
    "bouw",
    "cnc",
    "waterstof",
]

phrase = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
profile_fields = st.fixed_dictionaries(
    {
        "organisation": st.sampled_from(["", "A", "B", "C", "D", "E"]),
        "role": st.sampled_from(ROLES),
        "region": st.sampled_from(REGIONS),
        "reach": st.sampled_from(REACHES),
        "offers": st.lists(phrase, max_size=3).map(tuple),
        "needs": st.lists(phrase, max_size=3).map(tuple),
        "themes": st.lists(phrase, max_size=3).map(tuple),
        "active": st.booleans(),
    }
)
populations = st.lists(profile_fields, min_size=2, max_size=12).map(
    lambda rows: [Profile(id=f"p{k}", name=f"P{k}", **row) for k, row in enumerate(rows)]
)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(populations)
def test_pair_scores_are_symmetric(profiles):
    m = Matcher(profiles)
    for a in profiles:
        for b in profiles:
            assert m.score(a.id, b.id) == m.score(b.id, a.id)


@FAST
@given(populations, st.data())
def test_excluded_pairs_never_appear(profiles, data):
    ids = [p.id for p in profiles]
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=6))
    never = data.draw(st.dictionaries(st.sampled_from(ids), st.frozensets(st.sampled_from(ids)), max_size=3))
    history = History(suggested=frozenset(pairs[:3]), declined=dict.fromkeys(pairs[3:], NOW), never=never)
    forbidden = {frozenset(p) for p in pairs} | {frozenset((a, b)) for a, bs in never.items() for b in bs}
    by_id = {p.id: p for p in profiles}
    m = Matcher(profiles)
    for result in (m.suggest(top_k=5, history=history, now=NOW), m.weekly(history, NOW)):
        for pid, suggestions in result.items():
            assert by_id[pid].active
            for s in suggestions:
                other = by_id[s.other_id]
                assert s.other_id != pid and other.active
                assert frozenset((pid, s.other_id)) not in forbidden
                org = by_id[pid].organisation
                assert not org or org != other.organisation


@FAST
@given(populations, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(profiles, rnd: random.Random):
    shuffled = list(profiles)
    rnd.shuffle(shuffled)
    assert Matcher(profiles).suggest(top_k=3) == Matcher(shuffled).suggest(top_k=3)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_normalise_never_crashes(text):
    out = normalise_phrase(text)
    assert out == out.strip() and normalise_phrase(text) == out


@FAST
@given(st.lists(st.lists(st.text(max_size=30), max_size=3), min_size=2, max_size=6))
def test_matcher_survives_arbitrary_unicode(texts):
    profiles = [
        Profile(
            id=f"p{k}",
            name=t[0] if t else "",
            organisation=t[-1] if t else "",
            offers=tuple(t),
            needs=tuple(reversed(t)),
            themes=tuple(t[:1]),
        )
        for k, t in enumerate(texts)
    ]
    m = Matcher(profiles)
    result = m.suggest(top_k=3)
    assert set(result) == {p.id for p in profiles}
    m.weekly(History(), NOW)
