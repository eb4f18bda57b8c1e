"""Messages the double opt-in sends on its own initiative, through the outbox.

- When one side says yes and the other has not seen the suggestion yet, the other side gets the card.
- When both said yes, each side gets an introduction: the other's name, organisation, the reasons, a first
  step and a way to reach them (their t.me link, or a button to have the bot relay a first message).
- Relayed messages between two introduced people.

Dedupe keys (`sg:<suggestion>:<recipient>`, `intro:<suggestion>:<recipient>`, `relay:<suggestion>:...`)
make each idempotent; `storage.privacy` removes them when a side is erased.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlmodel import Session

from bot.callbacks import pack
from bot.keyboards import Button, to_dict
from bot.services.matchmaking import (
    AnswerOutcome,
    answer_suggestion,
    mark_shown,
    matching_suggestion,
    other_side,
    suggested_by,
)
from bot.texts import t
from bot.views import contact_link, introduction_view, suggestion_card
from storage.models import (
    AnswerValue,
    IntroductionStatus,
    OutboxMessage,
    OutboxState,
    Participant,
    ParticipantStatus,
    Suggestion,
    SuggestionStatus,
)
from storage.outbox import enqueue, requeue_blocked, unsent_to
from storage.privacy import relayed_messages_of
from storage.suggestions import introduction_for, suggestions_of
from storage.types import utcnow

__all__ = [
    "after_answer",
    "answer",
    "ask_other_side",
    "deliver_missed",
    "introduce",
    "relay",
    "relays_undeliverable",
    "tell_undelivered",
]

logger = logging.getLogger(__name__)


def _reachable(participant: Participant | None, *, paused: bool = False) -> bool:
    """Can be sent to: active, or (`paused`) also paused: a pause stops new suggestions, not what a person
    already said yes to (an introduction) nor the messages of someone they were introduced to."""
    statuses = (ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED) if paused else (ParticipantStatus.ACTIVE,)
    return participant is not None and participant.chat_id is not None and participant.status in statuses


def ask_other_side(
    session: Session,
    *,
    suggestion: Suggestion,
    asker_id: int,
    now: dt.datetime,
    not_before: dt.datetime | None = None,
) -> bool:
    """Send the suggestion card to the side that has not seen it; False when they cannot be reached.

    `not_before`: the end of the quiet hours, when the asker answered at night (the card waits till then).
    """
    assert suggestion.id is not None
    other_id = other_side(suggestion, asker_id)
    other, asker = session.get(Participant, other_id), session.get(Participant, asker_id)
    if not _reachable(other) or asker is None or other is None:
        return False
    assert other.chat_id is not None
    text, rows = suggestion_card(
        other.language,
        suggestion_id=suggestion.id,
        view=matching_suggestion(suggestion, other_id),
        other=asker,
        new=True,
        suggested_by=suggested_by(suggestion),
    )
    enqueue(
        session,
        dedupe_key=f"sg:{suggestion.id}:{other_id}",
        chat_id=other.chat_id,
        participant_id=other_id,
        kind="suggestion",
        text=text,
        reply_markup=to_dict(rows),
        not_before=not_before,
    )
    mark_shown(session, suggestion=suggestion, participant_id=other_id, now=now)
    return True


def introduce(
    session: Session,
    *,
    suggestion: Suggestion,
    skip: int | None = None,
    not_before: dt.datetime | None = None,
) -> int:
    """Queue the introduction to both sides (but `skip`); returns how many messages were newly queued.

    The side whose "yes" completed the pair is skipped: their pressed card becomes the introduction.
    `not_before` holds the others' introduction back until the quiet hours end.
    """
    assert suggestion.id is not None
    a = session.get(Participant, suggestion.participant_a_id)
    b = session.get(Participant, suggestion.participant_b_id)
    queued = 0
    for me, other in ((a, b), (b, a)):
        if me is None or other is None or not _reachable(me, paused=True) or me.id == skip:
            continue
        assert me.id is not None and me.chat_id is not None
        text, rows = introduction_view(
            me.language, suggestion_id=suggestion.id, view=matching_suggestion(suggestion, me.id), other=other
        )
        row = enqueue(
            session,
            dedupe_key=f"intro:{suggestion.id}:{me.id}",
            chat_id=me.chat_id,
            participant_id=me.id,
            kind="intro",
            text=text,
            reply_markup=to_dict(rows),
            priority=1,
            not_before=not_before,
        )
        queued += row is not None
    return queued


def deliver_missed(session: Session, *, participant: Participant, now: dt.datetime) -> int:
    """Someone who had blocked the bot is back: their introductions that Telegram refused, or that were
    never queued because they were known to be blocked, are queued again (the other side was told they
    were introduced), and so are refused cards of suggestions still open (someone said yes to them).
    Relayed messages are not: their senders were told they could not be delivered. Returns how many
    messages are on their way."""
    if participant.id is None or not _reachable(participant, paused=True):
        return 0
    queued = 0
    for suggestion in suggestions_of(session, participant_id=participant.id):
        if suggestion.id is None:
            continue
        if suggestion.status == SuggestionStatus.PENDING:
            card = f"sg:{suggestion.id}:{participant.id}"
            queued += requeue_blocked(session, dedupe_key=card, now=now) == OutboxState.BLOCKED
            continue
        if suggestion.status != SuggestionStatus.INTRODUCED:
            continue
        other = session.get(Participant, other_side(suggestion, participant.id))
        if other is None or other.status == ParticipantStatus.DELETED:
            continue  # no contact details of someone who left
        before = requeue_blocked(session, dedupe_key=f"intro:{suggestion.id}:{participant.id}", now=now)
        if before == OutboxState.BLOCKED:
            queued += 1
        elif before is None and not _introduced_on_their_card(suggestion, participant):
            queued += introduce(session, suggestion=suggestion, skip=other.id)
    return queued


def _introduced_on_their_card(suggestion: Suggestion, participant: Participant) -> bool:
    """The side whose "yes" completed the pair saw the introduction on the card they pressed."""
    mine, theirs = suggestion.answered_a_at, suggestion.answered_b_at
    if participant.id == suggestion.participant_b_id:
        mine, theirs = theirs, mine
    return mine is not None and (theirs is None or mine >= theirs)


def after_answer(
    session: Session,
    outcome: AnswerOutcome,
    *,
    participant_id: int,
    now: dt.datetime,
    not_before: dt.datetime | None = None,
) -> None:
    """What an answer sets in motion: the other side's introduction, or the card for the other side.

    The acting side's own introduction is their reply (the pressed card becomes it), not an outbox message.
    What goes to the other side waits for `not_before` (the end of the quiet hours) when given.
    """
    suggestion = outcome.suggestion
    if outcome.newly_introduced:
        introduce(session, suggestion=suggestion, skip=participant_id, not_before=not_before)
    elif outcome.other_needs_asking and suggestion.status == SuggestionStatus.PENDING:
        ask_other_side(
            session, suggestion=suggestion, asker_id=participant_id, now=now, not_before=not_before
        )


def answer(
    session: Session,
    *,
    suggestion_id: int,
    participant_id: int,
    answer: AnswerValue | str,
    now: dt.datetime,
    undo: bool = False,
    not_before: dt.datetime | None = None,
) -> AnswerOutcome:
    """One side's answer (double opt-in: `answer_suggestion`) and the messages it sets in motion."""
    outcome = answer_suggestion(
        session, suggestion_id=suggestion_id, participant_id=participant_id, answer=answer, now=now, undo=undo
    )
    after_answer(session, outcome, participant_id=participant_id, now=now, not_before=not_before)
    return outcome


def relay(
    session: Session, *, suggestion: Suggestion, sender: Participant, text: str, message_key: str
) -> bool:
    """Pass a message from one introduced side to the other; False when the other cannot be reached."""
    assert suggestion.id is not None and sender.id is not None
    if suggestion.status != SuggestionStatus.INTRODUCED:
        return False
    other = session.get(Participant, other_side(suggestion, sender.id))
    if not _reachable(other, paused=True) or other is None:
        return False
    assert other.chat_id is not None
    language = other.language
    name = sender.name or ""
    body = t(language, "matches.relay_message", name=name, text=text)
    link = contact_link(sender.username)
    hint = (
        t(language, "matches.relay_reply_hint", link=link)
        if link
        else t(language, "matches.relay_reply_hint_plain")
    )
    button = Button(t(language, "matches.relay_reply_button", name=name[:28]), pack("relay", suggestion.id))
    row = enqueue(
        session,
        dedupe_key=f"relay:{suggestion.id}:{sender.id}:{message_key}",
        chat_id=other.chat_id,
        participant_id=other.id,
        kind="relay",
        text=f"{body}\n\n{hint}",
        reply_markup=to_dict([[button]]),
        priority=1,
    )
    del row  # already queued (the same message again) counts as passed on
    if relayed_messages_of(session, sender_id=other.id or 0, suggestion_ids=[suggestion.id]):
        # Messages went both ways through the bot: that is contact ("Hebben jullie al contact gehad?" is
        # then not asked, and nobody is told the other "heard nothing").
        introduction = introduction_for(session, suggestion_id=suggestion.id)
        if introduction is not None and introduction.contacted_at is None:
            introduction.contacted_at = utcnow()
            if introduction.status == IntroductionStatus.INTRODUCED:
                introduction.status = IntroductionStatus.CONTACTED
            session.add(introduction)
    return True


def relays_undeliverable(session: Session, *, chat_id: int) -> int:
    """The person of `chat_id` blocked the bot: tell whoever relayed a message to them that was not delivered
    (their "Ik stuur het door" was about the queue). Call before the rows are stopped; returns how many."""
    told = 0
    for row in unsent_to(session, chat_id=chat_id, kind="relay"):
        parts = row.dedupe_key.split(":")  # relay:<suggestion>:<sender>:<message>
        sender = session.get(Participant, int(parts[2])) if len(parts) > 2 and parts[2].isdigit() else None
        recipient = session.get(Participant, row.participant_id) if row.participant_id else None
        name = (recipient.name if recipient else None) or ""
        told += tell_undelivered(
            session,
            row=row,
            waiting=sender,
            key="relay-undelivered",
            kind="relay_failed",
            text_key="matches.relay_undelivered",
            name=name,
        )
    return told


def tell_undelivered(
    session: Session,
    *,
    row: OutboxMessage,
    waiting: Participant | None,
    key: str,
    kind: str,
    text_key: str,
    **values: object,
) -> bool:
    """`row` will not arrive (its recipient blocked the bot): tell `waiting`, who is waiting for it, once
    (`<key>:<row id>`), when they can be reached; True when the notice was queued now."""
    if not _reachable(waiting) or waiting is None or waiting.chat_id is None:
        return False
    queued = enqueue(
        session,
        dedupe_key=f"{key}:{row.id}",
        chat_id=waiting.chat_id,
        participant_id=waiting.id,
        kind=kind,
        text=t(waiting.language, text_key, **values),
        priority=1,
    )
    return queued is not None
