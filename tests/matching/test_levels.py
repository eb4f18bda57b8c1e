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
