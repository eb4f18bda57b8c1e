"""The organisers' door to storage: who organises, the numbers behind /stats, invitations, the outbox.

Plain functions over a session (run them with `bot.services.db.run`); each returns resolved data that the
organiser handlers render with `bot.organiser_views`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

import matching
from bot.services.matchmaking import MatcherCache
from bot.services.stats import UnmetNeed, matched_people, needs_with_partner, unmet_demand
from storage import organisers as store
from storage.events import event_invitation
from storage.exports import ExportData, export_data
from storage.invitations import deep_link
from storage.scope import Scope
from storage.stats import (
    FunnelReport,
    ParkedMessage,
    ProjectLine,
    demand_items,
    funnel_report,
    parked_messages,
    started_projects,
)
from storage.stats import retry_parked as store_retry_parked

__all__ = [
    "EventLink",
    "Scope",
    "StatsSnapshot",
    "add",
    "event_link",
    "everything",
    "ids",
    "is_organiser",
    "parked",
    "remove",
    "retry_parked",
    "stats_snapshot",
    "unmet_needs",
]


def is_organiser(session: Session, *, telegram_id: int, configured: Iterable[int]) -> bool:
    """True for a configured organiser (ORGANISER_IDS) or one added in the bot."""
    return store.is_organiser(session, telegram_id=telegram_id, configured=configured)


def ids(session: Session, *, configured: Iterable[int]) -> list[int]:
    """Every organiser's Telegram id, configured first."""
    return store.organiser_ids(session, configured=configured)


def add(session: Session, *, telegram_id: int, added_by: int | None) -> bool:
    """Add an organiser; False when they were one already."""
    return store.add_organiser(session, telegram_id=telegram_id, added_by=added_by)


def remove(session: Session, *, telegram_id: int) -> bool:
    """Remove an organiser added in the bot; False when there was none."""
    return store.remove_organiser(session, telegram_id=telegram_id)


@dataclass(frozen=True)
class StatsSnapshot:
    """What /stats shows: the funnel, the started projects and how many messages are parked."""

    report: FunnelReport
    projects: list[ProjectLine]
    parked: int


def stats_snapshot(session: Session, *, scope: Scope) -> StatsSnapshot:
    """The numbers for /stats, within the organiser's scope."""
    parked_count, _ = parked_messages(session, limit=0)
    return StatsSnapshot(
        funnel_report(session, scope=scope), started_projects(session, scope=scope), parked_count
    )


def unmet_needs(session: Session, *, matcher: MatcherCache, scope: Scope) -> list[UnmetNeed]:
    """Needs in the scope for which the process's matcher finds no partner, biggest first.

    Run it on the matcher's executor (`BotData.match_executor`): the matcher may need a rebuild.
    """
    current: matching.Matcher = matcher.get(session)
    items = demand_items(session, scope=scope)
    return unmet_demand(items, answered=needs_with_partner(current, items), matched=matched_people(current))


def parked(session: Session, *, limit: int) -> tuple[int, list[ParkedMessage]]:
    """(how many messages are parked, the first `limit` of them)."""
    return parked_messages(session, limit=limit)


def retry_parked(session: Session) -> int:
    """Put every parked message back in the queue; returns how many."""
    return store_retry_parked(session)


def everything(session: Session, *, scope: Scope) -> ExportData:
    """Participants (with consent), suggestions, introductions and projects in the scope, for /export."""
    return export_data(session, scope=scope)


@dataclass(frozen=True)
class EventLink:
    """An event-wide invitation link."""

    link: str
    expires_at: dt.datetime | None
    event_name: str | None


def event_link(session: Session, *, bot_username: str, code: str | None, ttl: dt.timedelta) -> EventLink:
    """The event-wide invitation for an event code (or none), reused until most of its life is gone."""
    invitation, event = event_invitation(session, code=code, ttl=ttl)
    return EventLink(
        deep_link(bot_username, invitation.token),
        invitation.expires_at,
        event.name if event is not None else None,
    )
