"""The weekly digest: new suggestions for everyone, reminders of waiting answers, and no silence.

`run_digest(engine, settings=..., now=...)` is the whole job as a plain function: the scheduler, the
catch-up at start-up, `koppelbot digest --now`, the organisers' `/digest_now` and the demo all call it.

Once per ISO week: the run claims the JobRun `digest:<week>` (a second run in the same week finds it taken
and sends nothing), and every message has a dedupe key `digest:<participant>:<week>[:<suggestion>]`, so even
a forced run never sends anyone a second digest. Everything a run produces (suggestion rows, outbox rows,
the finished claim) is committed in one transaction: a crash leaves nothing half done, and the stale claim
is taken over by the next run.

Who gets what: active participants with a completed profile and a chat get up to SUGGESTIONS_PER_WEEK new
pairs from `Matcher.weekly` (shown to both sides) and reminders of suggestions they saw but did not answer.
Nobody with nothing new gets an empty digest; paused, blocked and deleted people get nothing. Someone who got
no suggestion for `SILENCE_AFTER` hears why and what would help, at most once per `SILENCE_EVERY`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.keyboards import to_dict
from bot.services import matchmaking as mm
from bot.services.quiet import next_allowed_for
from bot.settings import WEEKDAYS, Settings
from bot.texts import t
from bot.views import DigestEntry, digest_view
from storage import engagement as store
from storage import participants as participants_store
from storage import session_scope
from storage import suggestions as suggestions_store
from storage.models import AnswerValue, Participant, ParticipantStatus, Suggestion
from storage.outbox import enqueue_many

__all__ = [
    "DigestReport",
    "digest_due",
    "digest_entries",
    "digests_entries",
    "iso_week",
    "run_digest",
    "run_digest_if_due",
    "scheduled_moment",
]

logger = logging.getLogger(__name__)

WAITING_LISTED = 5  # waiting suggestions listed (each with a button that opens its card)
SILENCE_AFTER = dt.timedelta(days=21)  # no suggestion for this long → a "why, and what helps" note
SILENCE_EVERY = dt.timedelta(days=30)  # at most once a month
SILENCE_GRACE = dt.timedelta(days=14)  # not for people who only just finished their profile
STALE_RUN = dt.timedelta(minutes=30)  # a run that never finished (crash) is taken over after this


@dataclass(frozen=True)
class DigestReport:
    """What one digest run did."""

    week: str
    ran: bool  # False: this week's digest had been claimed already (nothing was sent)
    recipients: int = 0  # people who get a digest
    new_suggestions: int = 0  # new suggestion rows (pairs)
    reminders: int = 0  # waiting suggestions mentioned
    silence_notices: int = 0
    messages: int = 0  # outbox rows queued
    already_had_digest: int = 0  # people skipped because their digest for this week exists
    match_seconds: float = 0.0  # building the matcher and pairing everyone
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def iso_week(moment: dt.datetime, tz: ZoneInfo) -> str:
    """The ISO week of `moment` in `tz`, e.g. `2026-W48`."""
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def scheduled_moment(now: dt.datetime, settings: Settings) -> dt.datetime:
    """The latest planned digest moment (DIGEST_DAY at DIGEST_TIME in TIMEZONE) at or before `now` (UTC)."""
    tz = settings.tz
    local = now.astimezone(tz)
    days_back = (local.weekday() - WEEKDAYS.index(settings.digest_day)) % 7
    day = local.date() - dt.timedelta(days=days_back)
    moment = dt.datetime.combine(day, settings.digest_time, tzinfo=tz)
    if moment > local:
        moment -= dt.timedelta(days=7)
        moment = dt.datetime.combine(moment.date(), settings.digest_time, tzinfo=tz)
    return moment.astimezone(dt.UTC)


def digest_due(engine: Engine, *, settings: Settings, now: dt.datetime) -> str | None:
    """The week whose digest is due and not yet done (within DIGEST_GRACE_HOURS of its moment), or None."""
    moment = scheduled_moment(now, settings)
    if now - moment > dt.timedelta(hours=settings.digest_grace_hours):
        return None
    week = iso_week(moment, settings.tz)
    with Session(engine) as session:
        run = store.get_job_run(session, key=f"digest:{week}")
    if run is None or (run.finished_at is None and run.started_at <= now - STALE_RUN):
        return week
    return None


def run_digest_if_due(
    engine: Engine, *, settings: Settings, now: dt.datetime, matcher: mm.MatcherCache | None = None
) -> DigestReport | None:
    """Run the digest when one is due (the start-up catch-up and the scheduled trigger use this)."""
    week = digest_due(engine, settings=settings, now=now)
    if week is None:
        return None
    return run_digest(engine, settings=settings, now=now, week=week, matcher=matcher)


def run_digest(
    engine: Engine,
    *,
    settings: Settings,
    now: dt.datetime,
    force: bool = False,
    week: str | None = None,
    owner: str = "digest",
    matcher: mm.MatcherCache | None = None,
) -> DigestReport:
    """Run the weekly digest for `week` (default: the ISO week of `now`) and queue its messages.

    Without `force` it runs once per week (JobRun claim) and respects quiet hours (messages wait until
    morning); with `force` (`koppelbot digest --now`, `/digest_now`) it runs even if this week's run
    happened, sends at once, and still never gives anyone a second digest in the same week. `matcher` is
    the process's one matcher (the bot passes its own; a command-line run makes one from the settings).
    """
    matcher = matcher or mm.MatcherCache(mm.match_config(settings))
    started = time.perf_counter()
    week = week or iso_week(now, settings.tz)
    key = f"digest:{week}"
    with session_scope(engine) as session:
        claimed = store.claim_job_run(session, key=key, owner=owner, now=now, stale_after=STALE_RUN)
    if not claimed and not force:
        logger.info("digest %s was already claimed; nothing to do", week)
        return DigestReport(week=week, ran=False)
    not_before = None if force else next_allowed_for(now, settings)
    if not_before is not None and not_before <= now:
        not_before = None
    with session_scope(engine) as session:
        report = _digest(
            session, settings=settings, now=now, week=week, not_before=not_before, matcher=matcher
        )
        report = DigestReport(**{**report.as_dict(), "seconds": round(time.perf_counter() - started, 3)})
        store.finish_job_run(session, key=key, now=now, details=report.as_dict())
    logger.info(
        "digest %s: %d recipients, %d new pairs, %d reminders, %d silence notes, %d messages in %.1fs",
        week,
        report.recipients,
        report.new_suggestions,
        report.reminders,
        report.silence_notices,
        report.messages,
        report.seconds,
    )
    return report


def _digest(
    session: Session,
    *,
    settings: Settings,
    now: dt.datetime,
    week: str,
    not_before: dt.datetime | None,
    matcher: mm.MatcherCache,
) -> DigestReport:
    recipients = {pid: (chat, language) for pid, chat, language in store.digest_recipients(session)}
    done = store.digest_sent_to(session, week=week)
    # This week's pairs: only among people who can be told (a chat) and who had no digest this week.
    eligible = {pid for pid in recipients if pid not in done}
    new_rows: list[mm.Recorded] = []
    match_started = time.perf_counter()
    match_seconds = 0.0
    # Lapsed suggestions first: the matcher must see them as expired pairs (cooldown), not as open ones.
    suggestions_store.expire_due(session, now=now)
    if len(eligible) >= 2:
        index = matcher.get(session, current=True)
        history = mm.build_history(session, now=now)
        # The one matcher knows every active profile; the others sit this week's pairing out.
        left_out = {p.id for p in index.profiles if int(p.id) not in eligible}
        history = dataclasses.replace(history, inactive=history.inactive | left_out)
        weekly = index.weekly(history, now)
        match_seconds = time.perf_counter() - match_started
        expires_at = now + dt.timedelta(days=settings.suggestion_expiry_days)
        # Both sides see a pair in this very digest: recorded as shown to both.
        recorded = mm.record_suggestions(
            session,
            (item for items in weekly.values() for item in items),
            source="digest",
            week=week,
            now=now,
            expires_at=expires_at,
            shown=True,
        )
        new_rows = [row for row in recorded if row.new]
    new_for: dict[int, list[mm.Pair]] = {}
    for row in new_rows:
        for pid in (row.participant_a_id, row.participant_b_id):
            new_for.setdefault(pid, []).append(row)
    waiting = store.waiting_for_answer(session, now=now, exclude_ids=[row.id for row in new_rows])

    # Everybody named: the recipients, and the other sides of their new and waiting suggestions.
    named = {_other(row, pid) for pid, rows in waiting.items() for row in rows[:WAITING_LISTED]}
    people = participants_store.by_ids(session, ids=set(new_for) | set(waiting) | named | set(recipients))
    messages: list[dict[str, Any]] = []
    counts = {"recipients": 0, "reminders": 0}
    for pid, (chat_id, language) in recipients.items():
        if pid in done:
            continue
        fresh = new_for.get(pid, [])
        old = waiting.get(pid, [])
        if not fresh and not old:
            continue
        counts["recipients"] += 1
        counts["reminders"] += len(old)
        messages += _messages_for(
            pid, chat_id, language, fresh=fresh, waiting=old, people=people, week=week, not_before=not_before
        )
    silence = _silence_notices(
        session,
        recipients=recipients,
        skip=set(new_for) | set(waiting) | done,
        people=people,
        now=now,
        not_before=not_before,
    )
    messages += silence
    queued = enqueue_many(session, messages)
    return DigestReport(
        week=week,
        ran=True,
        recipients=counts["recipients"],
        new_suggestions=len(new_rows),
        reminders=counts["reminders"],
        silence_notices=len(silence),
        messages=queued,
        already_had_digest=len(done),
        match_seconds=round(match_seconds, 3),
    )


def _other(row: mm.Pair, pid: int) -> int:
    return row.participant_b_id if row.participant_a_id == pid else row.participant_a_id


def _display(person: Participant | None) -> tuple[str, str]:
    if person is None or person.status == ParticipantStatus.DELETED:
        return "?", ""
    return person.name or "?", person.organisation or ""


def _entries(
    pid: int,
    *,
    fresh: Sequence[mm.Pair],
    waiting: Sequence[mm.Pair],
    people: dict[int, Participant],
    answered: frozenset[int] = frozenset(),
) -> list[DigestEntry]:
    entries: list[DigestEntry] = []
    for rows, new in ((fresh, True), (waiting[:WAITING_LISTED], False)):
        for row in rows:
            assert row.id is not None
            name, organisation = _display(people.get(_other(row, pid)))
            # Only a "yes" from the other side means they wait for this person (a new pair has no answers).
            theirs = getattr(row, "answer_b" if row.participant_a_id == pid else "answer_a", None)
            entries.append(
                DigestEntry(
                    row.id,
                    name,
                    organisation,
                    new=new,
                    waits_for_you=theirs == AnswerValue.YES,
                    answered=row.id in answered,
                )
            )
    return entries


def _messages_for(
    pid: int,
    chat_id: int,
    language: str,
    *,
    fresh: Sequence[mm.Pair],
    waiting: Sequence[mm.Pair],
    people: dict[int, Participant],
    week: str,
    not_before: dt.datetime | None,
) -> list[dict[str, Any]]:
    """One message: the week's suggestions listed, a button each that opens its card in that message."""
    entries = _entries(pid, fresh=fresh, waiting=waiting, people=people)
    text, keyboard = digest_view(language, week=week, entries=entries)
    return [
        {
            "chat_id": chat_id,
            "participant_id": pid,
            "kind": "digest",
            "not_before": not_before,
            "dedupe_key": f"digest:{pid}:{week}",
            "text": text,
            "reply_markup": to_dict(keyboard),
        }
    ]


def digest_entries(
    session: Session, *, participant_id: int, week: str, now: dt.datetime
) -> list[DigestEntry]:
    """One person's digest of `week` as it stands now (the list a digest message goes back to)."""
    return digests_entries(session, participant_id=participant_id, weeks=[week], now=now)[week]


def digests_entries(
    session: Session, *, participant_id: int, weeks: Sequence[str], now: dt.datetime
) -> dict[str, list[DigestEntry]]:
    """`digest_entries` of several weeks at once (their waiting suggestions are read once)."""
    waiting_now = store.waiting_for_answer(session, now=now, participant_id=participant_id).get(
        participant_id, []
    )
    listed: dict[str, tuple[list[Suggestion], list[Suggestion]]] = {}
    for week in weeks:
        fresh = suggestions_store.week_suggestions(session, participant_id=participant_id, week=week)
        fresh_ids = {row.id for row in fresh}
        listed[week] = (fresh, [row for row in waiting_now if row.id not in fresh_ids])
    others = {
        _other(row, participant_id)
        for fresh, waiting in listed.values()
        for row in [*fresh, *waiting[:WAITING_LISTED]]
    }
    people = participants_store.by_ids(session, ids=others)
    entries: dict[str, list[DigestEntry]] = {}
    for week, (fresh, waiting) in listed.items():
        answered = frozenset(
            row.id
            for row in fresh
            if row.id is not None
            and (row.answer_a if row.participant_a_id == participant_id else row.answer_b)
            not in (None, "later")
        )
        entries[week] = _entries(
            participant_id, fresh=fresh, waiting=waiting, people=people, answered=answered
        )
    return entries


def _silence_notices(
    session: Session,
    *,
    recipients: dict[int, tuple[int, str]],
    skip: set[int],
    people: dict[int, Participant],
    now: dt.datetime,
    not_before: dt.datetime | None,
) -> list[dict[str, Any]]:
    """A note for people who got no suggestion for weeks (at most once a month): why, and what helps."""
    last = store.last_suggested_at(session)
    counts: dict[int, dict[str, int]] | None = None
    notes: list[dict[str, Any]] = []
    for pid, (chat_id, language) in recipients.items():
        person = people.get(pid)
        if pid in skip or person is None or person.profile_completed_at is None:
            continue
        if person.profile_completed_at > now - SILENCE_GRACE:
            continue
        if pid in last and last[pid] > now - SILENCE_AFTER:
            continue
        if person.last_silence_notice_at is not None and person.last_silence_notice_at > now - SILENCE_EVERY:
            continue
        if counts is None:
            counts = store.item_counts(session)
        mine = counts.get(pid, {})
        lines = [
            t(language, "silence.title"),
            "",
            t(language, "silence.why"),
            "",
            t(language, "silence.help"),
        ]
        if mine.get("offer", 0) < 2:
            lines.append(t(language, "silence.tip_offers"))
        if mine.get("need", 0) < 2:
            lines.append(t(language, "silence.tip_needs"))
        if mine.get("theme", 0) == 0:
            lines.append(t(language, "silence.tip_themes"))
        if (person.reach or "anywhere") != "anywhere":
            lines.append(t(language, "silence.tip_reach"))
        if len(lines) == 5:
            lines.append(t(language, "silence.tip_general"))
        lines += ["", t(language, "silence.closing")]
        notes.append(
            {
                "dedupe_key": f"silence:{pid}:{now.strftime('%Y-%m-%d')}",
                "chat_id": chat_id,
                "participant_id": pid,
                "kind": "silence",
                "text": "\n".join(lines),
                "not_before": not_before,
            }
        )
        person.last_silence_notice_at = now
        session.add(person)
    return notes
