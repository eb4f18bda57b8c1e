"""Round 6 (docs/matching.md): local scaling against hubs, people who score well with everybody."""

from matching import History, MatchConfig, Matcher
from tests.matching.people import prof


def population():
    # "allround" offers every kind of collaboration and fits each school well; "installer" fits only
    # "school" (and a little less well than allround does), "roc" only offers interns.
    schools = [
        prof(f"s{k}", needs=[need], role="school")
        for k, need in enumerate(
            ["gastles techniek", "bedrijfsbezoek", "stageplekken", "workshop techniek", "gastlessen"]
        )
    ]
    return [
        prof("school", needs=["gastles over installatietechniek", "stageplekken"], role="school"),
        *schools,
        prof(
            "allround",
            offers=["gastlessen installatietechniek", "stageplekken", "bedrijfsbezoek", "workshops techniek"],
            needs=["stagiairs"],
        ),
        prof("installer", offers=["gastles installatietechniek"], needs=["stagiairs"]),
        prof("roc", offers=["stagiairs"], role="mbo"),
    ]


def test_a_partner_who_fits_everybody_counts_for_less_in_each_list():
    people = population()
    plain = Matcher(people, MatchConfig(hub_weight=0.0))
    scaled = Matcher(people)
    assert [s.other_id for s in plain.suggest_for("school", top_k=2)] == ["allround", "installer"]
    assert [s.other_id for s in scaled.suggest_for("school", top_k=2)] == ["installer", "allround"]
    assert scaled.score("school", "allround") == scaled.score("allround", "school")


def test_hub_levels_are_the_same_whichever_call_comes_first():
    people = population()
    batch_first, single_first = Matcher(people), Matcher(people)
    batch = batch_first.suggest(top_k=3)
    single = {p.id: single_first.suggest_for(p.id, top_k=3) for p in people}
    with_history = Matcher(people).suggest(top_k=3, history=History())
    for pid, got in batch.items():
        expected = [(s.other_id, s.score) for s in got]
        assert [(s.other_id, s.score) for s in single[pid]] == expected
        assert [(s.other_id, s.score) for s in with_history[pid]] == expected
