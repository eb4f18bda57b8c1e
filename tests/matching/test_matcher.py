from datetime import UTC, datetime, timedelta

import pytest

from matching import History, MatchConfig, Matcher, Profile, UnknownParticipantError
from tests.matching.people import prof

NOW = datetime(2026, 3, 10, tzinfo=UTC)


def base_profiles():
    return [
        prof(
            "school",
            offers=["snuffelstages"],
            needs=["gastles over warmtepompen"],
            role="school",
            themes=["energietransitie"],
        ),
        prof(
            "installer",
            offers=["gastlessen warmtepomp-installatie"],
            needs=["stagiairs"],
            role="company",
            themes=["warmtepompen"],
        ),
        prof("food", offers=["rondleiding voedingsfabriek"], needs=["procesoperators"], themes=["food"]),
        prof("generic", offers=["techniek voor leerlingen"], needs=["meer personeel"], themes=["techniek"]),
        prof(
            "theme-only",
            offers=["subsidie"],
            needs=["netwerk"],
            themes=["energietransitie", "warmtepompen"],
            role="coordinator",
        ),
    ]


def ids(suggestions):
    return [s.other_id for s in suggestions]


def test_complementary_pair_ranks_first_both_ways():
    result = Matcher(base_profiles()).suggest(top_k=3)
    assert ids(result["school"])[0] == "installer"
    assert ids(result["installer"])[0] == "school"


def test_complementarity_outweighs_shared_themes():
    m = Matcher(base_profiles())
    assert m.score("school", "installer") > m.score("school", "theme-only") > 0


def test_generic_words_alone_do_not_make_a_match():
    profiles = base_profiles() + [
        prof("generic2", offers=["leerlingen en techniek"], needs=["personeel"], themes=["techniek"]),
    ]
    m = Matcher(profiles)
    assert m.score("generic", "generic2") < 0.25 * m.score("school", "installer")


def test_score_is_symmetric_and_zero_for_disallowed():
    m = Matcher(base_profiles() + [prof("colleague", offers=["gastles warmtepomp"], org="org-school")])
    assert m.score("school", "installer") == m.score("installer", "school")
    assert m.score("school", "colleague") == 0.0


@pytest.mark.parametrize(
    ("change", "expected_visible"),
    [
        ({}, True),
        ({"active": False}, False),
        ({"organisation": "ORG-School B.V."}, False),  # same organisation after normalisation
        ({"region": "outside", "reach": "anywhere"}, True),
        ({"region": "noord-veluwe"}, True),
    ],
)
def test_installer_visibility_rules(change, expected_visible):
    profiles = base_profiles()
    school = profiles[0]
    profiles[0] = Profile(**{**school.__dict__, "organisation": "org-school"}) if False else school
    fields = {**profiles[1].__dict__, **change}
    profiles[1] = Profile(**fields)
    profiles[0] = Profile(**{**school.__dict__, "organisation": "Org School"})
    result = Matcher(profiles).suggest(top_k=5)
    assert ("installer" in ids(result["school"])) is expected_visible
    assert ("installer" in result) is profiles[1].active


@pytest.mark.parametrize(
    ("school_reach", "installer_region", "allowed"),
    [
        ("own", "achterhoek", True),
        ("own", "cleantech", False),
        ("neighbours", "cleantech", True),  # Achterhoek borders the Cleantech Regio
        ("neighbours", "noord-veluwe", False),
        ("anywhere", "outside", True),
    ],
)
def test_reach_is_respected(school_reach, installer_region, allowed):
    profiles = base_profiles()
    profiles[0] = Profile(**{**profiles[0].__dict__, "reach": school_reach})
    profiles[1] = Profile(**{**profiles[1].__dict__, "region": installer_region})
    m = Matcher(profiles)
    assert ("installer" in ids(m.suggest(top_k=5)["school"])) is allowed
    assert ("school" in ids(m.suggest(top_k=5)["installer"])) is allowed  # both sides' reach must admit


def test_reach_of_the_other_side_counts_too():
    profiles = base_profiles()
    profiles[1] = Profile(**{**profiles[1].__dict__, "region": "rivierenland", "reach": "own"})
    assert "installer" not in ids(Matcher(profiles).suggest()["school"])


@pytest.mark.parametrize(
    "history",
    [
        History(suggested=frozenset({("installer", "school")})),
        History(declined={("school", "installer"): NOW - timedelta(days=400)}),
        History(expired={("school", "installer"): NOW - timedelta(days=3)}),
        History(never={"installer": frozenset({"school"})}),
        History(inactive=frozenset({"installer"})),
        History(incoming_this_week={"installer": 5}),
    ],
)
def test_history_excludes_pairs(history):
    m = Matcher(base_profiles())
    assert "installer" in ids(m.suggest(top_k=5)["school"])
    assert "installer" not in ids(m.suggest(top_k=5, history=history, now=NOW)["school"])
    assert "installer" not in ids(m.suggest_for("school", top_k=5, history=history, now=NOW))


def test_expired_pair_returns_after_cooldown_and_declined_cooldown_is_configurable():
    m = Matcher(base_profiles(), MatchConfig(cooldown_days=30, declined_cooldown_days=90))
    old = History(expired={("school", "installer"): NOW - timedelta(days=31)})
    assert "installer" in ids(m.suggest_for("school", history=old, now=NOW))
    declined = History(declined={("school", "installer"): NOW - timedelta(days=91)})
    assert "installer" in ids(m.suggest_for("school", history=declined, now=NOW))


def test_unresponsive_people_rank_lower():
    profiles = base_profiles() + [
        prof("installer2", offers=["gastles warmtepompen"], needs=["stagiairs"], themes=["warmtepompen"])
    ]
    m = Matcher(profiles)
    plain = {s.other_id: s.score for s in m.suggest_for("school")}
    penalised = {
        s.other_id: s.score
        for s in m.suggest_for("school", history=History(unresponsive_reports={"installer": 2}), now=NOW)
    }
    assert penalised["installer"] < plain["installer"]
    assert penalised["installer2"] == plain["installer2"]


def test_diversity_limits_people_per_organisation():
    profiles = (
        [prof("school", needs=["gastles warmtepompen"], role="school")]
        + [prof(f"i{k}", offers=["gastles warmtepompen"], org="Big Installer") for k in range(4)]
        + [prof("other", offers=["gastles warmtepomp"], org="Small")]
    )
    result = Matcher(profiles, MatchConfig(max_per_organisation=2)).suggest(top_k=5)["school"]
    assert sum(1 for s in result if s.other_id.startswith("i")) == 2
    assert "other" in ids(result)


def test_suggest_for_agrees_with_suggest_and_rejects_unknown_ids():
    m = Matcher(base_profiles())
    everyone = m.suggest(top_k=3)
    for pid in everyone:
        assert m.suggest_for(pid, top_k=3) == everyone[pid]
    with pytest.raises(UnknownParticipantError):
        m.suggest_for("nobody")


def test_duplicate_ids_are_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        Matcher([prof("a"), prof("a")])


def test_empty_population():
    m = Matcher([])
    assert m.suggest() == {}
    assert m.weekly(History(), NOW) == {}


def weekly_profiles():
    # Many schools want the same popular installer.
    schools = [
        prof(
            f"s{k}",
            needs=["gastles warmtepompen", "stageplekken"],
            role="school",
            offers=["leerlingen voor een snuffelstage"],
        )
        for k in range(8)
    ]
    installers = [
        prof(f"i{k}", offers=["gastlessen warmtepomp", "stageplekken"], needs=["snuffelstage"])
        for k in range(3)
    ]
    return schools + installers


def test_weekly_pairs_are_symmetric_and_capped():
    cfg = MatchConfig(weekly_new_per_person=2, weekly_incoming_cap=3)
    history = History(incoming_this_week={"i0": 2})
    result = Matcher(weekly_profiles(), cfg).weekly(history, NOW)
    for pid, suggestions in result.items():
        assert len(suggestions) <= 2
        for s in suggestions:
            back = {x.other_id: x.score for x in result[s.other_id]}
            assert back[pid] == s.score
    assert len(result["i0"]) <= 1  # 3 allowed this week, 2 already received


def test_weekly_gives_everyone_a_first_pair_before_seconds():
    result = Matcher(weekly_profiles(), MatchConfig(weekly_new_per_person=3, weekly_incoming_cap=10)).weekly(
        History(), NOW
    )
    counts = [len(result[pid]) for pid in result if pid.startswith("s")]
    # The best-scoring school must not collect three pairs while another school has none.
    assert min(counts) >= 1


def test_weekly_respects_history_exclusions():
    history = History(suggested=frozenset({("s0", "i0"), ("s0", "i1"), ("s0", "i2")}))
    result = Matcher(weekly_profiles()).weekly(history, NOW)
    assert not [s for s in result["s0"] if s.other_id.startswith("i")]
    assert "s0" not in ids(result["i0"])


def test_with_profile_adds_a_newcomer_without_changing_the_original():
    m = Matcher(base_profiles()[1:])
    newcomer = base_profiles()[0]
    bigger = m.with_profile(newcomer)
    assert ids(bigger.suggest_for("school"))[0] == "installer"
    assert "school" not in {p.id for p in m.profiles}
    replaced = bigger.with_profile(Profile(**{**newcomer.__dict__, "needs": ("procesoperators",)}))
    assert len(replaced.profiles) == len(bigger.profiles)


def audience_profiles():
    return [
        prof("firm", needs=["hbo-stagiairs elektrotechniek"], offers=["rondleiding op ons bedrijf"]),
        prof("han", offers=["afstudeerstagiairs elektrotechniek"], role="hbo", org="Hogeschool Oost"),
        prof("roc", offers=["stagiairs elektrotechniek"], role="mbo", org="ROC Oost"),
        prof("other-firm", offers=["stagiairs elektrotechniek"], role="company"),
        prof("vmbo", offers=["leerlingen voor een challenge"], role="school", org="Vmbo De Sprong"),
        prof("college", offers=["leerlingen voor een challenge"], role="school", org="Het College"),
        prof("lab", needs=["vmbo-leerlingen voor een challenge"], role="company"),
    ]


def test_a_need_naming_a_kind_of_organisation_favours_that_kind():
    # "hbo-stagiairs": the hogeschool outranks the mbo school with the same offer.
    m = Matcher(audience_profiles())
    assert m.score("firm", "han") > m.score("firm", "roc") > 0
    assert ids(m.suggest_for("firm", top_k=1)) == ["han"]
    # "vmbo-leerlingen": a school named vmbo outranks a school of unknown level (both are schools).
    assert m.score("lab", "vmbo") > m.score("lab", "college") > 0


def test_naming_ones_own_kind_is_self_description_and_audience_never_makes_a_match_alone():
    m = Matcher(audience_profiles(), MatchConfig(hub_weight=0.0))  # one pair under two settings
    # The firm's "ons bedrijf" does not favour other companies.
    without = Matcher(audience_profiles(), MatchConfig(audience_weight=0.0, hub_weight=0.0))
    assert m.score("firm", "other-firm") == without.score("firm", "other-firm")
    # Naming a kind without sharing any topic makes no suggestion.
    lonely = [prof("a", needs=["bedrijven die meedoen"], role="coordinator"), prof("b", offers=["lassen"])]
    assert Matcher(lonely).score("a", "b") == 0.0


def test_audience_file_uses_known_role_codes():
    from matching import ROLES
    from matching.thesaurus import load_thesaurus

    audiences = load_thesaurus().audiences
    assert {key for key, *_ in audiences} >= {"bedrijf", "school", "mbo", "hbo"}
    for _, terms, always, when_named in audiences:
        assert terms and (always | when_named) <= set(ROLES)


def test_a_teacher_internship_is_a_kind_of_teacher_training():
    # docentstage -> broader docentprofessionalisering: a partial match, below the same concept's.
    profiles = [
        prof("school", needs=["docentstages"], role="school"),
        prof("academy", offers=["nascholing voor docenten"], role="training"),
        prof("firm", offers=["docentstages"]),
    ]
    m = Matcher(profiles)
    assert 0 < m.score("school", "academy") < m.score("school", "firm")


def test_an_mbo_school_writing_studenten_describes_itself_and_does_not_seek_a_hogeschool():
    profiles = [
        prof("roc", offers=["studenten elektrotechniek"], role="mbo"),
        prof("han", needs=["elektrotechniek practicum"], role="hbo"),
    ]
    plain = Matcher(profiles, MatchConfig(audience_weight=0.0)).score("roc", "han")
    assert Matcher(profiles).score("roc", "han") == plain > 0


def test_one_phrase_sharing_two_informative_terms_beats_two_phrases_sharing_one_each():
    # "stageplaatsen elektrotechniek" asked; a offers exactly that (plus something else), b offers
    # internship places and, separately, something about electrical engineering.
    profiles = [
        prof("school", needs=["stageplaatsen elektrotechniek"], role="school"),
        prof("a", offers=["stageplaatsen elektrotechniek", "rondleiding"]),
        prof("b", offers=["stageplaatsen", "elektrotechniek"]),
        prof("c", offers=["rondleiding lassen"], needs=["gastles"]),
    ]
    m = Matcher(profiles)
    assert m.score("school", "a") > m.score("school", "b") > 0
    plain = Matcher(profiles, MatchConfig(phrase_pair_weight=0.0))
    assert plain.score("school", "a") < plain.score("school", "b")
    # The pair bonus is a term-pair entry of the phrase vectors; reasons still list plain terms only.
    reasons = m.suggest_for("school", top_k=1)[0].reasons
    assert any(r.terms for r in reasons)
    assert all("+" not in t for r in reasons for t in r.terms)
