"""Follow-up nudges after an introduction, and what their answers do.

The conversation side only creates Introduction rows. `run_followups` (every few minutes) plans one FollowUp
per side and kind for each new introduction: a contact check after NUDGE_DAYS[0] days ("have you been in
touch?"), a project check after NUDGE_DAYS[1] ("did you start a joint project?"), a last check after
NUDGE_DAYS[2], and a long check after LONG_CHECK_DAYS ("does the collaboration still run?"). Due follow-ups
are queued through the outbox (dedupe key `followup:<id>`, quiet hours respected) unless they became
pointless: the pair said "no longer needed", the person left or blocked the bot, contact or a project is
already known, or (long check) the pair never got going.

Answers (`answer_followup`) feed the funnel suggested → accepted → introduced → contacted → project started.
"Not yet" asks why, in one tap, and acts on it: the other side did not answer → a reminder to them
(once, and it counts as an unresponsiveness report for the matcher); we could not find a time → a fresh
suggestion for this person; plans changed → a flag for the regional coordinator
(Introduction.flagged_for_coordinator_at).
"Yes!" to a project question asks for one line about the project (`record_project`).

Errors::

    FollowUpError        base class
    ├── NotYours         the person pressing is not the one the follow-up was sent to
    └── StaleFollowUp    no such follow-up, never sent, or the pair stopped
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import conversation
from bot.callbacks import pack
from bot.cleaning import strip_controls
from bot.keyboards import Button, Keyboard, to_dict
from bot.organiser_views import flag_notice
from bot.services import matchmaking as mm
from bot.services.introductions import tell_undelivered
from bot.services.quiet import next_allowed_for
from bot.settings import Settings
from bot.texts import t
from bot.views import contact_link, suggestion_card
from storage import engagement as store
from storage import session_scope
from storage.models import (
    FollowUp,
    FollowUpKind,
    FollowUpState,
    Introduction,
    IntroductionStatus,
    Participant,
    ParticipantStatus,
)
from storage.organisers import organisers_for_region
from storage.outbox import enqueue, unsent_to
from storage.participants import get_by_telegram_id
from storage.privacy import relayed_messages_of
from storage.stats import participant_languages
from storage.status import record_round
from storage.suggestions import get_suggestion

__all__ = [
    "Answer",
    "Answered",
    "FollowUpError",
    "FollowUpReport",
    "NotYours",
    "Outcome",
    "StaleFollowUp",
    "answer_followup",
    "followup_message",
    "plan",
    "project_line",
    "record_project",
    "reminders_undeliverable",
    "respond",
    "run_followups",
    "why_keyboard",
]

logger = logging.getLogger(__name__)

PROJECT_MAX = 300
PAUSED_RETRY = dt.timedelta(days=1)
NUDGE_KINDS = (FollowUpKind.CONTACT_CHECK, FollowUpKind.PROJECT_CHECK, FollowUpKind.LAST_CHECK)


class FollowUpError(Exception):
    """Base class of the follow-up answers' errors."""


class NotYours(FollowUpError):
    """The follow-up was sent to someone else (a forged or forwarded button)."""


class StaleFollowUp(FollowUpError):
    """No such follow-up, it was never sent, or the introduction was stopped."""


class Answer:
    """Answer codes in callback data `fu:<follow-up id>:<code>[:<reason>]`."""

    YES = "y"
    NOT_YET = "n"  # contact check: not yet → asks why
    STOP = "s"  # no longer needed
    BUSY = "b"  # project check: we're working on it
    NO = "x"
    WHY = "w"  # followed by a reason
    REASON_OTHER = "o"  # the other side did not answer → reminder to them
    REASON_TIME = "t"  # we could not find a time → a fresh suggestion
    REASON_PLANS = "p"  # plans changed → flag for the regional coordinator


@dataclass(frozen=True)
class Outcome:
    """What an answer did; the handler renders it. `reply_key` is a `followup.*` text key."""

    reply_key: str
    introduction_id: int
    other_name: str = ""
    ask_why: bool = False
    ask_project: bool = False
    fresh_suggestion_id: int | None = None


@dataclass(frozen=True)
class FollowUpReport:
    """What one follow-up round did."""

    planned: int = 0
    queued: int = 0
    cancelled: int = 0
    postponed: int = 0


# -- planning and sending ----------------------------------------------------------------------------------
def plan(introduction: Introduction, settings: Settings) -> list[tuple[FollowUpKind, dt.datetime]]:
    """The follow-ups for one introduction: nudges on NUDGE_DAYS, and the long check."""
    start = introduction.introduced_at
    moments = [
        (kind, start + dt.timedelta(days=days))
        for kind, days in zip(NUDGE_KINDS, settings.nudge_days, strict=False)
    ]
    moments.append((FollowUpKind.LONG_CHECK, start + dt.timedelta(days=settings.long_check_days)))
    return moments


def run_followups(
    engine: Engine, *, settings: Settings, now: dt.datetime, force: bool = False
) -> FollowUpReport:
    """Plan follow-ups for new introductions and queue the due ones (quiet hours unless `force`)."""
    planned = queued = cancelled = postponed = 0
    with session_scope(engine) as session:
        for introduction in store.introductions_without_followups(session):
            planned += len(
                store.create_followups(
                    session, introduction=introduction, schedule=plan(introduction, settings)
                )
            )
    not_before = None if force else next_allowed_for(now, settings)
    if not_before is not None and not_before <= now:
        not_before = None
    while True:
        with session_scope(engine) as session:
            due = store.due_followups(session, now=now, limit=200)
            for followup in due:
                result = _send_or_skip(session, followup, now=now, not_before=not_before)
                queued += result == "queued"
                cancelled += result == "cancelled"
                postponed += result == "postponed"
        if len(due) < 200:
            break
    if planned or queued or cancelled:
        logger.info("follow-ups: %d planned, %d queued, %d cancelled", planned, queued, cancelled)
    report = FollowUpReport(planned=planned, queued=queued, cancelled=cancelled, postponed=postponed)
    with session_scope(engine) as session:  # the moment the round finished, for `koppelbot status`
        record_round(session, name="followups", now=now, details=dataclasses.asdict(report))
    return report


def _still_useful(followup: FollowUp, introduction: Introduction) -> bool:
    kind = followup.kind
    if introduction.status == IntroductionStatus.STOPPED:
        return False
    if kind == FollowUpKind.CONTACT_CHECK:
        return introduction.contacted_at is None and introduction.project_started_at is None
    if kind in (FollowUpKind.PROJECT_CHECK, FollowUpKind.LAST_CHECK):
        return introduction.project_started_at is None
    if kind == FollowUpKind.LONG_CHECK:
        return introduction.contacted_at is not None or introduction.project_started_at is not None
    if kind == FollowUpKind.REMINDER:  # "X heard nothing from you": untrue once contact is known
        return introduction.contacted_at is None and introduction.project_started_at is None
    return True


def _send_or_skip(
    session: Session,
    followup: FollowUp,
    *,
    now: dt.datetime,
    not_before: dt.datetime | None,
) -> str:
    introduction = session.get(Introduction, followup.introduction_id)
    person = session.get(Participant, followup.participant_id)
    if introduction is None or person is None or not _still_useful(followup, introduction):
        followup.state = FollowUpState.CANCELLED
        session.add(followup)
        return "cancelled"
    if person.status in (ParticipantStatus.DELETED, ParticipantStatus.BLOCKED) or person.chat_id is None:
        followup.state = FollowUpState.CANCELLED
        session.add(followup)
        return "cancelled"
    if person.status == ParticipantStatus.PAUSED:
        followup.due_at = now + PAUSED_RETRY  # asked again once they are back
        session.add(followup)
        return "postponed"
    other = session.get(Participant, _other_side(introduction, person.id or 0))
    text, rows = followup_message(person.language, followup, other, suggestion_id=introduction.suggestion_id)
    enqueue(
        session,
        dedupe_key=f"followup:{followup.id}",
        chat_id=person.chat_id,
        participant_id=person.id,
        kind="nudge",
        text=text,
        reply_markup=to_dict(rows),
        not_before=not_before,
    )
    followup.state = FollowUpState.SENT
    followup.sent_at = now
    session.add(followup)
    return "queued"


def reminders_undeliverable(session: Session, *, chat_id: int) -> int:
    """The person of `chat_id` blocked the bot: whoever asked for a reminder to them that is not delivered
    yet is told it will not arrive (their "Ik stuur X een herinnering" was about the queue). Call before the
    rows are stopped; returns how many were told."""
    told = 0
    for row in unsent_to(session, chat_id=chat_id, kind="nudge"):
        number = row.dedupe_key.removeprefix("followup:")
        followup = session.get(FollowUp, int(number)) if number.isdigit() else None
        if followup is None or followup.kind != FollowUpKind.REMINDER:
            continue
        introduction = session.get(Introduction, followup.introduction_id)
        if introduction is None:
            continue
        asker = session.get(Participant, _other_side(introduction, followup.participant_id))
        person = session.get(Participant, followup.participant_id)
        told += tell_undelivered(
            session,
            row=row,
            waiting=asker,
            key="reminder-undelivered",
            kind="nudge_failed",
            text_key="followup.reminder_undelivered",
            other=(person.name if person else "") or "",
        )
    return told


def _other_side(introduction: Introduction, participant_id: int) -> int:
    if introduction.participant_a_id == participant_id:
        return introduction.participant_b_id
    return introduction.participant_a_id


def _name(person: Participant | None) -> tuple[str, str]:
    if person is None or person.status == ParticipantStatus.DELETED:
        return "?", ""
    return person.name or "?", person.organisation or ""


def _button(language: str, key: str, data: str, **values: object) -> Button:
    return Button(t(language, f"followup.{key}", **values), data)


def followup_message(
    language: str, followup: FollowUp, other: Participant | None, *, suggestion_id: int | None = None
) -> tuple[str, Keyboard]:
    """The question of one follow-up, with its buttons. A reminder says how to reach the other as it is:
    their t.me link, or (without a username) a button that has the bot pass a message on."""
    name, organisation = _name(other)
    org = t(language, "followup.organisation", organisation=organisation) if organisation else ""
    fid = followup.id
    kind = followup.kind
    text = t(language, f"followup.{kind}", other=name, organisation=org)
    relay: Keyboard = []
    if kind == FollowUpKind.REMINDER and other is not None and other.status != ParticipantStatus.DELETED:
        link = contact_link(other.username)
        if link:
            text += "\n" + t(language, "followup.reminder_link", other=name, link=link)
        elif suggestion_id is not None:
            text += "\n" + t(language, "followup.reminder_relay", other=name)
            label = t(language, "matches.relay_button", name=name[:28])
            relay = [[Button(label, pack("relay", suggestion_id))]]
    if kind == FollowUpKind.CONTACT_CHECK:
        rows = [
            [
                _button(language, "yes_button", pack("fu", fid, Answer.YES)),
                _button(language, "not_yet_button", pack("fu", fid, Answer.NOT_YET)),
            ],
            [_button(language, "stop_button", pack("fu", fid, Answer.STOP))],
        ]
    elif kind in (FollowUpKind.PROJECT_CHECK, FollowUpKind.LAST_CHECK):
        rows = [
            [
                _button(language, "project_yes_button", pack("fu", fid, Answer.YES)),
                _button(language, "busy_button", pack("fu", fid, Answer.BUSY)),
                _button(language, "no_button", pack("fu", fid, Answer.NO)),
            ]
        ]
    elif kind == FollowUpKind.LONG_CHECK:
        rows = [
            [
                _button(language, "still_yes_button", pack("fu", fid, Answer.YES)),
                _button(language, "still_no_button", pack("fu", fid, Answer.NO)),
            ]
        ]
    else:  # reminder to the other side
        rows = [
            *relay,
            [_button(language, "contacted_now_button", pack("fu", fid, Answer.YES))],
            [_button(language, "stop_button", pack("fu", fid, Answer.STOP))],
        ]
    return text, rows


def why_keyboard(language: str, followup_id: int, other_name: str) -> Keyboard:
    """The three reasons for "not yet", one tap each."""
    return [
        [
            _button(
                language,
                "why_other_button",
                pack("fu", followup_id, Answer.WHY, Answer.REASON_OTHER),
                other=other_name[:30],
            )
        ],
        [_button(language, "why_time_button", pack("fu", followup_id, Answer.WHY, Answer.REASON_TIME))],
        [_button(language, "why_plans_button", pack("fu", followup_id, Answer.WHY, Answer.REASON_PLANS))],
    ]


# -- answers -----------------------------------------------------------------------------------------------
def _load(session: Session, followup_id: int, participant_id: int) -> tuple[FollowUp, Introduction]:
    followup = session.get(FollowUp, followup_id)
    if followup is None:
        raise StaleFollowUp(f"no follow-up {followup_id}")
    if followup.participant_id != participant_id:
        raise NotYours(f"follow-up {followup_id} is not theirs")
    if followup.state not in (FollowUpState.SENT, FollowUpState.ANSWERED):
        raise StaleFollowUp(f"follow-up {followup_id} is {followup.state}")
    introduction = session.get(Introduction, followup.introduction_id)
    if introduction is None:
        raise StaleFollowUp(f"introduction of follow-up {followup_id} is gone")
    return followup, introduction


def _contacted(introduction: Introduction, now: dt.datetime) -> None:
    if introduction.contacted_at is None:
        introduction.contacted_at = now
    if introduction.status == IntroductionStatus.INTRODUCED:
        introduction.status = IntroductionStatus.CONTACTED


def answer_followup(
    session: Session,
    *,
    followup_id: int,
    participant_id: int,
    answer: str,
    reason: str | None = None,
    now: dt.datetime,
    settings: Settings,
    cache: mm.MatcherCache | None = None,
) -> Outcome:
    """Record one side's answer to a follow-up and act on it (raises NotYours / StaleFollowUp)."""
    followup, introduction = _load(session, followup_id, participant_id)
    assert introduction.id is not None
    other = session.get(Participant, _other_side(introduction, participant_id))
    other_name = _name(other)[0]

    def outcome(key: str, **kwargs: Any) -> Outcome:
        return Outcome(reply_key=key, introduction_id=introduction.id or 0, other_name=other_name, **kwargs)

    if introduction.status == IntroductionStatus.STOPPED and answer != Answer.STOP:
        raise StaleFollowUp("the pair stopped")
    if followup.state == FollowUpState.ANSWERED and not (
        answer == Answer.WHY and followup.answer == Answer.NOT_YET
    ):
        raise StaleFollowUp(f"follow-up {followup_id} was answered already")
    followup.state = FollowUpState.ANSWERED
    followup.answered_at = now
    followup.answer = answer if answer != Answer.WHY else Answer.NOT_YET
    session.add(followup)
    session.add(introduction)
    kind = followup.kind

    if answer == Answer.STOP:
        introduction.status = IntroductionStatus.STOPPED
        introduction.stopped_at = introduction.stopped_at or now
        store.cancel_followups(session, introduction_id=introduction.id)
        return outcome("answered_stopped")
    if kind in (FollowUpKind.CONTACT_CHECK, FollowUpKind.REMINDER):
        if answer == Answer.YES:
            _contacted(introduction, now)
            return outcome("answered_contacted")
        if answer == Answer.NOT_YET:
            return outcome("why", ask_why=True)
        if answer == Answer.WHY:
            return _act_on_reason(
                session,
                followup,
                introduction,
                other,
                reason,
                now=now,
                settings=settings,
                cache=cache,
                outcome=outcome,
            )
    elif kind in (FollowUpKind.PROJECT_CHECK, FollowUpKind.LAST_CHECK):
        if answer == Answer.YES:
            _contacted(introduction, now)
            introduction.project_started_at = introduction.project_started_at or now
            introduction.status = IntroductionStatus.PROJECT
            store.cancel_followups(
                session,
                introduction_id=introduction.id,
                kinds=[FollowUpKind.PROJECT_CHECK, FollowUpKind.LAST_CHECK],
            )
            return outcome("ask_project", ask_project=True)
        if answer == Answer.BUSY:
            _contacted(introduction, now)
            return outcome("answered_busy")
        if answer == Answer.NO:
            return outcome("answered_no_project")
    elif kind == FollowUpKind.LONG_CHECK and answer in (Answer.YES, Answer.NO):
        introduction.still_running = answer == Answer.YES
        return outcome("answered_still_yes" if answer == Answer.YES else "answered_still_no")
    raise StaleFollowUp(f"answer {answer!r} does not fit a {kind}")


def _act_on_reason(
    session: Session,
    followup: FollowUp,
    introduction: Introduction,
    other: Participant | None,
    reason: str | None,
    *,
    now: dt.datetime,
    settings: Settings,
    cache: mm.MatcherCache | None,
    outcome: Any,
) -> Outcome:
    assert introduction.id is not None
    followup.answer_reason = reason
    if reason == Answer.REASON_OTHER:
        return _remind_other(session, introduction, other, now=now, settings=settings, outcome=outcome)
    if reason == Answer.REASON_TIME:
        rows = mm.find_new_suggestions(
            session,
            participant_id=followup.participant_id,
            cache=cache or mm.MatcherCache(mm.match_config(settings)),
            limit=1,
            now=now,
            expires_at=now + dt.timedelta(days=settings.suggestion_expiry_days),
        )
        person = session.get(Participant, followup.participant_id)
        if not rows or person is None or person.chat_id is None:
            return outcome("answered_no_fresh")
        row = rows[0]
        partner = session.get(Participant, mm.other_side(row, followup.participant_id))
        if partner is None:  # never: the matcher only suggests people who are there
            return outcome("answered_no_fresh")
        title = t(person.language, "followup.fresh_card", name=_name(partner)[0])
        text, keyboard = suggestion_card(
            person.language,
            suggestion_id=row.id,
            view=mm.matching_suggestion(row, followup.participant_id),
            other=partner,
            title=title,
        )
        # A direct consequence of the person's own tap: sent at once, through the outbox like all suggestions.
        enqueue(
            session,
            dedupe_key=f"fresh:{followup.id}:{row.id}",
            chat_id=person.chat_id,
            participant_id=person.id,
            kind="suggestion",
            text=text,
            reply_markup=to_dict(keyboard),
        )
        stored = get_suggestion(session, suggestion_id=row.id)
        if stored is not None:
            mm.mark_shown(session, suggestion=stored, participant_id=followup.participant_id, now=now)
        return outcome("answered_fresh", fresh_suggestion_id=row.id)
    if reason == Answer.REASON_PLANS:
        return outcome(_flag(session, introduction, followup.participant_id, now=now, settings=settings))
    raise StaleFollowUp(f"unknown reason {reason!r}")


def _flag(
    session: Session, introduction: Introduction, participant_id: int, *, now: dt.datetime, settings: Settings
) -> str:
    """Flag the introduction and tell the organisers of the person's region at once, through the outbox.

    The region's own (scoped) organisers hear it first; a region without them goes to the global ones.
    Returns the reply key that says truthfully who was told.
    """
    assert introduction.id is not None
    person = session.get(Participant, participant_id)
    other = session.get(
        Participant,
        introduction.participant_b_id
        if introduction.participant_a_id == participant_id
        else introduction.participant_a_id,
    )
    region = person.region if person is not None else None
    regional = organisers_for_region(session, region=region, configured=[], fallback=False)
    recipients = regional or organisers_for_region(session, region=None, configured=settings.organiser_ids)
    introduction.flagged_for_coordinator_at = introduction.flagged_for_coordinator_at or now
    session.add(introduction)
    languages = participant_languages(session, telegram_ids=recipients)
    for telegram_id in recipients:
        language = languages.get(telegram_id, settings.default_language)
        enqueue(
            session,
            dedupe_key=f"flag:{introduction.id}:{telegram_id}",
            chat_id=telegram_id,
            kind="flag",
            text=flag_notice(
                language,
                introduction_id=introduction.id,
                who=_side(person),
                other=_side(other),
                region=region,
            ),
        )
    if regional:
        return "answered_flagged"
    return "answered_flagged_organisation" if recipients else "answered_flagged_noted"


def _side(person: Participant | None) -> str:
    if person is None or person.status == ParticipantStatus.DELETED:
        return "—"
    parts = [part for part in (person.name, person.organisation) if part]
    return " · ".join(parts) if parts else "—"


def _remind_other(
    session: Session,
    introduction: Introduction,
    other: Participant | None,
    *,
    now: dt.datetime,
    settings: Settings,
    outcome: Any,
) -> Outcome:
    assert introduction.id is not None
    if introduction.contacted_at is not None or introduction.project_started_at is not None:
        # The other side confirmed contact, or the bot passed messages both ways: no "heard nothing" to them.
        return outcome("answered_contact_known")
    if (
        other is not None
        and other.id is not None
        and relayed_messages_of(session, sender_id=other.id, suggestion_ids=[introduction.suggestion_id])
    ):
        # The bot itself passed on a message from them: they did respond, so no report counts against them.
        return outcome("answered_other_wrote")
    if other is not None and other.status == ParticipantStatus.PAUSED:
        return outcome("answered_other_paused")
    if other is not None and other.status == ParticipantStatus.BLOCKED:
        return outcome("answered_other_unreachable")  # still a participant: not "no longer takes part"
    if other is None or other.id is None or other.status != ParticipantStatus.ACTIVE:
        return outcome("answered_other_gone")  # left: no reminder can reach them
    rows = store.create_followups(
        session,
        introduction=introduction,
        schedule=[(FollowUpKind.REMINDER, now)],
        participant_ids=[other.id],
    )
    if not rows:
        return outcome("answered_reminder_before")
    other.unresponsive_reports = (other.unresponsive_reports or 0) + 1
    session.add(other)
    not_before = next_allowed_for(now, settings)
    _send_or_skip(session, rows[0], now=now, not_before=not_before if not_before > now else None)
    return outcome("answered_reminder")


def record_project(
    session: Session, *, introduction_id: int, participant_id: int, description: str, now: dt.datetime
) -> Introduction:
    """Store this side's one line about the project; each side keeps its own (a second answer from the
    other side is added, never written over it). `project_description` holds both, for organisers."""
    introduction = session.get(Introduction, introduction_id)
    if introduction is None or participant_id not in (
        introduction.participant_a_id,
        introduction.participant_b_id,
    ):
        raise NotYours("not a side of this introduction")
    line = " ".join(strip_controls(description).split())[:PROJECT_MAX]
    if introduction.participant_a_id == participant_id:
        introduction.project_line_a = line
    else:
        introduction.project_line_b = line
    lines = [text for text in (introduction.project_line_a, introduction.project_line_b) if text]
    introduction.project_description = " / ".join(dict.fromkeys(lines)) or None
    introduction.project_started_at = introduction.project_started_at or now
    _contacted(introduction, now)
    introduction.status = IntroductionStatus.PROJECT
    session.add(introduction)
    return introduction


def meaningful(line: str) -> bool:
    """True when a typed line says something: at least one letter or digit (not only emoji or punctuation)."""
    return any(character.isalnum() for character in line)


# -- the participant's turns (handlers) -------------------------------------------------------------------
@dataclass(frozen=True)
class Answered:
    """A follow-up button's answer as the handler sends it: a `followup.*` text and maybe the why buttons."""

    language: str
    outcome: Outcome


def respond(
    session: Session,
    *,
    telegram_id: int,
    followup_id: int,
    answer: str,
    reason: str | None,
    now: dt.datetime,
    settings: Settings,
    matcher: mm.MatcherCache,
) -> Answered:
    """A press on a follow-up's button by this Telegram user (raises NotYours / StaleFollowUp).

    "Yes, a project!" leaves the person typing the one line about it (`conversation.awaiting_project`).
    """
    participant = get_by_telegram_id(session, telegram_id=telegram_id)
    if participant is None or participant.id is None:
        raise NotYours("unknown person")
    result = answer_followup(
        session,
        followup_id=followup_id,
        participant_id=participant.id,
        answer=answer,
        reason=reason,
        now=now,
        settings=settings,
        cache=matcher,
    )
    if result.ask_project:
        conversation.enter(participant, conversation.awaiting_project(result.introduction_id), fresh=True)
        session.add(participant)
    return Answered(participant.language, result)


def project_line(session: Session, *, telegram_id: int, text: str, now: dt.datetime) -> str | None:
    """The one line about a started project, when the person is typing it; the reply (None: not ours)."""
    participant = get_by_telegram_id(session, telegram_id=telegram_id)
    state = conversation.state_of(participant) if participant is not None else None
    if (
        participant is None
        or participant.id is None
        or state is None
        or state.mode is not conversation.Mode.PROJECT
    ):
        return None  # not ours: the other text handlers take it
    language = participant.language
    description = " ".join(strip_controls(text).split())
    if not meaningful(description):  # empty or emoji only: still in the state, the next line is the answer
        session.add(participant)
        return t(language, "followup.project_empty")
    try:
        if state.target is None:
            raise ValueError("no introduction in the state")
        introduction = record_project(
            session,
            introduction_id=state.target,
            participant_id=participant.id,
            description=description,
            now=now,
        )
        own = (
            introduction.project_line_a
            if introduction.participant_a_id == participant.id
            else introduction.project_line_b
        )
        reply = t(language, "followup.project_saved", description=own or description)
    except (ValueError, NotYours):
        reply = t(language, "followup.stale")
    conversation.enter(participant, None, fresh=True)
    session.add(participant)
    return reply
