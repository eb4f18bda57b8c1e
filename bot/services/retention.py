"""The retention promise of /privacy: an inactive person's data is erased after RETENTION_MONTHS.

`plan_retention` is the decision, a pure function over `RetentionRow`s: a person whose last activity is
older than RETENTION_MONTHS minus `WARNING_DAYS` gets one warning (through the outbox, after quiet hours,
with a one-tap "Ik doe nog mee"); a person warned at least `WARNING_DAYS` ago who is still inactive after
RETENTION_MONTHS is erased exactly as /delete erases (`storage.privacy.erase_participants`). Any activity
after the warning (a message, a button, "Ik doe nog mee") makes the warning void, and the clock starts again.
Nobody is erased without having been warned a month before: someone found long inactive is warned first.

`run_retention(engine, settings=..., now=...)` is the whole pass; the running bot runs it once a day
(`run_retention_if_due`, claimed as JobRun `retention:<local date>` so it runs once across workers) and
`koppelbot retention [--dry-run]` runs it now. Besides people, the pass clears the personal fields of
personal invitations that expired unused, and gives up messages that could not be delivered within
`UNDELIVERED_KEEP` (their text is emptied), deletes the notices of organisers' erasures that are done (their
chat id is the erased person's last trace), and makes the database files forget: the SQLite WAL is
checkpointed; on PostgreSQL the tables an erasure touched are rewritten when anyone was erased since the
previous pass (`storage.privacy.scrub_files`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.callbacks import pack
from bot.keyboards import Button, to_dict
from bot.services import introductions, participants
from bot.services.participants import Person
from bot.services.quiet import next_allowed_for
from bot.settings import Settings
from bot.texts import t
from storage import engagement, session_scope
from storage.models import Participant, ParticipantStatus
from storage.outbox import enqueue, give_up_undelivered
from storage.privacy import erase_participants, forget_erasure_notices, scrub_files
from storage.retention import (
    RetentionRow,
    erased_since,
    mark_warned,
    retention_rows,
    scrub_expired_invitations,
)
from storage.retention import record_activity as _record_activity

__all__ = [
    "UNDELIVERED_KEEP",
    "WARNING_DAYS",
    "RetentionPlan",
    "RetentionReport",
    "keep",
    "months_before",
    "plan_retention",
    "record_activity",
    "run_retention",
    "run_retention_if_due",
]

logger = logging.getLogger(__name__)

WARNING_DAYS = 30  # the warning comes this many days before the erasure
UNDELIVERED_KEEP = dt.timedelta(days=30)  # a message not delivered within this is given up
STALE_RUN = dt.timedelta(minutes=30)  # a daily run that never finished (crash) is taken over after this
REWRITE_WINDOW = dt.timedelta(hours=25)  # erasures this recent make the daily pass rewrite the tables


def record_activity(
    session: Session, *, telegram_id: int, now: dt.datetime, resolution: dt.timedelta = dt.timedelta(0)
) -> bool:
    """The person behind `telegram_id` did something now (no write when recorded within `resolution`).

    Someone marked blocked who does anything has unblocked the bot: active again, and the introductions
    they missed are queued."""
    blocked = session.exec(
        select(Participant)
        .where(Participant.telegram_id == telegram_id)
        .where(Participant.status == ParticipantStatus.BLOCKED)
    ).first()
    written = _record_activity(session, telegram_id=telegram_id, now=now, resolution=resolution)
    if blocked is not None:
        session.refresh(blocked)
        introductions.deliver_missed(session, participant=blocked, now=now)
    return written


def keep(session: Session, *, person: Person, now: dt.datetime, really: bool = True) -> tuple[str, bool]:
    """ "Ik doe nog mee": (language, whether there was a participant to keep); `really` False only asks."""
    participant = participants.find(session, person)
    if participant is not None and participant.telegram_id is not None and really:
        _record_activity(session, telegram_id=participant.telegram_id, now=now)
    return participants.language_of(person, participant), participant is not None


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same moment `months` calendar months earlier (later when negative; the 31st becomes the month's
    last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class RetentionPlan:
    """Who is warned now and who is erased now."""

    warn: tuple[RetentionRow, ...]
    erase: tuple[int, ...]


def plan_retention(rows: list[RetentionRow], *, now: dt.datetime, months: int) -> RetentionPlan:
    """The decision: warn those inactive for `months` minus WARNING_DAYS, erase those warned long enough."""
    notice = dt.timedelta(days=WARNING_DAYS)
    erase_before = months_before(now, months)
    warn_before = erase_before + notice
    warn: list[RetentionRow] = []
    erase: list[int] = []
    for row in rows:
        warned = row.warned_at is not None and row.warned_at >= row.last_activity
        if warned and row.last_activity <= erase_before and row.warned_at is not None:
            if row.warned_at <= now - notice:
                erase.append(row.participant_id)
        elif not warned and row.last_activity <= warn_before:
            warn.append(row)
    return RetentionPlan(warn=tuple(warn), erase=tuple(erase))


@dataclass(frozen=True)
class RetentionReport:
    """What a retention pass did (or, with `dry_run`, would do: people only)."""

    months: int
    dry_run: bool
    warned: list[int] = field(default_factory=list)  # participant ids
    erased: list[int] = field(default_factory=list)
    warnings_queued: int = 0  # warned people who can be reached (the others blocked the bot)
    invitations_cleared: int = 0
    messages_given_up: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _warning(row: RetentionRow, *, now: dt.datetime, settings: Settings) -> dict[str, Any] | None:
    if row.chat_id is None or row.status not in (ParticipantStatus.ACTIVE, ParticipantStatus.PAUSED):
        return None
    # The first daily pass after this moment erases them: the warning says "after <that day>".
    due = max(
        now + dt.timedelta(days=WARNING_DAYS), months_before(row.last_activity, -settings.retention_months)
    )
    day = due.astimezone(settings.tz).date()
    not_before = next_allowed_for(now, settings)
    keep = [[Button(t(row.language, "retention.button"), pack("ret", "keep"))]]
    return {
        "dedupe_key": f"retention:{row.participant_id}:{now.date().isoformat()}",
        "chat_id": row.chat_id,
        "participant_id": row.participant_id,
        "kind": "retention",
        "text": t(row.language, "retention.warning", date=f"{day.day}-{day.month}-{day.year}"),
        "reply_markup": to_dict(keep),
        "not_before": not_before if not_before > now else None,
    }


def run_retention(
    engine: Engine, *, settings: Settings, now: dt.datetime, dry_run: bool = False
) -> RetentionReport:
    """One retention pass: queue the warnings, erase who is due, clear stale invitations and messages."""
    months = settings.retention_months
    with Session(engine) as session:
        plan = plan_retention(retention_rows(session), now=now, months=months)
    warned = [row.participant_id for row in plan.warn]
    if dry_run:
        return RetentionReport(months=months, dry_run=True, warned=warned, erased=list(plan.erase))
    with session_scope(engine) as session:
        queued = 0
        for row in plan.warn:
            message = _warning(row, now=now, settings=settings)
            if message is not None:
                queued += enqueue(session, **message) is not None
        mark_warned(session, participant_ids=warned, now=now)
        invitations = scrub_expired_invitations(session, now=now)
        given_up = give_up_undelivered(session, created_before=now - UNDELIVERED_KEEP)
        forget_erasure_notices(session)  # an erased person's last trace: the chat id of their notice
        # PostgreSQL: rewrite the tables when anyone was erased since the last pass (see scrub_files).
        rewrite = bool(plan.erase) or erased_since(session, since=now - REWRITE_WINDOW) > 0
    erased = erase_participants(engine, participant_ids=plan.erase, now=now, rewrite=rewrite)
    if not plan.erase:
        scrub_files(engine, rewrite=rewrite)
    report = RetentionReport(
        months=months,
        dry_run=False,
        warned=warned,
        erased=[report.participant_id for report in erased],
        warnings_queued=queued,
        invitations_cleared=invitations,
        messages_given_up=given_up,
    )
    logger.info(
        "retention: %d warned, %d erased, %d expired invitations cleared, %d undelivered messages given up",
        len(report.warned),
        len(report.erased),
        report.invitations_cleared,
        report.messages_given_up,
    )
    return report


def run_retention_if_due(
    engine: Engine, *, settings: Settings, now: dt.datetime, owner: str = "retention"
) -> RetentionReport | None:
    """Today's pass (in TIMEZONE), once across processes; None when today's ran or runs elsewhere."""
    key = f"retention:{now.astimezone(settings.tz).date().isoformat()}"
    with session_scope(engine) as session:
        if not engagement.claim_job_run(session, key=key, owner=owner, now=now, stale_after=STALE_RUN):
            return None
    report = run_retention(engine, settings=settings, now=now)
    details = {k: v for k, v in report.as_dict().items() if k not in ("warned", "erased")}
    details |= {"warned": len(report.warned), "erased": len(report.erased)}
    with session_scope(engine) as session:
        engagement.finish_job_run(session, key=key, now=now, details=details)
    return report
