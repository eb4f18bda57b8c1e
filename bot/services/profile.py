"""The participant's turns in the conversation: typed answers, answer buttons, /profile, /start, consent.

Each turn is one function over a session (run with `bot.services.db.run`): it fetches the participant,
decides with the field table and the conversation's transitions, records, and returns a `Reply` — the
rendered views and how to deliver them — that the handler sends after the transaction committed. Every
answer is stored at once and the next question follows from the stored state, so a restart loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlmodel import Session

from bot import commands, conversation
from bot.callbacks import Callback, CallbackError
from bot.conversation import Mode, State, state_of
from bot.fields import ITEM_MAX, FieldKind, InputProblem, by_name, list_signal, read_items
from bot.services import participants
from bot.services.participants import Person
from bot.texts import Counted, first_name, t
from bot.views import View, choice_label, relay_not_open_view, relay_not_text_view, theme_labels
from storage.invitations import RedemptionProblem
from storage.models import ItemKind, Participant, ParticipantStatus, SuggestionStatus
from storage.outbox import last_relayed_to
from storage.suggestions import get_suggestion

__all__ = [
    "Greeting",
    "Reply",
    "consented",
    "current_views",
    "greet",
    "other_message",
    "profile_button",
    "profile_shown",
    "question_shown",
    "resumed_views",
    "step_button",
    "theme_button",
    "typed",
]

logger = logging.getLogger(__name__)

TYPED_COMMAND_CUTOFF = 80.0  # a word typed without a slash must be closer to a command than a /command
ITEM_PREVIEW = 60  # characters of a too-long item quoted back


@dataclass
class Reply:
    """What a handler sends after a turn: `views` in order, and how to treat the pressed message.

    `registered` False: the person never consented (they get `account.not_registered`). For a press:
    `stale` answers `toast` (a popup) and takes the old keyboard away; otherwise `toast` (an `alert`
    when set) answers the press, `close` takes the question's buttons away (showing `echo` under it),
    `edit` puts the first view in place of the pressed message. `matches` follows with the suggestions,
    `relay_to` hands the text to the relay of that suggestion.
    """

    language: str
    views: list[View] = field(default_factory=list)
    registered: bool = True
    toast: str | None = None
    alert: bool = False
    stale: bool = False
    close: bool = False
    echo: str | None = None
    edit: bool = False
    matches: bool = False
    asking: int | None = None  # the message that asks the open question (a stale press there keeps it)


def _unregistered(person: Person) -> Reply:
    return Reply(participants.language_of(person, None), registered=False)


def current_views(session: Session, participant: Participant, telegram_name: str | None = None) -> list[View]:
    """What to show for the participant's current state (the question, the summary, the open relay, or
    the profile)."""
    assert participant.id is not None
    items = participants.items_by_kind(session, participant_id=participant.id)
    return conversation.views(
        participant, items, telegram_name=telegram_name, relay_name=_relay_name(session, participant)
    )


def _relay_name(session: Session, participant: Participant) -> str:
    """The name of the person an open relay passes messages to ("" when no relay is open)."""
    state = state_of(participant)
    if state is None or state.mode is not Mode.RELAY or state.target is None or participant.id is None:
        return ""
    row = get_suggestion(session, suggestion_id=state.target)
    if row is None or participant.id not in (row.participant_a_id, row.participant_b_id):
        return ""
    other_id = row.participant_b_id if row.participant_a_id == participant.id else row.participant_a_id
    other = session.get(Participant, other_id)
    return other.name or "" if other is not None else ""


def resumed_views(session: Session, participant: Participant, telegram_name: str | None = None) -> list[View]:
    """For /start, consent and /matches: put an idle unfinished profile back on its first open question."""
    if state_of(participant) is None and participant.profile_completed_at is None:
        assert participant.id is not None
        items = participants.items_by_kind(session, participant_id=participant.id)
        conversation.enter(participant, conversation.resume(participant, items))
        session.add(participant)
    return current_views(session, participant, telegram_name)


def _advance(participant: Participant, state: State) -> None:
    """After the open question was answered: the next question, or back to the summary or profile."""
    completed = participant.profile_completed_at is not None
    conversation.enter(participant, conversation.after_answer(state, completed=completed))


def _stale(session: Session, participant: Participant) -> Reply:
    """What an old or forged profile button gets: a short popup (the open question stays where it is).

    One exception: when the conversation moved on since the question message was shown, and that question
    was never followed by the next one (the bot stopped in between and the press came again), `views`
    holds the question of now, to be shown when the press came from that last question message.
    """
    language = participant.language
    state = state_of(participant)
    if state is not None and state.in_profile:
        toast = t(language, "onboarding.stale_question")
        asking = conversation.asked_message(participant)
        reply = Reply(language, toast=toast, stale=True, asking=asking)
        if asking is not None and conversation.asked_in(participant) != participant.conversation_state:
            reply.views = current_views(session, participant)
        return reply
    unfinished = participant.profile_completed_at is None
    key = "onboarding.stale_unfinished" if unfinished else "onboarding.stale_finished"
    return Reply(language, toast=t(language, key), stale=True)


def question_shown(session: Session, *, person: Person, message_id: int | None) -> int | None:
    """After a turn: `message_id` is the message it sent with buttons (None: it sent none).

    Remembers that message while a question is open, and returns the message that asked before when its
    buttons must go (an answered question, or one asked again, keeps no buttons), else None.
    """
    participant = participants.find(session, person)
    if participant is None:
        return None
    previous = conversation.asked_message(participant)
    state = state_of(participant)
    open_question = state is not None and state.in_profile
    if message_id is None and conversation.asked_in(participant) == participant.conversation_state:
        return None  # the same question is still open (e.g. a typed answer was refused): keep its buttons
    conversation.remember_asked(participant, message_id if open_question else None)
    session.add(participant)
    return previous if previous != message_id else None


# -- typed text ------------------------------------------------------------------------------------------
@dataclass
class Typed(Reply):
    """A reply to typed text; `relay_to` set: the text is a message for that introduced suggestion."""

    relay_to: int | None = None


def typed(session: Session, *, person: Person, text: str, message_id: int, now: dt.datetime) -> Typed:
    """Free text: the answer to the open question, a message to relay, or a friendly pointer."""
    participant = participants.find(session, person)
    if participant is None:
        return Typed(participants.language_of(person, None), registered=False)
    language = participants.language_of(person, participant)
    reply = Typed(language)
    participant.last_seen_at = now
    state = state_of(participant)
    question = state.field if state is not None else None
    try:
        replayed = conversation.answered_message(participant) == message_id
        if state is not None and state.in_profile and replayed:
            # The same message again: its answer was stored, then the bot died before the update was
            # recorded as handled. Reading it as the answer to the next question would misfile it.
            reply.views += current_views(session, participant)
        elif state is not None and question is not None and question.kind is FieldKind.TEXT:
            participants.set_text_field(
                session, participant=participant, question=question, text=text, now=now
            )
            _advance(participant, state)
            reply.views += current_views(session, participant)
        elif state is not None and question is not None and question.kind is FieldKind.CHOICE:
            code = participants.parse_choice(question, text[:200])
            if code is not None and participants.choose(
                session, participant=participant, question=question, code=code, now=now
            ):
                _advance(participant, state)
                # What the typed word was read as, above the next question (a press shows it under its own)
                chosen = t(
                    language, "onboarding.typed_choice", answer=choice_label(language, question.name, code)
                )
                upcoming = current_views(session, participant)
                if upcoming:
                    upcoming[0] = (chosen + "\n\n" + upcoming[0][0], upcoming[0][1])
                reply.views += upcoming
            else:
                reply.views.append((t(language, "onboarding.use_buttons"), []))
                reply.views += current_views(session, participant)
        elif state is not None and question is not None and question.item_kind is not None:
            if list_signal(text) is not None:  # "klaar" is the Klaar button; "n.v.t." adds nothing
                _advance(participant, state)
            else:
                texts, too_long = read_items(text)
                if not texts and not too_long:
                    raise InputProblem("onboarding.empty_text")
                if texts:
                    participants.add_items(
                        session, participant=participant, kind=question.item_kind, texts=texts, now=now
                    )
                for item in too_long:  # say which one was not kept, so only that one is retyped
                    preview = item[:ITEM_PREVIEW] + "…"
                    reply.views.append(
                        (
                            t(
                                language,
                                "onboarding.item_too_long_which",
                                length=Counted("characters", ITEM_MAX),
                                item=preview,
                            ),
                            [],
                        )
                    )
            reply.views += current_views(session, participant)
        elif state is not None and state.at_summary:
            reply.views.append((t(language, "onboarding.use_buttons"), []))
            reply.views += current_views(session, participant)
        elif state is not None and state.mode is Mode.RELAY and state.target is not None:
            reply.relay_to = state.target
        elif (command := _meant_command(text)) is not None:  # "matches", "profiel": the command it means
            reply.views.append((t(language, "account.did_you_mean", command=command), []))
        elif state is None and participant.profile_completed_at is None:
            # Idle with an unfinished profile (after /cancel): the way on is finishing it, not /matches.
            reply.views.append((t(language, "onboarding.finish_profile_hint"), []))
            reply.views += resumed_views(session, participant, person.full_name)
        else:
            reply.views.append(_not_understood(session, participant, language))
    except InputProblem as problem:
        reply.views.append((t(language, problem.key, **problem.values), []))
    after = state_of(participant)
    if after is not None and after.in_profile:  # still in a question after this answer
        # Stored with the answer in one transaction, so a replay of this message is recognised.
        conversation.remember_answered(participant, message_id)
    session.add(participant)
    return reply


def _meant_command(text: str) -> str | None:
    """The command one typed word (without its slash) stands for, if it clearly is one."""
    words = text.split()
    if len(words) != 1:
        return None
    command = commands.guess(words[0], cutoff=TYPED_COMMAND_CUTOFF)
    return command.name if command is not None else None


def _not_understood(session: Session, participant: Participant, language: str) -> View:
    """Free text from someone idle. When someone passed them a message through the bot, the text was most
    likely an answer to it: say that only messages after "Antwoord X" are passed on, with that button."""
    assert participant.id is not None
    last = last_relayed_to(session, recipient_id=participant.id)
    row = get_suggestion(session, suggestion_id=last[0]) if last is not None else None
    sender = session.get(Participant, last[1]) if last is not None else None
    if row is None or row.status != SuggestionStatus.INTRODUCED or sender is None or not sender.name:
        return t(language, "account.not_understood"), []
    if sender.status not in (ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED):
        return t(language, "account.not_understood"), []
    assert row.id is not None
    return relay_not_open_view(language, suggestion_id=row.id, name=sender.name)


def other_message(session: Session, *, person: Person) -> Reply:
    """A sticker, photo, voice note, location…: what to do instead; nothing is stored."""
    participant = participants.find(session, person)
    if participant is None:
        return _unregistered(person)
    language = participants.language_of(person, participant)
    state = state_of(participant)
    if state is not None and state.mode is Mode.RELAY and state.target is not None:  # nothing is passed on
        return Reply(language, [relay_not_text_view(language, suggestion_id=state.target)])
    if state is not None and state.mode in (Mode.ONBOARDING, Mode.EDITING):
        return Reply(
            language, [(t(language, "onboarding.not_text"), []), *current_views(session, participant)]
        )
    if state is None and participant.profile_completed_at is None:
        views = resumed_views(session, participant, person.full_name)
        session.add(participant)
        return Reply(language, [(t(language, "onboarding.not_text"), []), *views])
    return Reply(language, [(t(language, "account.not_text"), [])])


# -- answer buttons -------------------------------------------------------------------------------------
def step_button(session: Session, *, person: Person, data: Callback, now: dt.datetime) -> Reply:
    """`ob:<field>:<code>`, `ob:keep:<field>`, `ob:done:<field>`, `ob:finish`: answers to the questions.

    A button counts only for the question that is open now; one from an earlier question (or pressed after
    onboarding finished, or after /cancel) changes nothing and gets a short answer instead.
    """
    participant = participants.find(session, person)
    if participant is None:
        return _unregistered(person)
    language = participants.language_of(person, participant)
    action = data.args[0] if data.args else ""
    target = data.args[1] if len(data.args) > 1 else None
    state = state_of(participant)
    question = state.field if state is not None else None
    chosen = by_name(action)
    reply = Reply(language, close=True)
    if (
        state is not None
        and chosen is not None
        and chosen.kind is FieldKind.CHOICE
        and question is chosen
        and target is not None
        and participants.choose(session, participant=participant, question=chosen, code=target, now=now)
    ):
        reply.echo = choice_label(language, chosen.name, target)
        _advance(participant, state)
        reply.views += current_views(session, participant)
    elif (
        action == "keep"
        and state is not None
        and question is not None
        and question.kind is FieldKind.TEXT
        and target == question.name
    ):
        if question.name == "name" and not participant.name:
            participant.name = (person.full_name or "").replace("\x00", "").strip()[:100] or None
        value = question.value(participant)
        if value:
            reply.echo = value
            _advance(participant, state)
        reply.views += current_views(session, participant, person.full_name)
    elif (
        action == "done"
        and state is not None
        and question is not None
        and question.kind is FieldKind.ITEMS
        and target == question.name
    ):
        _advance(participant, state)
        reply.views += current_views(session, participant)
    elif action == "finish" and state is not None and state.at_summary:
        participant.profile_completed_at = now
        conversation.enter(participant, None)
        participant.updated_at = now
        reply.views.append((t(language, "onboarding.finished"), []))
        reply.matches = True
    else:
        return _stale(session, participant)
    session.add(participant)
    return reply


def theme_button(session: Session, *, person: Person, data: Callback, now: dt.datetime) -> Reply:
    """`th:<index>` toggles a common theme; `th:done` ends the themes question."""
    participant = participants.find(session, person)
    if participant is None:
        return _unregistered(person)
    language = participants.language_of(person, participant)
    action = data.args[0] if data.args else ""
    state = state_of(participant)
    question = state.field if state is not None else None
    theme: str | None = None
    if action != "done":
        try:
            theme = theme_labels(language)[data.int_arg(0)]
        except (CallbackError, IndexError):
            theme = None
    themes_open = question is not None and question.kind is FieldKind.THEMES
    if state is None or not themes_open or (action != "done" and theme is None):
        return _stale(session, participant)
    if action == "done":
        assert participant.id is not None
        themes = participants.items_by_kind(session, participant_id=participant.id).get(ItemKind.THEME, [])
        _advance(participant, state)
        session.add(participant)
        echo = "; ".join(item.text for item in themes) or None
        return Reply(language, current_views(session, participant), close=True, echo=echo)
    assert theme is not None
    try:
        participants.toggle_theme(session, participant=participant, theme=theme, now=now)
    except InputProblem as problem:
        return Reply(language, toast=t(language, problem.key, **problem.values), alert=True)
    return Reply(language, current_views(session, participant)[:1], edit=True)


def profile_button(session: Session, *, person: Person, data: Callback, now: dt.datetime) -> Reply:
    """`pf:ed:<field>` edits a field, `pf:rm:<item>` strikes an item, `pf:back` returns to the profile.

    ✕ works only while the question of that item's kind is open: an old list's ✕ changes nothing.
    """
    participant = participants.find(session, person)
    if participant is None:
        return _unregistered(person)
    language = participants.language_of(person, participant)
    action = data.args[0] if data.args else ""
    state = state_of(participant)
    question = state.field if state is not None else None
    edited = by_name(data.args[1]) if action == "ed" and len(data.args) > 1 else None
    if edited is not None:
        conversation.enter(participant, conversation.editing(edited), fresh=True)
        session.add(participant)
        return Reply(language, current_views(session, participant, person.full_name))
    if action == "rm" and question is not None and question.item_kind is not None:
        try:
            item_id = data.int_arg(1)
        except CallbackError:
            item_id = -1
        item = participants.own_item(session, participant=participant, item_id=item_id)
        toast: str | None = None
        if item is None:
            toast = t(language, "profile.item_gone")
        elif item.kind != question.item_kind:
            return _stale(session, participant)
        else:
            participants.remove_item(session, participant=participant, item_id=item_id, now=now)
        return Reply(language, current_views(session, participant), toast=toast, edit=True)
    if action == "back":
        if state is not None and state.mode is Mode.EDITING:
            completed = participant.profile_completed_at is not None
            conversation.enter(participant, conversation.back(state, completed=completed))
            session.add(participant)
        return Reply(language, current_views(session, participant), edit=True)
    return _stale(session, participant)


# -- /profile, /start and consent -------------------------------------------------------------------------
def profile_shown(session: Session, *, person: Person) -> Reply:
    """/profile: the profile; half-way through something, where they are (with a line saying so)."""
    participant = participants.find(session, person)
    if participant is None:
        return _unregistered(person)
    language = participants.language_of(person, participant)
    state = state_of(participant)
    views = current_views(session, participant)
    elsewhere = state is not None and state.mode in (Mode.ONBOARDING, Mode.RELAY)
    if participant.profile_completed_at is None or elsewhere:
        # Half-way through something: show where they are rather than a second flow.
        views = [(t(language, "onboarding.continue_where"), []), *views]
    return Reply(language, views)


@dataclass(frozen=True)
class Greeting:
    """What /start says to someone who consented before (None from `greet`: a new person)."""

    language: str
    views: list[View]


def greet(
    session: Session, *, person: Person, payload: str | None, token: str | None, now: dt.datetime
) -> Greeting | None:
    """/start from someone known: an invitation line, and where they are (None: not known yet).

    `payload` is the /start argument, `token` the same when it can ride in a button (else None).
    """
    participant = participants.find(session, person)
    if participant is None:
        return None
    language = participants.language_of(person, participant)
    invite_line = _known_invitation(session, participant, payload, token, now=now)
    participants.unblock(session, participant=participant, now=now)
    finished = participant.profile_completed_at is not None
    busy = state_of(participant) is not None
    paused = participant.status == ParticipantStatus.PAUSED
    name = first_name(participant.name) or person.first_name or ""
    if finished:
        views = current_views(session, participant)
    else:
        views = resumed_views(session, participant, person.full_name)
    participant.last_seen_at = now
    session.add(participant)
    lines: list[View] = [(invite_line, [])] if invite_line is not None else []
    continue_where: list[View] = [(t(language, "onboarding.continue_where"), []), *views]
    if not finished:  # half-way through onboarding: the first open question
        return Greeting(language, lines + continue_where)
    lines.append((t(language, "start.welcome_back", name=name), []))
    if paused:
        lines.append((t(language, "start.welcome_back_paused"), []))
    if busy:  # in the middle of editing a field or typing a message to pass on
        lines += continue_where
    return Greeting(language, lines)


def _known_invitation(
    session: Session, participant: Participant, payload: str | None, token: str | None, *, now: dt.datetime
) -> str | None:
    """`/start <token>` from someone already registered: join the event; the line that says so, or None."""
    if not payload:
        return None
    language = participant.language
    if token is None:
        return t(language, "start.invite_known")
    joined = participants.join_by_invitation(session, participant=participant, token=token, now=now)
    if joined.invited and joined.event_name:
        return t(language, "start.invite_joined", event=joined.event_name)
    return t(language, "start.invite_known")


_PROBLEMS = {
    RedemptionProblem.UNKNOWN: "onboarding.invite_unknown",
    RedemptionProblem.EXPIRED: "onboarding.invite_expired",
    RedemptionProblem.USED: "onboarding.invite_used",
    RedemptionProblem.NOT_YOURS: "onboarding.invite_not_yours",
}


def known(session: Session, *, person: Person) -> bool:
    """True when the person consented before."""
    return participants.find(session, person) is not None


def consented(
    session: Session, *, person: Person, chat_id: int, language: str, token: str | None, now: dt.datetime
) -> Reply:
    """Consent given: create the participant (with an invitation's prefill) and ask the first question.

    The reply's views follow the consent message: a line about the invitation or an earlier consent, then
    the open question.
    """
    registration = participants.register(
        session,
        telegram_id=person.telegram_id,
        chat_id=chat_id,
        username=person.username,
        language=language,
        token=token,
        now=now,
    )
    participant = registration.participant
    logger.info("participant %s consented (new=%s)", participant.id, registration.created)
    language = participant.language
    lines: list[View] = []
    if not registration.created:
        lines.append((t(language, "onboarding.consent_again"), []))
    elif registration.problem is not None:
        lines.append((t(language, _PROBLEMS.get(registration.problem, "onboarding.invite_unknown")), []))
    elif registration.invited:
        # "What the organisation knew is filled in" only when something was (an event-wide link has nothing).
        prefilled = bool(registration.prefilled)
        if registration.event_name:
            key = "onboarding.invite_ok" if prefilled else "onboarding.invite_ok_empty"
            lines.append((t(language, key, event=registration.event_name), []))
        else:
            key = "onboarding.invite_ok_plain" if prefilled else "onboarding.invite_ok_plain_empty"
            lines.append((t(language, key), []))
    return Reply(language, lines + resumed_views(session, participant, person.full_name))
