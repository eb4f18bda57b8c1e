"""The field table: the participant's input rules, typed answers, completeness, and every row's texts."""

from __future__ import annotations

import pytest

from bot.callbacks import pack
from bot.fields import (
    FIELDS,
    FieldKind,
    InputProblem,
    by_name,
    clean_text,
    completeness,
    split_items,
)
from bot.texts import LANGUAGES, Counted, catalogue
from storage.models import ItemKind, Participant, ProfileItem


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("gastlessen; stageplekken", ["gastlessen", "stageplekken"]),
        ("a, b\nc", ["a", "b", "c"]),
        ("  • excursie  \n\n- bedrijfsbezoek ", ["excursie", "bedrijfsbezoek"]),
        ("één ding", ["één ding"]),
        (
            "gastlessen, stageplekken, een bedrijfsbezoek",
            ["gastlessen", "stageplekken", "een bedrijfsbezoek"],
        ),
        # A comma inside a description or between brackets is part of the item, and so is what qualifies it.
        ("stageplek, liefst installatietechniek, BBL", ["stageplek, liefst installatietechniek", "BBL"]),
        ("lesmateriaal, bijv. over zonnepanelen", ["lesmateriaal, bijv. over zonnepanelen"]),
        ("stagiairs, bij voorkeur mbo", ["stagiairs, bij voorkeur mbo"]),
        ("stageplek voor een mbo'er, liefst niveau 3", ["stageplek voor een mbo'er, liefst niveau 3"]),
        (
            "les over online veiligheid (phishing, wachtwoorden)",
            ["les over online veiligheid (phishing, wachtwoorden)"],
        ),
        (
            "PWS-onderwerp met drones of satellietbeelden, bv. gewasgroei meten; een dataset",
            ["PWS-onderwerp met drones of satellietbeelden, bv. gewasgroei meten", "een dataset"],
        ),
    ],
)
def test_split_items(text: str, items: list[str]) -> None:
    assert split_items(text) == items


@pytest.mark.parametrize("text", ["", "   ", ";;, \n", None])
def test_split_items_refuses_empty(text: str | None) -> None:
    with pytest.raises(InputProblem) as problem:
        split_items(text)
    assert problem.value.key == "onboarding.empty_text"


def test_limits_are_explained() -> None:
    with pytest.raises(InputProblem) as problem:
        split_items("x" * 10_000)
    assert problem.value.key == "onboarding.too_long" and problem.value.values == {
        "length": Counted("characters", 2000)
    }
    with pytest.raises(InputProblem) as problem:
        split_items("kort; " + "y" * 201)
    assert problem.value.key == "onboarding.item_too_long"
    with pytest.raises(InputProblem):
        clean_text("z" * 101, limit=100)
    assert clean_text("  Sanne   de  Vries ", limit=100) == "Sanne de Vries"


@pytest.mark.parametrize(
    ("step", "text", "code"),
    [
        ("role", "mbo", "mbo"),
        ("role", "Ik werk bij een bedrijf", "company"),
        ("role", "blabla", None),
        ("region", "Achterhoek", "achterhoek"),
        ("region", "Doetinchem", "achterhoek"),
        ("region", "buiten Gelderland", "outside"),
        ("region", "onzin", None),
        ("reach", "overal", "anywhere"),
        ("reach", "only my own region", "own"),
        ("reach", "?", None),
    ],
)
def test_typed_answers_to_button_questions(step: str, text: str, code: str | None) -> None:
    field = by_name(step)
    assert field is not None and field.parse is not None
    assert field.parse(text) == code


def test_nul_characters_never_reach_the_database() -> None:
    # PostgreSQL refuses NUL in text columns: typed text loses it, like every other control character
    # (an invisible character inside a word does not split the word).
    assert clean_text("Sanne\x00 de Vries", limit=100) == "Sanne de Vries"
    assert split_items("gastles\x00; stage\x00plek\x07") == ["gastles", "stageplek"]
    with pytest.raises(InputProblem):
        clean_text("\x00\x00", limit=100)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_field_has_its_texts(language: str) -> None:
    texts = catalogue(language)
    for field in FIELDS:
        assert texts[f"onboarding.ask_{field.name}"] and texts[f"profile.field.{field.name}"]
        if field.tip_rank is not None:
            assert texts[f"profile.tip.{field.name}"]
        for code in field.codes:  # region names live in regions.toml, the one place they are defined
            prefix = "regions.name" if field.name == "region" else f"profile.{field.name}"
            assert texts[f"{prefix}.{code}"]
    assert [f.name for f in FIELDS if f.kind is FieldKind.CHOICE] == ["role", "region", "reach"]


def test_invitation_values_are_cleaned_per_field() -> None:
    prefill = {field.name: field.prefill for field in FIELDS if field.prefill is not None}
    assert prefill["name"]("  Sanne   de Vries ") == "Sanne de Vries"
    assert prefill["organisation"]("x" * 200) == "x" * 150
    assert prefill["role"]("Installatiebedrijf") == "company"
    assert prefill["reach"]("overal") is None and prefill["reach"]("own") == "own"
    assert prefill["region"]("   ") is None and prefill["name"](42) is None


def test_completeness_and_tips() -> None:
    person = Participant(name="Sanne", organisation="Het Streek", role="school", region="foodvalley")
    assert completeness(person, {}) == (40, [
        "profile.tip.needs", "profile.tip.offers", "profile.tip.themes", "profile.tip.more_items"
    ])  # fmt: skip
    items = {
        ItemKind.OFFER: [ProfileItem(participant_id=1, kind="offer", text="a")],
        ItemKind.NEED: [ProfileItem(participant_id=1, kind="need", text=t) for t in ("b", "c")],
        ItemKind.THEME: [ProfileItem(participant_id=1, kind="theme", text="d")],
    }
    assert completeness(person, items) == (100, [])


def test_callback_data_fit_in_64_bytes() -> None:
    token = "A" * 43  # storage.invitations.new_token() length
    assert len(pack("consent", "yes", "nl", token).encode()) <= 64
    assert len(pack("sg", 2**31, "y").encode()) <= 64
    assert len(pack("pf", "rm", 2**31).encode()) <= 64
