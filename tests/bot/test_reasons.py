"""The reasons of a suggestion in words: the matcher's structured reasons rendered from the catalogues."""

from __future__ import annotations

import pytest

from bot.reasons import plain, reason_lines, render_plain
from matching import Matcher, Profile, Reason, Suggestion
from tests.matching.people import anna_and_ruud


def pair() -> tuple[Profile, Profile]:
    return anna_and_ruud(anna="Anna de Wit", ruud="Ruud Jansen")


def _plain(language: str, reasons: tuple[Reason, ...], name: str = "Bo") -> list[str]:
    return [plain(line) for line in reason_lines(language, reasons, name)]


@pytest.mark.parametrize(
    ("language", "first", "last"),
    [
        (
            "nl",
            "Jij zoekt <i>gastles over warmtepompen</i>; Ruud biedt "
            "<i>gastlessen warmtepomp-installatie</i>.",
            "Jij werkt in de Achterhoek, Ruud in de Cleantech Regio.",
        ),
        (
            "en",
            "You are looking for <i>gastles over warmtepompen</i>; Ruud offers "
            "<i>gastlessen warmtepomp-installatie</i>.",
            "You work in the Achterhoek, Ruud in the Cleantech Region.",
        ),
        (
            "xx",
            "Jij zoekt <i>gastles over warmtepompen</i>; Ruud biedt "
            "<i>gastlessen warmtepomp-installatie</i>.",
            "Jij werkt in de Achterhoek, Ruud in de Cleantech Regio.",
        ),
    ],
)
def test_the_first_reason_names_the_need_offer_fit(language: str, first: str, last: str) -> None:
    anna, ruud = pair()
    [s] = Matcher([anna, ruud]).suggest_for("a")
    lines = reason_lines(language, s.reasons, ruud.name)
    assert lines[0] == first  # the actual need and offer, and the other's first name
    assert lines[-1] == last


@pytest.mark.parametrize(
    ("reason", "nl", "en"),
    [
        (
            Reason("offer_need", own_text="stages", other_text="stageplek"),
            "Jij biedt stages; Bo zoekt stageplek.",
            "You offer stages; Bo is looking for stageplek.",
        ),
        (
            Reason("need_need", own_text="stageplekken", other_text="stagiairs"),
            "Jullie zoeken elkaar: jij zoekt stageplekken en Bo zoekt stagiairs.",
            "You are looking for each other: you want stageplekken and Bo wants stagiairs.",
        ),
        (
            Reason("offer_offer", own_text="stagiairs", other_text="stageplekken"),
            "Jullie vullen elkaar aan: jij biedt stagiairs en Bo biedt stageplekken.",
            "You complement each other: you offer stagiairs and Bo offers stageplekken.",
        ),
        (
            Reason("themes", themes=("food",)),
            "Jullie delen het thema food.",
            "You share the theme food.",
        ),
        (
            Reason("themes", themes=("food", "bouw", "zorg")),
            "Jullie delen de thema's food, bouw en zorg.",
            "You share the themes food, bouw and zorg.",
        ),
        (
            Reason("regions", regions=("foodvalley", "foodvalley")),
            "Jullie werken allebei in de FoodValley.",
            "You both work in FoodValley.",
        ),
        (
            Reason("regions", regions=("achterhoek", "outside")),
            "Jij werkt in de Achterhoek, Bo buiten Gelderland.",
            "You work in the Achterhoek, Bo outside Gelderland.",
        ),
        (
            Reason("regions", regions=("outside", "outside")),
            "Jullie werken allebei buiten Gelderland.",
            "You both work outside Gelderland.",
        ),
        (
            Reason("regions", regions=("noord-veluwe", "rivierenland")),
            "Jij werkt op de Noord-Veluwe, Bo in Rivierenland.",
            "You work on the Noord-Veluwe, Bo in Rivierenland.",
        ),
    ],
)
def test_each_kind_in_both_languages(reason: Reason, nl: str, en: str) -> None:
    assert _plain("nl", (reason,), "Bo de Boer") == [nl]
    assert _plain("en", (reason,), "Bo de Boer") == [en]


def test_phrases_are_escaped() -> None:
    [line] = reason_lines("nl", (Reason("need_offer", own_text="<b>x</b>", other_text="a & b"),), "Bo")
    assert "&lt;b&gt;x&lt;/b&gt;" in line and "a &amp; b" in line


def test_koppelbot_match_renderer_falls_back_to_the_id() -> None:
    s = Suggestion("x", "b7", 1.0, (Reason("need_offer", own_text="a", other_text="b"),))
    assert render_plain(s, {}, "nl") == ["Jij zoekt a; b7 biedt b."]


def _person(
    pid: str, name: str, role: str, *, offers: tuple[str, ...] = (), needs: tuple[str, ...] = ()
) -> Profile:
    return Profile(
        id=pid,
        name=name,
        organisation=f"Org {pid}",
        role=role,
        region="achterhoek",
        offers=offers,
        needs=needs,
    )


@pytest.mark.parametrize(
    ("me", "other", "kind", "nl"),
    [
        (  # the demo's first card: two offers, each one half of an internship
            _person("s", "Anna de Wit", "school", offers=("snuffelstages voor leerlingen",)),
            _person("r", "Ruud Hendriksen", "company", offers=("stageplaatsen installatietechniek",)),
            "offer_offer",
            "Jullie vullen elkaar aan: jij biedt snuffelstages voor leerlingen en Ruud biedt "
            "stageplaatsen installatietechniek.",
        ),
        (  # two needs: interns wanted, internship places wanted
            _person("f", "Fleur Bakker", "company", needs=("stagiairs elektrotechniek",)),
            _person("c", "Cor Smit", "mbo", needs=("stageplekken elektrotechniek voor onze studenten",)),
            "need_need",
            "Jullie zoeken elkaar: jij zoekt stagiairs elektrotechniek en Cor zoekt stageplekken "
            "elektrotechniek voor onze studenten.",
        ),
    ],
)
def test_counterpart_reasons_say_why_the_two_fit(me: Profile, other: Profile, kind: str, nl: str) -> None:
    """Two offers (or two needs) side by side read as no reason: the line says they complement each other."""
    [s] = Matcher([me, other]).suggest_for(me.id)
    assert s.reasons[0].kind == kind
    for language, fit in (
        ("nl", ("vullen elkaar aan", "zoeken elkaar")),
        ("en", ("complement each other", "each other")),
    ):
        first = plain(reason_lines(language, s.reasons, other.name)[0])
        assert any(words in first for words in fit), first
        assert "; " not in first  # not "Jij biedt X; Ruud biedt Y"
    assert plain(reason_lines("nl", s.reasons, other.name)[0]) == nl


@pytest.mark.parametrize(
    ("language", "start"),
    [
        ("nl", "Raakvlak: jij zoekt stagiairs installatietechniek en Kees biedt"),
        ("en", "Common ground: you are"),
    ],
)
def test_common_ground_is_not_worded_as_a_fit(language: str, start: str) -> None:
    reason = Reason(
        "need_offer",
        own_text="stagiairs installatietechniek",
        other_text="gastlessen over installatietechniek",
        terms=("installatietechniek",),
        topic_only=True,
    )
    (line,) = _plain(language, (reason,), name="Kees")
    assert line.startswith(start)


def test_a_partial_fit_stays_common_ground_once_stored_and_for_the_other_side() -> None:
    # The cards are worded from the reasons stored with the suggestion: the flags must survive storage and
    # the mirror, or the card claims "Jij zoekt X; Erik biedt Y" after all.
    from types import SimpleNamespace

    from bot.services.matchmaking import matching_suggestion, pair_up

    for flags in ({"kind_only": True}, {"topic_only": True}):
        reason = Reason(
            "need_offer",
            own_text="gastles lassen",
            other_text="gastles energietransitie",
            terms=("gastles",),
            **flags,
        )
        ((_, row),) = pair_up([Suggestion("1", "2", 0.5, (reason,))]).items()
        stored = SimpleNamespace(
            id=7, participant_a_id=1, participant_b_id=2, score=0.5, reasons=row["reasons"]
        )
        for me, name, start in (
            (1, "Erik de Boer", "Raakvlak: jij zoekt"),
            (2, "Anna", "Raakvlak: jij biedt"),
        ):
            view = matching_suggestion(stored, me)  # type: ignore[arg-type]
            (line,) = _plain("nl", view.reasons, name=name)
            assert line.startswith(start), line


@pytest.mark.parametrize(
    ("reason", "line"),
    [
        (
            Reason(
                "need_offer",
                own_text="wij zoeken een bedrijf voor een docentstage",
                other_text="docentstages!!",
            ),
            "Jij zoekt een bedrijf voor een docentstage; Bo biedt docentstages.",
        ),
        (
            Reason(
                "offer_need", own_text="Wij bieden stageplekken.", other_text="We are looking for interns"
            ),
            "Jij biedt stageplekken; Bo zoekt interns.",
        ),
        (  # only an opening that says the line's own verb goes; "onze" and an ellipsis stay
            Reason("need_offer", own_text="iemand die...", other_text="we hebben onze werkplaats"),
            "Jij zoekt iemand die...; Bo biedt onze werkplaats.",
        ),
    ],
)
def test_a_quoted_phrase_does_not_repeat_the_lines_verb_nor_end_twice(reason: Reason, line: str) -> None:
    # A walkthrough read "Jij zoekt wij zoeken een bedrijf …" and "Marco zoekt lassers!!." on cards.
    assert _plain("nl", (reason,)) == [line]
