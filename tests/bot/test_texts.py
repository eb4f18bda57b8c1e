"""The catalogues: every text in Dutch and English with the same placeholders; values escaped."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.texts import (
    LANGUAGES,
    Counted,
    Markup,
    catalogue,
    first_name,
    is_plural,
    language_for,
    plural_category,
    region_in,
    region_name,
    set_default_language,
    t,
)
from matching import REGIONS


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogues_have_the_same_keys() -> None:
    assert set(catalogue("nl")) == set(catalogue("en"))
    assert len(catalogue("nl")) > 0


@pytest.mark.parametrize("key", sorted(catalogue("nl")))
def test_placeholders_agree_between_languages(key: str) -> None:
    assert _placeholders(catalogue("nl")[key]) == _placeholders(catalogue("en")[key])


def test_values_are_html_escaped_but_markup_is_kept() -> None:
    text = t("nl", "common.private_only", bot_username="<b>x</b>&")
    assert "&lt;b&gt;x&lt;/b&gt;&amp;" in text
    assert "<b>" in t("nl", "common.private_only", bot_username=Markup("<b>x</b>"))


@pytest.mark.parametrize(
    ("code", "language"),
    [("nl", "nl"), ("en", "en"), ("en-GB", "en"), ("de", "nl"), (None, "nl"), ("", "nl")],
)
def test_language_for_telegram_codes(code: str | None, language: str) -> None:
    assert language_for(code) == language


@pytest.mark.parametrize(
    ("code", "language"), [("nl", "nl"), ("en-US", "en"), ("de", "en"), (None, "en"), ("fr", "en")]
)
def test_language_for_falls_back_to_the_default_language(code: str | None, language: str) -> None:
    assert language_for(code, "en") == language
    set_default_language("en")
    try:
        assert language_for(code) == language
    finally:
        set_default_language("nl")
    with pytest.raises(ValueError, match="no catalogue"):
        set_default_language("de")


def test_unknown_language_falls_back_to_dutch() -> None:
    assert t("fr", "common.error") == t("nl", "common.error")
    assert set(LANGUAGES) == {"nl", "en"}


# -- plurals ------------------------------------------------------------------------------------------
# Placeholders that carry a bare number. A number followed by a word ("{days} dagen") must instead be a
# plural entry (`count`) or a counted noun (`bot.texts.Counted`), so "1 dag" and "2 dagen" both read right.
NUMBER_PLACEHOLDERS = {
    "count", "days", "months", "limit", "recipients", "sent", "total", "blocked", "failed", "cancelled",
    "participants", "suggestions", "introductions", "projects", "introduced", "more", "skipped", "messages",
    "attempts", "seconds", "number", "percent",
}  # fmt: skip
_NUMBER_BEFORE_WORD = re.compile(
    r"\{(\w+)\} +(?!·|van |of |s\.)[^\W\d_]"
)  # "{sent} van {total}", "{seconds} s."


def _plural_keys() -> list[str]:
    return sorted({key.rpartition(".")[0] for key in catalogue("nl") if key.endswith(".one")})


def test_no_bare_number_stands_before_a_word() -> None:
    """Fails for a text like "{count} berichten" that is not plural-aware."""
    for language in LANGUAGES:
        for key, text in catalogue(language).items():
            if is_plural(key.rpartition(".")[0], language):
                continue
            for name in _NUMBER_BEFORE_WORD.findall(text):
                assert name not in NUMBER_PLACEHOLDERS, f"{language} {key}: {{{name}}} needs a plural form"


def test_plural_entries_have_every_form_in_every_language() -> None:
    for language in LANGUAGES:
        texts = catalogue(language)
        for key in _plural_keys():
            assert is_plural(key, language)
            assert "{count}" not in texts[f"{key}.one"], key  # nl and en: "one" is exactly 1


@pytest.mark.parametrize("key", _plural_keys())
@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_keys_render_singular_and_plural(key: str, language: str) -> None:
    """Each plural text with 0, 1 and 2: 0 and 2 take the plural form (CLDR nl/en), 1 its own wording."""
    other, single = catalogue(language)[f"{key}.other"], catalogue(language)[f"{key}.one"]
    values = {name: "X" for name in _placeholders(other) | _placeholders(single) if name != "count"}
    zero, one, two = (t(language, key, count=n, **values) for n in (0, 1, 2))
    assert "{" not in one + zero + two
    if "{count}" in other:  # else the number is in another value ("{who} zoeken" with who="3 scholen")
        assert "0" in zero and "1" in one and "2" in two
    assert zero.replace("0", "2") == two
    assert one != two.replace("2", "1")  # the singular is its own wording, not "1 scholen" / "1 zoeken"


@pytest.mark.parametrize(
    ("language", "key", "n", "expected"),
    [
        ("nl", "count.role.school", 1, "1 school"),
        ("nl", "count.role.school", 2, "2 scholen"),
        ("nl", "count.role.government", 1, "1 overheid"),
        ("nl", "count.introductions", 1, "1 kennismaking"),
        ("nl", "count.introductions", 2, "2 kennismakingen"),
        ("nl", "count.participants", 1240, "1.240 deelnemers"),
        ("en", "count.participants", 1240, "1,240 participants"),
        ("en", "count.role.company", 1, "1 company"),
        ("en", "count.role.company", 0, "0 companies"),
    ],
)
def test_counted_nouns(language: str, key: str, n: int, expected: str) -> None:
    assert t(language, key, count=n) == expected


def test_counted_values_follow_the_text_language() -> None:
    assert t("nl", "onboarding.too_long", length=Counted("characters", 1)).count("1 teken.") == 1
    assert "200 characters" in t("en", "onboarding.too_long", length=Counted("characters", 200))


def test_a_plural_text_needs_a_count() -> None:
    with pytest.raises(TypeError, match="count"):
        t("nl", "digest.new")
    with pytest.raises(TypeError, match="count"):
        t("nl", "digest.new", count="3")


def test_plural_category() -> None:
    assert [plural_category("nl", n) for n in (0, 1, 2, 21)] == ["other", "one", "other", "other"]


# -- regions: named in one place ----------------------------------------------------------------------
def _string_literals(path: Path) -> list[str]:
    """The string constants of a Python file, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_regions_are_defined_once_in_regions_toml() -> None:
    """Region names live in regions.toml only: no other catalogue section and no Python code spells them."""
    names: set[str] = set()
    for language in LANGUAGES:
        texts = catalogue(language)
        assert all(texts[f"regions.name.{code}"] and texts[f"regions.in.{code}"] for code in REGIONS)
        names |= {texts[f"regions.{kind}.{code}"] for kind in ("name", "in") for code in REGIONS}
        for key, text in texts.items():
            if key.startswith("regions."):
                continue
            where = f"{language} {key}: a region name outside regions.toml"
            assert key.rpartition(".")[2] not in REGIONS and text not in names, where
    # In code: no phrase ("in de Achterhoek") and no name that is ours to spell ("FoodValley", "Cleantech
    # Regio", "buiten Gelderland"); a one-word place name like "Achterhoek" may be data (the demo people).
    ours = {name for name in names if " " in name or any(c.isupper() for c in name[1:])}
    root = Path(__file__).resolve().parents[2]
    for path in [*(root / "bot").rglob("*.py"), *(root / "matching").rglob("*.py")]:
        for literal in _string_literals(path):
            found = [name for name in ours if name in literal]
            assert not found, f"{path.relative_to(root)} spells {found}: use region_name / region_in"
    assert region_name("nl", "foodvalley") == "FoodValley"
    assert region_in("nl", "outside") == "buiten Gelderland"


# -- one word for one thing ---------------------------------------------------------------------------
# "suggestie" is a proposed partner, "kennismaking" a confirmed introduction (both said yes).
ABOUT_SUGGESTIONS = (
    "digest.new",
    "followup.answered_fresh",
    "followup.answered_no_fresh",
    "followup.answered_no_project",
    "followup.fresh_card",
    "silence.why",
    "matches.card_title",
    "matches.card_new",
)
ABOUT_INTRODUCTIONS = ("matches.intro_title", "stats.stage.introduced")


@pytest.mark.parametrize("key", ABOUT_SUGGESTIONS)
def test_a_proposed_partner_is_a_suggestion(key: str) -> None:
    for language, word, wrong in (("nl", "suggestie", "kennismaking"), ("en", "suggestion", "introduction")):
        text = t(language, key, count=2, name="X").lower()
        assert word in text and wrong not in text, (language, key)


@pytest.mark.parametrize("key", ABOUT_INTRODUCTIONS)
def test_a_confirmed_pair_is_an_introduction(key: str) -> None:
    for language, word in (("nl", "kennismaking"), ("en", "introduction")):
        text = t(language, key, name="X").lower()
        assert word in text and "introductie" not in text and "suggest" not in text, (language, key)


# -- Dutch style (docs/participants.md, "Schrijfregels") ----------------------------------------------
TRANSLATED = (
    "Vertel in één zin",  # an order with a question mark: ask, or say what to type
    "Nog op je antwoord wachten",
    "Regio: jij",
    "als je klaar bent",
    "Druk op",  # on a phone you tap: "Tik op"
    "bijv.",
    "introductie",  # a confirmed pair is a "kennismaking"
    "-W",  # ISO weeks ("2026-W49"): people say "week 49"
)


@pytest.mark.parametrize("key", sorted(catalogue("nl")))
def test_dutch_texts_follow_the_writing_rules(key: str) -> None:
    text = catalogue("nl")[key]
    assert not re.search(r"\b(u|uw|U|Uw)\b(?!nmet)", text.replace("/unmet", "")), "informal je, never u"
    for phrase in TRANSLATED:
        assert phrase not in text, phrase
    if not key.startswith("reasons."):  # "Jij zoekt X; Ruud biedt Y." is the one deliberate semicolon
        assert "; " not in text, "short sentences: a full stop instead of a semicolon"


def test_own_profile_speaks_as_the_person() -> None:
    assert t("nl", "profile.line", label=t("nl", "profile.field.offers"), value="x") == "<b>Ik bied:</b> x"
    assert t("nl", "profile.field.needs") == "Ik zoek"


@pytest.mark.parametrize(
    ("name", "called"),
    [
        ("Marieke Jansen", "Marieke"),
        ("Juf Anne", "Juf Anne"),  # a walkthrough saw "Juf zoekt …"
        ("Wethouder Jansen", "Wethouder Jansen"),
        ("dhr. P. Bakker", "dhr. P. Bakker"),
        ("J. de Vries", "J. de Vries"),
        ("Anne-Fleur de Vries", "Anne-Fleur"),
    ],
)
def test_a_title_or_initials_are_no_first_name(name: str, called: str) -> None:
    assert first_name(name) == called
