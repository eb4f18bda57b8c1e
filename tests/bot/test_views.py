"""The participant's views as pure functions: resolved rows in, (HTML text, buttons) out; no database."""

from __future__ import annotations

import pytest

import matching
from bot.callbacks import unpack
from bot.fields import FIELDS, THEME_COUNT, by_name
from bot.keyboards import Keyboard, to_dict
from bot.views import (
    DigestEntry,
    ask_field,
    choice_label,
    consent_keyboard,
    contact_link,
    digest_view,
    introduction_view,
    profile_view,
    suggestion_card,
    summary_view,
    yes_waiting_view,
)
from storage.models import ItemKind, Participant, ProfileItem


def sanne(**fields: object) -> Participant:
    values = {"name": "Sanne", "organisation": "Het Streek", "role": "school", "region": "foodvalley"}
    return Participant(id=1, telegram_id=11, language="nl", **(values | fields))


def item(item_id: int, kind: ItemKind, text: str) -> ProfileItem:
    return ProfileItem(id=item_id, participant_id=1, kind=kind, text=text, normalised=text)


def data(rows: Keyboard) -> list[str]:
    return [button.data or button.url or "" for row in rows for button in row]


def labels(rows: Keyboard) -> list[str]:
    return [button.text for row in rows for button in row]


def field(name: str):  # type: ignore[no-untyped-def]
    found = by_name(name)
    assert found is not None
    return found


def test_a_text_question_offers_to_keep_the_current_value() -> None:
    text, rows = ask_field(
        "nl", field("name"), sanne(name=None), {}, onboarding=True, telegram_name="Sanne V"
    )
    assert text.startswith("<i>Stap 1 van 8</i>") and "Hoe heet je?" in text
    assert labels(rows) == ["Houden: Sanne V"] and data(rows) == ["ob:keep:name"]
    # Editing from /profile: no step counter, and a way back.
    text, rows = ask_field("nl", field("organisation"), sanne(), {}, onboarding=False)
    assert "Stap" not in text
    assert data(rows) == ["ob:keep:organisation", "pf:back"]


def test_a_choice_question_marks_the_current_answer() -> None:
    text, rows = ask_field("nl", field("role"), sanne(), {}, onboarding=True)
    assert "Stap 3 van 8" in text
    assert len(rows) == (len(matching.ROLES) + 1) // 2 and all(len(row) <= 2 for row in rows)
    assert "✓ vmbo / school" in labels(rows)
    assert sum(label.startswith("✓") for label in labels(rows)) == 1
    assert all(unpack(d, prefix="ob").args[0] == "role" for d in data(rows))
    _, reach = ask_field("nl", field("reach"), sanne(), {}, onboarding=True)
    assert [len(row) for row in reach] == [1] * len(matching.REACHES)  # one per row: long labels


def test_a_list_question_shows_what_is_there_with_a_strike_button_each() -> None:
    empty_text, empty_rows = ask_field("nl", field("offers"), sanne(), {}, onboarding=True)
    assert "Wat kun je <b>bieden</b>?" in empty_text and labels(empty_rows) == ["Sla over"]
    items = {ItemKind.OFFER: [item(7, ItemKind.OFFER, "gastlessen"), item(8, ItemKind.OFFER, "<stage>")]}
    text, rows = ask_field("nl", field("offers"), sanne(), items, onboarding=True)
    assert "• gastlessen" in text and "&lt;stage&gt;" in text  # typed text is escaped
    assert data(rows) == ["pf:rm:7", "pf:rm:8", "ob:done:offers"]
    assert labels(rows)[-1] == "Klaar ✓"


def test_the_themes_question_toggles_common_themes_and_lists_own_ones() -> None:
    items = {ItemKind.THEME: [item(3, ItemKind.THEME, "energietransitie"), item(4, ItemKind.THEME, "robots")]}
    text, rows = ask_field("nl", field("themes"), sanne(), items, onboarding=True)
    theme_buttons = [
        b for row in rows for b in row if b.data and b.data.startswith("th:") and b.data != "th:done"
    ]
    assert len(theme_buttons) == THEME_COUNT
    assert [b.text for b in theme_buttons if b.text.startswith("✓")] == ["✓ energietransitie"]
    assert "Zelf getypt:\n• robots" in text and "pf:rm:4" in data(rows) and "pf:rm:3" not in data(rows)
    assert "energietransitie" not in text.split("Zelf getypt:")[1]  # the tapped one is a ticked button
    assert data(rows)[-1] == "th:done"


def test_summary_and_profile_list_every_field_with_an_edit_button() -> None:
    items = {ItemKind.NEED: [item(1, ItemKind.NEED, "stagiairs")]}
    text, rows = summary_view("nl", sanne(), items)
    assert "<b>Naam:</b> Sanne" in text and "<b>Ik zoek:</b> stagiairs" in text
    assert "<b>Ik bied:</b> —" in text
    assert data(rows)[:-1] == [f"pf:ed:{f.name}" for f in FIELDS] and data(rows)[-1] == "ob:finish"
    text, rows = profile_view("nl", sanne(status="paused"), items, percent=65, tips=["profile.tip.offers"])
    assert "(65% compleet)" in text and "pauze" in text and "Vertel wat je kunt bieden" in text
    assert data(rows) == [f"pf:ed:{f.name}" for f in FIELDS]
    complete, _ = profile_view("nl", sanne(), items, percent=100, tips=[])
    assert "compleet. 👍" in complete


def test_a_suggestion_card_has_reasons_and_four_answers_but_no_contact() -> None:
    other = Participant(id=2, telegram_id=22, name="Ruud", organisation="Jansen", role="company",
                        region="achterhoek", username="ruud_installeert")  # fmt: skip
    reason = matching.Reason("need_offer", own_text="gastlessen", other_text="gastles warmtepomp")
    view = matching.Suggestion("1", "2", 0.6, (reason,))
    text, rows = suggestion_card("nl", suggestion_id=5, view=view, other=other)
    assert "Suggestie: Ruud" in text and "Jansen · bedrijf · Achterhoek" in text and "Waarom:" in text
    assert "t.me" not in text and "ruud_installeert" not in text
    assert data(rows) == ["sg:5:y", "sg:5:n", "sg:5:l", "sg:5:x"]
    titled, _ = suggestion_card("nl", suggestion_id=5, view=view, other=other, title="<b>Nieuw</b>")
    assert titled.startswith("<b>Nieuw</b>\n")


@pytest.mark.parametrize(
    ("username", "link"), [("ruud_01", "https://t.me/ruud_01"), ("bad name", None), (None, None)]
)
def test_contact_link(username: str | None, link: str | None) -> None:
    assert contact_link(username) == link


def test_an_introduction_shares_the_contact_or_offers_a_relay() -> None:
    view = matching.Suggestion("1", "2", 0.6, (matching.Reason("need_offer", "gastles", "warmtepompen"),))
    other = Participant(id=2, telegram_id=22, name="Ruud", username="ruud_01")
    text, rows = introduction_view("nl", suggestion_id=9, view=view, other=other)
    assert "https://t.me/ruud_01" in text and "warmtepompen" in text and data(rows) == ["relay:9"]
    text, _ = introduction_view(
        "nl", suggestion_id=9, view=view, other=Participant(id=2, telegram_id=22, name="Ruud")
    )
    assert "t.me" not in text and "geef je eerste bericht door" in text
    for language, word in (("nl", "allebei"), ("en", "both")):  # "Jullie willen allebei!": said once
        text, _ = introduction_view(language, suggestion_id=9, view=view, other=other, news=True)
        assert word in text.split("\n")[0] and text.count(word) == 1
        assert text.count("🎉") == 1  # one celebration: the title's, not the news line's too


@pytest.mark.parametrize(
    ("language", "head", "more"),
    [
        ("nl", "Je zei ja tegen 12 mensen:", "… en nog 2 mensen."),
        ("en", "You said yes to 12 people:", "plus 2 people"),
    ],
)
def test_whom_one_said_yes_to_lists_ten_and_counts_the_rest(language: str, head: str, more: str) -> None:
    others = [sanne(name=f"Persoon {n}") for n in range(12)]
    text = yes_waiting_view(language, others)
    assert text.startswith(head) and more in text
    assert "Persoon 9" in text and "Persoon 10" not in text
    single = yes_waiting_view("nl", others[:1])
    assert single.startswith("Je zei ja tegen 1 persoon:") and "nog" not in single
    assert "• <b>Persoon 0</b> (Het Streek)" in single
    assert single.endswith("Zodra Persoon ook ja zegt, stel ik jullie aan elkaar voor.")
    assert text.endswith(
        (
            "iemand van hen ook ja zegt, stel ik jullie aan elkaar voor.",
            "one of them says yes too, I'll introduce you.",
        )
    )


def test_consent_buttons_carry_the_invitation_token() -> None:
    rows = consent_keyboard("en", "TOKEN_1")
    assert data(rows) == ["consent:yes:en:TOKEN_1", "consent:no"]
    assert data(consent_keyboard("nl")) == ["consent:yes:nl", "consent:no"]
    assert to_dict(rows) == {
        "inline_keyboard": [
            [{"text": labels(rows)[0], "callback_data": "consent:yes:en:TOKEN_1"}],
            [{"text": labels(rows)[1], "callback_data": "consent:no"}],
        ]
    }


def test_choice_labels() -> None:
    assert choice_label("nl", "region", "arnhem-nijmegen") == "Arnhem-Nijmegen"
    assert choice_label("en", "role", None) == choice_label("en", "role", "") == "—"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_digest_whose_every_entry_was_answered_says_so(language: str) -> None:
    # A walkthrough saw only the title and "Tik op een naam" above no names at all.
    text, rows = digest_view(language, week="2026-W49", entries=[])
    assert rows == [] and "/matches" in text.split("\n")[-1]
    assert "Tik op een naam" not in text and "Tap a name" not in text
    some, _ = digest_view(language, week="2026-W49", entries=[DigestEntry(1, "Ruud", "Jansen BV", new=True)])
    assert "/matches" not in some
