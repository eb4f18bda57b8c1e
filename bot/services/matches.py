"""The /matches turns: suggestion cards, their answers (double opt-in), and relayed first messages.

Every press is checked here, on the server: only a side of the suggestion may answer it, only an introduced
side may relay. A decline is never shown to the other side. Each function runs in one transaction
(`bot.services.db.run`) and returns what the handler says; nothing here talks to Telegram.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

from sqlmodel import Session

from bot import conversation
from bot.fields import RELAY_MAX, InputProblem, clean_text
from bot.services import introductions, participants
from bot.services import matchmaking as mm
from bot.services.digest import digest_entries, digests_entries
from bot.services.participants import Person
from bot.services.profile import resumed_views
from bot.texts import t
from bot.views import (
    DigestEntry,
    View,
    answered_card,
    digest_back,
    digest_view,
    introduction_view,
    relay_stop_keyboard,
    suggestion_card,
    yes_waiting_view,
)
from storage import cards as cards_store
from storage import participants as participants_store
from storage.models import AnswerValue, Participant, ParticipantStatus, Suggestion, SuggestionStatus
from storage.suggestions import get_suggestion, own_yes_waiting

__all__ = [
    "CARDS",
    "Answered",
    "Before",
    "CardList",
    "DigestTurn",
    "answer",
    "before_cards",
    "cards",
    "digest_list",
    "open_digest_card",
    "record_copies",
    "relay_message",
    "start_relay",
    "stop_relay",
]

logger = logging.getLogger(__name__)

CARDS = 3
COPIES_EDITED = 10  # at most this many other copies of a card are edited after an answer (edits cost calls)
DIGEST_LISTS = 5  # a suggestion is open for 28 days: at most the newest five digests can list it
ANSWERS = {"y": AnswerValue.YES, "n": AnswerValue.NO, "l": AnswerValue.LATER, "x": AnswerValue.NEVER}


@dataclass(frozen=True)
class Before:
    """Whether /matches can show cards: `participant_id` set, or the views that say why not."""

    language: str
    participant_id: int | None = None
    views: tuple[View, ...] = ()
    registered: bool = True


def before_cards(session: Session, *, person: Person) -> Before:
    """Who asks for /matches: unknown, paused, with an unfinished profile (its open question), or ready."""
    participant = participants.find(session, person)
    language = participants.language_of(person, participant)
    if participant is None or participant.id is None:
        return Before(language, registered=False)
    if participant.status == ParticipantStatus.PAUSED:
        return Before(language, views=((t(language, "matches.paused"), []),))
    if participant.profile_completed_at is None:
        views = resumed_views(session, participant)
        return Before(language, views=((t(language, "onboarding.finish_profile_first"), []), *views))
    return Before(language, participant.id)


@dataclass(frozen=True)
class CardList:
    """What /matches shows: the cards to answer (with their suggestion ids), and `yes_waiting`, the people
    this person said yes to and waits for (None: nobody)."""

    language: str
    cards: list[tuple[int, View]]
    yes_waiting: str | None = None


def cards(
    session: Session,
    *,
    participant_id: int,
    matcher: mm.MatcherCache,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> CardList:
    """Open suggestions for this person (topped up from the matcher), rendered with their suggestion ids
    (marked shown), and the ones they said yes to that wait for the other side."""
    participant = session.get(Participant, participant_id)
    assert participant is not None
    language = participant.language
    rows = mm.suggestions_for(session, participant_id=participant_id, limit=CARDS, now=now)
    if len(rows) < CARDS:
        mm.find_new_suggestions(
            session,
            participant_id=participant_id,
            cache=matcher,
            limit=CARDS - len(rows),
            now=now,
            expires_at=expires_at,
        )
        rows = mm.suggestions_for(session, participant_id=participant_id, limit=CARDS, now=now)
    others = participants_store.by_ids(session, ids=[mm.other_side(row, participant_id) for row in rows])
    views: list[tuple[int, View]] = []
    for row in rows:
        assert row.id is not None
        other = others.get(mm.other_side(row, participant_id))
        if other is None:
            continue
        view = mm.matching_suggestion(row, participant_id)
        views.append(
            (
                row.id,
                suggestion_card(
                    language, suggestion_id=row.id, view=view, other=other, suggested_by=mm.suggested_by(row)
                ),
            )
        )
        mm.mark_shown(session, suggestion=row, participant_id=participant_id, now=now)
    waited_ids = [
        mm.other_side(row, participant_id)
        for row in own_yes_waiting(session, participant_id=participant_id, now=now)
    ]
    waited_for = participants_store.by_ids(session, ids=waited_ids)
    people = [waited_for[pid] for pid in waited_ids if pid in waited_for]
    return CardList(language, views, yes_waiting_view(language, people) if people else None)


def record_copies(
    session: Session, *, participant_id: int, chat_id: int, copies: list[tuple[int, int]], now: dt.datetime
) -> None:
    """Remember which messages show which card ((suggestion id, message id) pairs), so answers follow."""
    cards_store.record_card_copies(
        session, participant_id=participant_id, chat_id=chat_id, copies=copies, now=now
    )


@dataclass(frozen=True)
class Answered:
    """What answering a card did: `refusal` or `closed` (text keys), else what the pressed card now shows.

    `card` replaces the pressed card in place (the answer shown on it, an undone card reopened, or the
    introduction when both said yes), and every other live copy of this person's card (`copies`: chat id,
    message id; with their digest messages showing a list the answer changed); `popup` is a short note on
    the press (a text key).
    """

    language: str
    refusal: str | None = None
    closed: str | None = None
    popup: str | None = None
    card: View | None = None
    copies: tuple[tuple[int, int, View], ...] = ()


def answer(
    session: Session,
    *,
    person: Person,
    suggestion_id: int,
    code: str,
    now: dt.datetime,
    pressed: tuple[int, int] | None = None,
    quiet_until: dt.datetime | None = None,
) -> Answered:
    """`sg:<id>:y|n|l|x|u`: one's own answer to a suggestion (undo reopens one's own decline).

    `pressed` (chat id, message id) is the copy the answer came from; the others are in `Answered.copies`.
    The answer shows at once; what it sends the other side waits until `quiet_until` (the end of the quiet
    hours, `bot.services.quiet.next_allowed_for`) when that is later than `now`.
    """
    not_before = quiet_until if quiet_until is not None and quiet_until > now else None
    participant = participants.find(session, person)
    lists = _digest_lists(session, participant=participant, now=now)  # what they show before the answer
    answered = _answer(
        session, person=person, suggestion_id=suggestion_id, code=code, now=now, not_before=not_before
    )
    if answered.card is None or participant is None or participant.id is None:
        return answered
    card, language = answered.card, answered.language
    copies = cards_store.card_copies(session, suggestion_id=suggestion_id, participant_id=participant.id)
    weeks = {(chat_id, message_id): week for chat_id, message_id, week in copies}
    copies = copies[-COPIES_EDITED:]  # the newest; an older one still cannot reopen a final answer
    return dataclasses.replace(
        answered,
        card=digest_back(language, card, weeks.get(pressed) if pressed else None),
        copies=tuple(
            (chat_id, message_id, digest_back(language, card, week))
            for chat_id, message_id, week in copies
            if (chat_id, message_id) != pressed
        )
        + _other_side_introduced(session, suggestion_id=suggestion_id, code=code, presser=participant)
        + tuple(
            copy
            for copy in _lists_changed(session, participant=participant, before=lists, now=now)
            if copy[:2] != pressed
        ),
    )


def _digest_lists(
    session: Session, *, participant: Participant | None, now: dt.datetime
) -> dict[tuple[int, int], tuple[str, list[DigestEntry]]]:
    """This person's digest messages that show their week's list: (chat id, message id) → (week, entries)."""
    if participant is None or participant.id is None:
        return {}
    shown = cards_store.digest_lists(session, participant_id=participant.id, limit=DIGEST_LISTS)
    if not shown:
        return {}
    weeks = digests_entries(
        session, participant_id=participant.id, weeks=[week for *_, week in shown], now=now
    )
    return {(chat_id, message_id): (week, weeks[week]) for chat_id, message_id, week in shown}


def _lists_changed(
    session: Session,
    *,
    participant: Participant,
    before: dict[tuple[int, int], tuple[str, list[DigestEntry]]],
    now: dt.datetime,
) -> tuple[tuple[int, int, View], ...]:
    """After one's own answer, a digest message showing its list follows it like a card copy does (a tick for
    an answered suggestion, one undone loses it), when what the list shows changed."""
    language = participant.language
    changed: list[tuple[int, int, View]] = []
    for (chat_id, message_id), (week, entries) in _digest_lists(
        session, participant=participant, now=now
    ).items():
        if (chat_id, message_id) in before and before[(chat_id, message_id)][1] != entries:
            changed.append((chat_id, message_id, digest_view(language, week=week, entries=entries)))
    return tuple(changed)


def _other_side_introduced(
    session: Session, *, suggestion_id: int, code: str, presser: Participant
) -> tuple[tuple[int, int, View], ...]:
    """After the second "yes": the first side's live copies of the card stop saying "we wait for X" (their
    introduction comes as a message of its own, maybe after the quiet hours)."""
    row = get_suggestion(session, suggestion_id=suggestion_id)
    if code != "y" or row is None or row.status != SuggestionStatus.INTRODUCED or presser.id is None:
        return ()
    other = session.get(Participant, mm.other_side(row, presser.id))
    if other is None or other.id is None:
        return ()
    note = t(other.language, "matches.copy_introduced", name=presser.name or "")
    copies = cards_store.card_copies(session, suggestion_id=suggestion_id, participant_id=other.id)
    return tuple((chat_id, message_id, (note, [])) for chat_id, message_id, _ in copies[-COPIES_EDITED:])


def _card_now(language: str, row: Suggestion, participant_id: int, other: Participant) -> View:
    """This person's card of a suggestion as it stands: open, answered, introduced, or no longer current."""
    assert row.id is not None
    view = mm.matching_suggestion(row, participant_id)
    mine = row.answer_a if row.participant_a_id == participant_id else row.answer_b
    if row.status == SuggestionStatus.INTRODUCED:
        return introduction_view(language, suggestion_id=row.id, view=view, other=other)
    codes = {value.value: code for code, value in ANSWERS.items()}
    if mine in (AnswerValue.NO, AnswerValue.NEVER) or (row.status == SuggestionStatus.PENDING and mine):
        return answered_card(language, suggestion_id=row.id, view=view, other=other, answer=codes[mine])
    if row.status == SuggestionStatus.PENDING:
        return suggestion_card(language, suggestion_id=row.id, view=view, other=other)
    return t(language, "matches.stale"), []


@dataclass(frozen=True)
class DigestTurn:
    """A press in a digest message: what the message shows now, or `refusal` (a popup text key)."""

    language: str
    view: View | None = None
    refusal: str | None = None


def open_digest_card(
    session: Session,
    *,
    person: Person,
    suggestion_id: int,
    week: str,
    pressed: tuple[int, int],
    now: dt.datetime,
) -> DigestTurn:
    """`dg:o:<suggestion>:<week>`: the digest message becomes that card (with a way back); only one's own."""
    participant = participants.find(session, person)
    language = participants.language_of(person, participant)
    row = get_suggestion(session, suggestion_id=suggestion_id)
    if participant is None or participant.id is None or row is None or row.id is None:
        return DigestTurn(language, refusal="matches.not_yours")
    try:
        other = session.get(Participant, mm.other_side(row, participant.id))
    except mm.NotASide:
        logger.warning("refused a digest button from someone who is not a side")
        return DigestTurn(language, refusal="matches.not_yours")
    if other is None or other.status == ParticipantStatus.DELETED:
        return DigestTurn(language, refusal="matches.gone")
    chat_id, message_id = pressed
    cards_store.record_card_copies(
        session,
        participant_id=participant.id,
        chat_id=chat_id,
        copies=[(row.id, message_id)],
        now=now,
        digest_week=week,
    )
    return DigestTurn(language, digest_back(language, _card_now(language, row, participant.id, other), week))


def digest_list(
    session: Session, *, person: Person, week: str, pressed: tuple[int, int], now: dt.datetime
) -> DigestTurn:
    """`dg:b:<week>`: the digest message goes back from a card to the week's list, as it stands now."""
    participant = participants.find(session, person)
    language = participants.language_of(person, participant)
    if participant is None or participant.id is None:
        return DigestTurn(language, refusal="matches.not_yours")
    cards_store.forget_card_copy(session, chat_id=pressed[0], message_id=pressed[1])
    entries = digest_entries(session, participant_id=participant.id, week=week, now=now)
    return DigestTurn(language, digest_view(language, week=week, entries=entries))


def _answer(
    session: Session,
    *,
    person: Person,
    suggestion_id: int,
    code: str,
    now: dt.datetime,
    not_before: dt.datetime | None,
) -> Answered:
    participant = participants.find(session, person)
    language = participants.language_of(person, participant)
    if participant is None or participant.id is None:
        return Answered(language, refusal="matches.not_yours")
    undo = code == "u"
    try:
        outcome = introductions.answer(
            session,
            suggestion_id=suggestion_id,
            participant_id=participant.id,
            answer=ANSWERS.get(code, AnswerValue.LATER),
            now=now,
            undo=undo,
            not_before=not_before,
        )
    except (mm.UnknownSuggestion, mm.NotASide):
        logger.warning("refused a suggestion button from someone who is not a side")
        return Answered(language, refusal="matches.not_yours")
    except mm.FinalAnswer:
        return _final(session, language, suggestion_id=suggestion_id, participant_id=participant.id)
    except mm.SuggestionClosed:
        row = get_suggestion(session, suggestion_id=suggestion_id)
        other = session.get(Participant, mm.other_side(row, participant.id)) if row else None
        gone = other is None or other.status == ParticipantStatus.DELETED
        expired = row is not None and row.status == SuggestionStatus.EXPIRED
        return Answered(
            language, closed="matches.gone" if gone else "matches.expired" if expired else "matches.stale"
        )
    row = outcome.suggestion
    assert row.id is not None
    other = session.get(Participant, mm.other_side(row, participant.id))
    if other is None:
        return Answered(language, closed="matches.gone")
    view = mm.matching_suggestion(row, participant.id)
    if row.status == SuggestionStatus.INTRODUCED:
        # The introduction itself, under the news that both said yes (nothing else is sent to this side).
        card = introduction_view(language, suggestion_id=row.id, view=view, other=other, news=True)
        return Answered(
            language, card=card, popup=None if outcome.newly_introduced else "matches.already_introduced"
        )
    if undo:
        return Answered(
            language, card=suggestion_card(language, suggestion_id=row.id, view=view, other=other)
        )
    card = answered_card(language, suggestion_id=row.id, view=view, other=other, answer=code)
    return Answered(language, card=card)


def _final(session: Session, language: str, *, suggestion_id: int, participant_id: int) -> Answered:
    """A press on an older copy of a card this person answered "never": a popup, and the copy shows it."""
    row = get_suggestion(session, suggestion_id=suggestion_id)
    other = session.get(Participant, mm.other_side(row, participant_id)) if row is not None else None
    if row is None or row.id is None or other is None:
        return Answered(language, closed="matches.gone")
    view = mm.matching_suggestion(row, participant_id)
    card = answered_card(language, suggestion_id=row.id, view=view, other=other, answer="x")
    return Answered(language, popup="matches.final_answer", card=card)


def start_relay(session: Session, *, person: Person, suggestion_id: int) -> tuple[str, str, str]:
    """`relay:<suggestion>`: an introduced side wants to pass a message on; (language, text key, name)."""
    participant = participants.find(session, person)
    language = participants.language_of(person, participant)
    row = get_suggestion(session, suggestion_id=suggestion_id)
    if participant is None or participant.id is None or row is None:
        return language, "matches.not_yours", ""
    try:
        other = session.get(Participant, mm.other_side(row, participant.id))
    except mm.NotASide:
        logger.warning("refused a relay button from someone who is not a side")
        return language, "matches.not_yours", ""
    if row.status != SuggestionStatus.INTRODUCED:
        return language, "matches.not_yours", ""
    if other is None or other.status == ParticipantStatus.DELETED:
        return language, "matches.gone", ""
    if other.status == ParticipantStatus.BLOCKED:  # known: say so now, not after the message is typed
        return language, "matches.relay_unreachable", other.name or ""
    conversation.enter(participant, conversation.relaying(suggestion_id), fresh=True)
    session.add(participant)
    return language, "matches.relay_ask", other.name or ""


def relay_message(
    session: Session, *, person: Person, suggestion_id: int, text: str, message_key: str
) -> View | None:
    """A message typed while a relay is open: queue it for the other side; the relay stays open for the
    next one (until "Stoppen" or /cancel). The reply, with the stop button (None: unknown person)."""
    participant = participants.find(session, person)
    if participant is None or participant.id is None:
        return None
    language = participants.language_of(person, participant)
    row = get_suggestion(session, suggestion_id=suggestion_id)
    try:
        other = session.get(Participant, mm.other_side(row, participant.id)) if row else None
    except mm.NotASide:
        other = None
    stop = relay_stop_keyboard(language, suggestion_id)
    try:
        clean = clean_text(text, limit=RELAY_MAX)
    except InputProblem as problem:
        return t(language, problem.key, **problem.values), stop  # nothing passed on: they can try again
    if row is not None and other is not None and other.status == ParticipantStatus.BLOCKED:
        conversation.enter(participant, None)  # not "Ik stuur het door": it cannot be delivered
        session.add(participant)
        return t(language, "matches.relay_undelivered", name=other.name or ""), []
    if (
        row is None
        or other is None
        or other.status not in (ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED)
    ):
        conversation.enter(participant, None)
        session.add(participant)
        return t(language, "matches.gone"), []
    if not introductions.relay(
        session, suggestion=row, sender=participant, text=clean, message_key=message_key
    ):
        conversation.enter(participant, None)  # the pair is no longer introduced: say so, pass nothing on
        session.add(participant)
        return t(language, "matches.gone"), []
    return t(language, "matches.relay_sent", name=other.name or ""), stop


def stop_relay(session: Session, *, person: Person, suggestion_id: int) -> tuple[str, str | None]:
    """`relay:<id>:stop`: close the open relay of that suggestion; (language, what to say), None when no
    such relay was open (an old button)."""
    participant = participants.find(session, person)
    language = participants.language_of(person, participant)
    state = conversation.state_of(participant) if participant is not None else None
    if participant is None or state is None or state.mode is not conversation.Mode.RELAY:
        return language, None
    if state.target != suggestion_id:
        return language, None
    conversation.enter(participant, None, fresh=True)
    session.add(participant)
    return language, t(language, "matches.relay_cancelled")
