"""The catalogues: every text in Dutch and English with the same placeholders; values escaped."""

from __future__ import annotations

import string

import pytest

from bot.texts import LANGUAGES, Markup, catalogue, language_for, set_default_language, t


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
