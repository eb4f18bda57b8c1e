"""The participant's conversation: its declared states, every transition, and what to show in each state.

The state is stored on the participant (`Participant.conversation_state`, a string such as `ob:role`), so a
restart of the bot loses nothing; this module is the only code that reads or writes it. The states:

    (idle)            None: commands and buttons; free text gets a friendly pointer
    ob:<field>        onboarding, asking the question of <field> (bot.fields.FIELDS, in order)
    ob:summary        onboarding done, showing the whole profile with the button that finishes it
    ed:<field>        editing one field from /profile (or from the summary)
    relay:<id>        typing a first message for the other side of introduced suggestion <id>
    fu_project:<id>   typing the one line about the project of introduction <id>

Transitions::

    consent ──▶ ob:<first field> ──answer──▶ ob:<next field> … ──▶ ob:summary ──finish──▶ idle
    /profile button ──▶ ed:<field> ──answer / back──▶ idle (finished profile) or ob:summary
    relay button ──▶ relay:<id> ──message──▶ idle        "yes, a project!" ──▶ fu_project:<id> ──line──▶ idle
    /cancel ──▶ idle from anywhere; an idle unfinished profile resumes at its first open question
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.fields import FIELDS, RELAY_MAX, Field, by_name, completeness
from bot.texts import Counted, t
from bot.views import View, ask_field, profile_view, summary_view
from storage.models import Participant, ProfileItem

__all__ = [
    "SUMMARY",
    "Mode",
    "State",
    "after_answer",
    "answered_message",
    "awaiting_project",
    "back",
    "editing",
    "enter",
    "first_question",
    "relaying",
    "remember_answered",
    "resume",
    "state_of",
    "summary",
    "views",
]

SUMMARY = "summary"


class Mode(StrEnum):
    """What the person is in the middle of (the part of the stored state before the colon)."""

    ONBOARDING = "ob"
    EDITING = "ed"
    RELAY = "relay"
    PROJECT = "fu_project"


@dataclass(frozen=True)
class State:
    """A conversation state: the mode and its step (a field name, `summary`, or an id)."""

    mode: Mode
    step: str

    @classmethod
    def parse(cls, stored: str | None) -> State | None:
        """The state stored as `mode:step`; None when idle (or for anything this version does not know)."""
        if not stored or ":" not in stored:
            return None
        mode, _, step = stored.partition(":")
        try:
            return cls(Mode(mode), step)
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.mode.value}:{self.step}"

    @property
    def in_profile(self) -> bool:
        """True while onboarding or editing (a question or the summary is open)."""
        return self.mode in (Mode.ONBOARDING, Mode.EDITING)

    @property
    def field(self) -> Field | None:
        """The field whose question is open, if any."""
        return by_name(self.step) if self.in_profile else None

    @property
    def at_summary(self) -> bool:
        """True when the onboarding summary is shown."""
        return self.mode is Mode.ONBOARDING and self.step == SUMMARY

    @property
    def target(self) -> int | None:
        """The suggestion (relay) or introduction (project) id the state is about."""
        if self.mode in (Mode.RELAY, Mode.PROJECT) and self.step.isdigit():
            return int(self.step)
        return None


# -- reading and writing the stored state ---------------------------------------------------------------
def state_of(participant: Participant) -> State | None:
    """The participant's current state (None when idle)."""
    return State.parse(participant.conversation_state)


def enter(participant: Participant, state: State | None, *, fresh: bool = False) -> None:
    """Move the participant to `state` (None: idle); `fresh` forgets the previous state's data."""
    participant.conversation_state = str(state) if state is not None else None
    if fresh:
        participant.conversation_data = {}


def answered_message(participant: Participant) -> int | None:
    """The id of the message whose answer was stored last (a replay of it must not count twice)."""
    value = (participant.conversation_data or {}).get("answered")
    return value if isinstance(value, int) else None


def remember_answered(participant: Participant, message_id: int) -> None:
    """Store, with the answer, which message it came from (so a replay after a crash is recognised)."""
    participant.conversation_data = {**(participant.conversation_data or {}), "answered": message_id}


# -- transitions ----------------------------------------------------------------------------------------
def first_question() -> State:
    """Where onboarding starts, right after consent."""
    return State(Mode.ONBOARDING, FIELDS[0].name)


def summary() -> State:
    """The end of onboarding: the whole profile and the button that finishes it."""
    return State(Mode.ONBOARDING, SUMMARY)


def editing(field: Field) -> State:
    """Editing one field (from /profile or the summary)."""
    return State(Mode.EDITING, field.name)


def relaying(suggestion_id: int) -> State:
    """Typing a first message for the other side of an introduced suggestion."""
    return State(Mode.RELAY, str(suggestion_id))


def awaiting_project(introduction_id: int) -> State:
    """Typing the one line about a started project."""
    return State(Mode.PROJECT, str(introduction_id))


def after_answer(state: State, *, completed: bool) -> State | None:
    """The state after the open question was answered: the next question, the summary, or idle."""
    if state.mode is Mode.ONBOARDING:
        names = [field.name for field in FIELDS]
        index = names.index(state.step)
        return State(Mode.ONBOARDING, names[index + 1]) if index + 1 < len(names) else summary()
    return None if completed else summary()


def back(state: State | None, *, completed: bool) -> State | None:
    """`« Terug` from editing a field: back to the profile (idle) or to the unfinished summary."""
    if state is not None and state.mode is Mode.EDITING:
        return None if completed else summary()
    return state


def resume(participant: Participant, items: dict[str, list[ProfileItem]]) -> State | None:
    """Where an idle person with an unfinished profile picks up: the first unanswered question."""
    if participant.profile_completed_at is not None:
        return None
    for field in FIELDS:
        if not field.answered(participant, items):
            return State(Mode.ONBOARDING, field.name)
    return summary()


# -- what to show ----------------------------------------------------------------------------------------
def views(
    participant: Participant,
    items: dict[str, list[ProfileItem]],
    *,
    telegram_name: str | None = None,
) -> list[View]:
    """What to show for the participant's current state: the question, the summary, or the profile."""
    language = participant.language
    state = state_of(participant)
    field = state.field if state is not None else None
    if state is not None and field is not None:
        onboarding = state.mode is Mode.ONBOARDING
        return [
            ask_field(language, field, participant, items, onboarding=onboarding, telegram_name=telegram_name)
        ]
    if state is not None and state.at_summary:
        return [summary_view(language, participant, items)]
    if state is not None and state.mode is Mode.RELAY:
        return [(t(language, "matches.relay_ask", name="…", length=Counted("characters", RELAY_MAX)), [])]
    percent, tips = completeness(participant, items)
    return [profile_view(language, participant, items, percent=percent, tips=tips)]
