"""Round 7 (docs/matching.md): a phrase that names a school level is no fit for a school of another level."""

import numpy as np

from matching import MatchConfig, Matcher
from tests.matching.people import prof


def population():
    vmbo = prof(
        "vmbo",
        offers=["leerlingen klas 3 voor een snuffelstage"],
        needs=["bedrijfsbezoek techniek"],
        role="school",
        org="Vmbo Het Assink",
    )
    # Both firms want interns; one asks for hbo graduates in so many words.
    hbo_firm = prof("hbofirm", needs=["hbo afstudeerders voor een stage"], offers=["bedrijfsbezoek"])
    firm = prof("firm", needs=["stagiairs"], offers=["rondleiding"], region="cleantech")
    return [vmbo, hbo_firm, firm]


def test_a_need_for_hbo_graduates_is_no_fit_for_vmbo_pupils():
    people = population()
    blind = Matcher(people, MatchConfig(level_penalty=0.0))
    seeing = Matcher(people)
    assert [s.other_id for s in blind.suggest_for("vmbo", top_k=2)] == ["hbofirm", "firm"]
    assert [s.other_id for s in seeing.suggest_for("vmbo", top_k=2)] == ["firm", "hbofirm"]
    # and the hbo wish is never given as a reason to the vmbo school
    (hbo,) = [s for s in seeing.suggest_for("vmbo", top_k=2) if s.other_id == "hbofirm"]
    assert all("afstudeerders" not in r.other_text for r in hbo.reasons)


def test_ones_own_level_and_an_unknown_schools_pupils_are_self_description():
    people = [
        prof("po", needs=["techniekles voor groep 7 en 8"], role="school", org="Basisschool De Regenboog"),
        prof("unknown", needs=["techniekles voor groep 8"], role="school", org="De Wieken"),
        prof("vmbo", offers=["techniekles voor groep 8 in ons lokaal"], role="school", org="Vmbo Tiel"),
        prof("mbo", needs=["stageplekken voor onze mbo studenten"], role="mbo", org="ROC Rivor"),
        prof("firm", offers=["stageplekken voor mbo studenten"]),
    ]
    index = Matcher(people)._index
    pairs = np.array([0, 1, 3]), np.array([2, 2, 4])
    assert index.level_conflict(*pairs).tolist() == [0.0, 0.0, 0.0]


def test_a_need_that_names_a_place_is_no_fit_for_someone_elsewhere():
    # A walkthrough: an electrician in Tiel "zoekt contact met basisscholen in Tiel" was the first suggestion
    # of a primary school in Doetinchem, with that as the reason.
    electrician = prof(
        "elektro",
        needs=["contact met basisscholen in Tiel"],
        offers=["gastles elektra"],
        region="rivierenland",
    )
    doetinchem = prof("doetinchem", offers=["groep 7 en 8 voor een techniekproject"], role="school")
    tiel = prof("tiel", offers=["groep 8 voor een techniekproject"], role="school", region="rivierenland")
    blind = Matcher([electrician, doetinchem, tiel], MatchConfig(place_penalty=0.0, same_region_bonus=0.0))
    seeing = Matcher([electrician, doetinchem, tiel], MatchConfig(same_region_bonus=0.0))
    assert (
        blind.score("elektro", "doetinchem") == blind.score("elektro", "tiel") > 0
    )  # only the place differs
    assert seeing.score("elektro", "doetinchem") < seeing.score("elektro", "tiel")
    (far,) = [s for s in seeing.suggest_for("doetinchem", top_k=3) if s.other_id == "elektro"] or [None]
    assert far is None or all("Tiel" not in r.other_text for r in far.reasons)


def test_an_offer_naming_ones_own_town_is_where_it_is_not_a_restriction():
    factory = prof("fabriek", offers=["rondleiding in onze fabriek in Groenlo"], region="achterhoek")
    school = prof("school", needs=["rondleiding bij een bedrijf"], role="school", region="cleantech")
    index = Matcher([factory, school])._index
    assert index.place_conflict(np.array([0]), np.array([1])).tolist() == [0.0]
