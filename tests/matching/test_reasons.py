from matching import Matcher, Profile, Reason, Suggestion, describe_reasons
from tests.matching.people import anna_and_ruud


def pair() -> tuple[Profile, Profile]:
    return anna_and_ruud()


def test_structured_reasons_name_the_matching_phrases():
    anna, ruud = pair()
    [s] = Matcher([anna, ruud]).suggest_for("a")
    kinds = [r.kind for r in s.reasons]
    assert kinds[0] in ("need_offer", "offer_need") and "themes" in kinds and kinds[-1] == "regions"
    first = next(r for r in s.reasons if r.kind == "need_offer")
    assert (first.own_text, first.other_text) == (
        "gastles over warmtepompen",
        "gastlessen warmtepomp-installatie",
    )
    assert set(first.terms) >= {"gastles", "warmtepomp"}
    assert s.reasons[-1].regions == ("achterhoek", "cleantech")
    assert any(r.kind == "offer_need" and r.other_text == "stagiairs" for r in s.reasons)


def test_describe_reasons_is_language_free():
    s = Suggestion(
        "x",
        "b",
        1.0,
        (
            Reason("need_offer", own_text="gastles", other_text="gastlessen"),
            Reason("themes", themes=("food", "bouw")),
            Reason("regions", regions=("achterhoek", "outside")),
        ),
    )
    assert describe_reasons(s) == [
        "need_offer: gastles ↔ gastlessen",
        "themes: food, bouw",
        "regions: achterhoek ↔ outside",
    ]


def test_a_shared_topic_between_different_kinds_of_collaboration_is_common_ground_not_a_fit():
    # A walkthrough read "Jij zoekt stagiairs installatietechniek; Kees biedt gastlessen over ..." as a
    # promise that Kees gives what was sought. The two share the topic only.
    from tests.matching.people import prof

    piet = prof("piet", needs=["stagiairs installatietechniek"], offers=["bedrijfsbezoek"])
    kees = prof("kees", offers=["gastlessen over installatietechniek en ventilatie"], needs=["vmbo klassen"])
    sanne = prof("sanne", needs=["gastles installatietechniek"], offers=["stagiairs"], role="school")
    matcher = Matcher([piet, kees, sanne])
    first = {s.other_id: s.reasons[0] for s in matcher.suggest_for("piet", top_k=3)}
    assert first["kees"].kind == "need_offer" and first["kees"].topic_only
    assert first["kees"].terms == ("installatietechniek",)
    fit = next(s.reasons[0] for s in matcher.suggest_for("sanne", top_k=3) if s.other_id == "kees")
    assert fit.kind == "need_offer" and not fit.topic_only  # a guest lesson sought, a guest lesson given


def test_the_same_activity_about_another_field_is_common_ground_not_a_fit():
    # A walkthrough read "Jij zoekt gastles lassen; Erik biedt gastles energietransitie" as untrue: the two
    # share the kind of collaboration only, and each is about a field of its own.
    from tests.matching.people import prof

    school = prof("school", needs=["gastles lassen"], offers=["leerlingen"], role="school")
    energy = prof("energy", offers=["gastles over energietransitie"], needs=["stagiairs"])
    metal = prof("metal", offers=["gastles cnc en lassen"], needs=["stagiairs"])  # the same field
    plain = prof("plain", offers=["gastlessen"], needs=["stagiairs"])  # no field named: no conflict
    other = prof("other", offers=["gastles over warmtepompen"], needs=["leerlingen"])
    matcher = Matcher([school, energy, metal, plain, other])
    first = {s.other_id: s.reasons[0] for s in matcher.suggest_for("school", top_k=5)}
    assert first["energy"].kind == "need_offer" and first["energy"].kind_only
    assert first["energy"].terms == ("gastles",)
    assert not first["metal"].kind_only and not first["plain"].kind_only
    # energietransitie and warmtepompen are one field: a guest lesson in it sought and given is a fit.
    energy_wish = prof("wish", needs=["gastles warmtepompen"], role="school")
    fit = Matcher([energy_wish, energy]).suggest_for("wish")[0].reasons[0]
    assert fit.kind == "need_offer" and not fit.kind_only and not fit.topic_only
