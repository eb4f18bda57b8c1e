"""The conversation's states and transitions as plain values: no bot, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import conversation
from bot.conversation import Mode, State
from bot.fields import FIELDS, by_name
from storage.models import ItemKind, Participant, ProfileItem


@pytest.mark.parametrize(
    ("stored", "state"),
    [
        ("ob:role", State(Mode.ONBOARDING, "role")),
        ("ob:summary", State(Mode.ONBOARDING, "summary")),
        ("ed:offers", State(Mode.EDITING, "offers")),
        ("relay:12", State(Mode.RELAY, "12")),
        ("fu_project:7", State(Mode.PROJECT, "7")),
        (None, None),
        ("", None),
        ("garbage", None),
        ("xx:role", None),
    ],
)
def test_stored_states_parse_and_write_back(stored: str | None, state: State | None) -> None:
    assert State.parse(stored) == state
    if state is not None:
        assert str(state) == stored


def test_what_a_state_is_about() -> None:
    assert State(Mode.EDITING, "role").field is by_name("role")
    assert State(Mode.ONBOARDING, "summary").field is None and State(Mode.ONBOARDING, "summary").at_summary
    assert State(Mode.RELAY, "12").target == 12 and State(Mode.RELAY, "12").field is None
    assert State(Mode.PROJECT, "x").target is None and not State(Mode.PROJECT, "7").in_profile


def test_onboarding_walks_the_field_table_then_the_summary() -> None:
    state: State | None = conversation.first_question()
    seen = []
    while state is not None and not state.at_summary:
        seen.append(state.step)
        state = conversation.after_answer(state, completed=False)
    assert seen == [field.name for field in FIELDS]
    assert state == conversation.summary()


@pytest.mark.parametrize("completed", [True, False])
def test_editing_returns_to_the_profile_or_the_unfinished_summary(completed: bool) -> None:
    editing = conversation.editing(FIELDS[2])
    expected = None if completed else conversation.summary()
    assert conversation.after_answer(editing, completed=completed) == expected
    assert conversation.back(editing, completed=completed) == expected
    relaying = conversation.relaying(3)
    assert conversation.back(relaying, completed=completed) == relaying  # "back" only leaves editing


def test_an_unfinished_profile_resumes_at_its_first_open_question() -> None:
    person = Participant(id=1, telegram_id=1, name="Sanne", organisation="Het Streek")
    assert conversation.resume(person, {}) == State(Mode.ONBOARDING, "role")
    person.role, person.region = "school", "foodvalley"
    offers = {ItemKind.OFFER: [ProfileItem(participant_id=1, kind="offer", text="x")]}
    assert conversation.resume(person, offers) == State(Mode.ONBOARDING, "needs")  # reach has a default
    person.profile_completed_at = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    assert conversation.resume(person, {}) is None


def test_entering_a_state_stores_it_and_can_forget_its_data() -> None:
    person = Participant(id=1, telegram_id=1, conversation_data={"answered": 41})
    assert conversation.answered_message(person) == 41
    conversation.enter(person, conversation.relaying(5))
    assert person.conversation_state == "relay:5" and conversation.answered_message(person) == 41
    conversation.enter(person, None, fresh=True)
    assert person.conversation_state is None and person.conversation_data == {}
    conversation.remember_answered(person, 42)
    assert conversation.state_of(person) is None and conversation.answered_message(person) == 42


def test_what_to_show_follows_the_state() -> None:
    person = Participant(id=1, telegram_id=1, language="nl", name="Sanne")
    conversation.enter(person, State(Mode.ONBOARDING, "organisation"))
    [(text, _)] = conversation.views(person, {})
    assert "Stap 2 van 8" in text
    conversation.enter(person, conversation.summary())
    [(text, rows)] = conversation.views(person, {})
    assert "Zo ziet je profiel eruit" in text and rows[-1][0].data == "ob:finish"
    conversation.enter(person, conversation.relaying(3))
    [(text, rows)] = conversation.views(person, {}, relay_name="Ruud Jansen")
    assert "maximaal 1.000 tekens" in text and "Ruud Jansen" in text and rows[0][0].data == "relay:3:stop"
    conversation.enter(person, None)
    [(text, _)] = conversation.views(person, {})
    assert "Je profiel" in text
