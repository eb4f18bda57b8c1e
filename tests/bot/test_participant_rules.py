"""The participant's input rules and profile completeness, as plain functions."""

from __future__ import annotations

import pytest

from bot.callbacks import pack
from bot.services.participants import (
    InputProblem,
    clean_text,
    completeness,
    parse_choice,
    split_items,
)
from storage.models import ItemKind, Participant, ProfileItem


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("gastlessen; stageplekken", ["gastlessen", "stageplekken"]),
        ("a, b\nc", ["a", "b", "c"]),
        ("  • excursie  \n\n- bedrijfsbezoek ", ["excursie", "bedrijfsbezoek"]),
        ("één ding", ["één ding"]),
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
    assert problem.value.key == "onboarding.too_long" and problem.value.values == {"limit": 2000}
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
    assert parse_choice(step, text) == code


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
