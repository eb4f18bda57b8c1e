import pytest

from matching import NEIGHBOURS, REACHES, REGIONS, ROLES, parse_region, parse_role
from matching.codes import parse_reach


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("vmbo", "school"),
        ("School", "school"),
        ("Havo/vwo", "school"),
        ("mbo", "mbo"),
        ("ROC", "mbo"),
        ("hbo", "hbo"),
        ("Hogeschool", "hbo"),
        ("bedrijf", "company"),
        ("Company", "company"),
        ("installatiebedrijf", "company"),
        ("Techniekpact", "coordinator"),
        ("regionaal coördinator", "coordinator"),
        ("gemeente", "government"),
        ("Provincie Gelderland", "government"),
        ("opleider", "training"),
        ("training provider", "training"),
        ("", "other"),
        ("astronaut", "other"),
        ("company", "company"),
    ],
)
def test_parse_role(text, role):
    assert parse_role(text) == role
    assert parse_role(text) in ROLES


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("Achterhoek", "achterhoek"),
        ("de achterhoek", "achterhoek"),
        ("Arnhem Nijmegen", "arnhem-nijmegen"),
        ("Arnhem-Nijmegen", "arnhem-nijmegen"),
        ("regio Arnhem/Nijmegen", "arnhem-nijmegen"),
        ("Food Valley", "foodvalley"),
        ("FoodValley", "foodvalley"),
        ("Ede", "foodvalley"),
        ("Cleantech Regio", "cleantech"),
        ("Apeldoorn", "cleantech"),
        ("Noord-Veluwe", "noord-veluwe"),
        ("Harderwijk", "noord-veluwe"),
        ("Rivierenland", "rivierenland"),
        ("Tiel", "rivierenland"),
        ("Utrecht", "outside"),
        ("", "outside"),
        ("Achterhoke", "achterhoek"),
        ("Doetinchem", "achterhoek"),
    ],
)
def test_parse_region(text, region):
    assert parse_region(text) == region


@pytest.mark.parametrize(
    ("text", "reach"),
    [
        ("", "anywhere"),
        ("overal", "anywhere"),
        ("eigen regio", "own"),
        ("own", "own"),
        ("buurregio's", "neighbours"),
        ("neighbors", "neighbours"),
        ("zomaar iets", None),
    ],
)
def test_parse_reach(text, reach):
    assert parse_reach(text) == reach


def test_neighbours_are_symmetric_and_cover_regions():
    assert set(NEIGHBOURS) == set(REGIONS)
    assert NEIGHBOURS["outside"] == frozenset()
    for region, others in NEIGHBOURS.items():
        assert region not in others
        for other in others:
            assert region in NEIGHBOURS[other]
    assert REACHES == ("own", "neighbours", "anywhere")


def test_the_whole_province_is_gelderland_not_outside_it():
    # "Gelderland" alone is the province as a whole (a walkthrough saw "Jij zit buiten Gelderland" for it);
    # a region or town named beside it still wins, and "buiten Gelderland" stays outside.
    for text in ("Gelderland", "heel Gelderland", "Gelderland breed", "provincie"):
        assert parse_region(text) == "gelderland", text
    assert parse_region("Ede, Gelderland") == "foodvalley"
    assert parse_region("Arnhem (Gelderland)") == "arnhem-nijmegen"
    assert parse_region("buiten Gelderland") == parse_region("Utrecht") == "outside"
    assert NEIGHBOURS["gelderland"] == frozenset(REGIONS) - {"gelderland", "outside"}
    assert all("gelderland" in NEIGHBOURS[r] for r in NEIGHBOURS["gelderland"])
