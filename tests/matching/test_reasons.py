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
