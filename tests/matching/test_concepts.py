"""The concept layer of the fifth quality round (docs/matching.md): a thesaurus in kinds, and a phrase's
kind of collaboration that keeps its weight however many topic words surround it."""

from matching import MatchConfig, Matcher
from matching.thesaurus import load_thesaurus
from tests.matching.people import prof


def test_every_concept_has_a_kind_and_sectors_have_families():
    thesaurus = load_thesaurus()
    assert set(thesaurus.kinds.values()) == {"activity", "resource", "level", "sector", "sale", "customer"}
    assert thesaurus.kinds["gastles"] == "activity"
    assert thesaurus.kinds["subsidie"] == "resource"
    assert thesaurus.kinds["vmbo"] == "level"
    assert thesaurus.families["warmtepomp"] == ("installatie-energie",)
    # a concept is also in the families of its broader sectors (isolatie: building and energy)
    assert set(thesaurus.families["isolatie"]) >= {"bouw", "installatie-energie"}
    # activities (no topic) are every concept outside the sector sections
    assert "stage" in thesaurus.activities and "lassen" not in thesaurus.activities


def population():
    return [
        # a need for placements in a phrase full of topic words
        prof(
            "roc",
            needs=["stageplekken voor onze studenten elektrotechniek, domotica, zonnepanelen en laadpalen"],
            role="mbo",
        ),
        prof("firm", offers=["stageplaatsen"]),  # offers exactly that kind of collaboration
        prof("lure", offers=["rondleiding langs onze zonnepanelen"]),  # shares one topic word only
        prof("f1", offers=["gastlessen lassen"], needs=["lassers"]),
        prof("f2", offers=["excursie voedingsindustrie"], needs=["procesoperators"]),
        prof("f3", offers=["stageplekken cnc"], needs=["bbl cnc"]),
    ]


def test_a_shared_kind_of_collaboration_keeps_its_weight_among_topic_words():
    shared = Matcher(population())
    plain = Matcher(population(), MatchConfig(activity_share=0.0))
    # with one vector per phrase the placement is diluted by the four topic words around it ...
    assert plain.score("roc", "firm") < plain.score("roc", "lure")
    # ... with the kind of collaboration as half of the phrase, it outweighs one shared topic word
    assert shared.score("roc", "firm") > shared.score("roc", "lure")
