import pytest

from matching import Matcher, Profile, Reason, Suggestion, render_reasons


def pair():
    anna = Profile(
        id="a",
        name="Anna",
        organisation="Vmbo",
        role="school",
        region="achterhoek",
        offers=("snuffelstages",),
        needs=("gastles over warmtepompen",),
        themes=("energietransitie",),
    )
    ruud = Profile(
        id="r",
        name="Ruud",
        organisation="Jansen BV",
        role="company",
        region="cleantech",
        offers=("gastlessen warmtepomp-installatie",),
        needs=("stagiairs",),
        themes=("Energietransitie",),
    )
    return anna, ruud


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


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nl", "Jij zoekt: gastles over warmtepompen — Ruud biedt: gastlessen warmtepomp-installatie"),
        (
            "en",
            "You are looking for: gastles over warmtepompen — Ruud offers: gastlessen warmtepomp-installatie",
        ),
        ("xx", "Jij zoekt: gastles over warmtepompen — Ruud biedt: gastlessen warmtepomp-installatie"),
    ],
)
def test_rendering_per_language(language, expected):
    anna, ruud = pair()
    [s] = Matcher([anna, ruud]).suggest_for("a")
    lines = render_reasons(s, {"a": anna, "r": ruud}, language)
    assert expected in lines
    assert lines[-1] == {
        "nl": "Regio: jij in de Achterhoek, Ruud in de Cleantech Regio",
        "en": "Regions: you in the Achterhoek, Ruud in the Cleantech Region",
    }.get(language, "Regio: jij in de Achterhoek, Ruud in de Cleantech Regio")


@pytest.mark.parametrize(
    ("reason", "nl", "en"),
    [
        (
            Reason("offer_need", own_text="stages", other_text="stageplek"),
            "Jij biedt: stages — Bo zoekt: stageplek",
            "You offer: stages — Bo is looking for: stageplek",
        ),
        (
            Reason("themes", themes=("food", "bouw")),
            "Gedeelde thema's: food, bouw",
            "Shared themes: food, bouw",
        ),
        (
            Reason("regions", regions=("foodvalley", "foodvalley")),
            "Jullie zitten allebei in regio Foodvalley",
            "You are both in the Foodvalley region",
        ),
    ],
)
def test_render_each_kind_with_names_mapping(reason, nl, en):
    s = Suggestion("x", "b", 1.0, (reason,))
    assert render_reasons(s, {"b": "Bo"}) == [nl]
    assert render_reasons(s, {"b": "Bo"}, "en") == [en]


@pytest.mark.parametrize(
    ("regions", "nl", "en"),
    [
        (
            ("achterhoek", "outside"),
            "Regio: jij in de Achterhoek, Bo buiten Gelderland",
            "Regions: you in the Achterhoek, Bo outside Gelderland",
        ),
        (
            ("outside", "outside"),
            "Jullie zitten allebei buiten Gelderland",
            "You are both outside Gelderland",
        ),
        (
            ("noord-veluwe", "rivierenland"),
            "Regio: jij op de Noord-Veluwe, Bo in Rivierenland",
            "Regions: you in the Noord-Veluwe, Bo in Rivierenland",
        ),
    ],
)
def test_region_lines_read_naturally(regions, nl, en):
    s = Suggestion("x", "b", 1.0, (Reason("regions", regions=regions),))
    assert render_reasons(s, {"b": "Bo"}) == [nl]
    assert render_reasons(s, {"b": "Bo"}, "en") == [en]


def test_unknown_name_falls_back_to_id():
    s = Suggestion("x", "b7", 1.0, (Reason("need_offer", own_text="a", other_text="b"),))
    assert render_reasons(s, {}) == ["Jij zoekt: a — b7 biedt: b"]
