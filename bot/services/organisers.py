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
from bot.organiser_views import scope_label
from bot.services.matchmaking import MatcherCache
from bot.services.stats import UnmetNeed, matched_people, needs_with_partner, unmet_demand
from bot.texts import default_language, t
from matching import REGIONS
from storage import organisers as store
from storage.events import event_by_code, event_invitation
from storage.exports import ExportData, export_data
from storage.invitations import deep_link
from storage.models import Event
from storage.organisers import OrganiserLine
from storage.outbox import enqueue
from storage.participants import get_by_telegram_id
from storage.scope import Scope
from storage.stats import (
    FunnelReport,
    ParkedMessage,
    ProjectLine,
    demand_items,
    flagged_introductions,
    funnel_report,
    parked_messages,
    started_projects,
)
from storage.stats import retry_parked as store_retry_parked

__all__ = [
    "EventLink",
    "OrganiserLine",
    "Scope",
    "StatsSnapshot",
    "Target",
    "add",
    "event_link",
    "event_scope",
    "everything",
    "find_by_username",
    "ids",
    "is_organiser",
    "listing",
    "may_remove",
    "parse_scope",
    "parked",
    "picker_request_id",
    "picker_scope",
    "record_chat",
    "remove",
    "retry_parked",
    "scope_of",
    "stats_snapshot",
    "unmet_needs",
    "within",
]


def is_organiser(session: Session, *, telegram_id: int, configured: Iterable[int]) -> bool:
    """True for a configured organiser (ORGANISER_IDS) or one added in the bot."""
    return store.is_organiser(session, telegram_id=telegram_id, configured=configured)


def scope_of(session: Session, *, telegram_id: int, configured: Iterable[int]) -> Scope | None:
    """The organiser's scope (ORGANISER_IDS: everything), or None for somebody who is no organiser."""
    return store.organiser_scope(session, telegram_id=telegram_id, configured=configured)


def record_chat(session: Session, *, telegram_id: int, configured: Iterable[int], now: dt.datetime) -> bool:
    """An organiser wrote to the bot in their own chat: their chat exists (for the weekly summary)."""
    return store.record_organiser_chat(session, telegram_id=telegram_id, configured=configured, now=now)


def ids(session: Session, *, configured: Iterable[int]) -> list[int]:
    """Every organiser's Telegram id, configured first."""
    return store.organiser_ids(session, configured=configured)


def listing(session: Session, *, configured: Iterable[int]) -> list[OrganiserLine]:
    """Every organiser with their name and scope, configured first."""
    return store.list_organisers(session, configured=configured)


def add(
    session: Session,
    *,
    telegram_id: int,
    added_by: int | None,
    scope: Scope | None = None,
    name: str | None = None,
    username: str | None = None,
) -> bool:
    """Add an organiser (with a scope); False when they were one already (their scope is updated).

    The new organiser is told, in their own chat (through the outbox): who may see personal data should know.
    """
    added = store.add_organiser(
        session, telegram_id=telegram_id, added_by=added_by, scope=scope, name=name, username=username
    )
    scope = scope or Scope.everything()
    known = get_by_telegram_id(session, telegram_id=telegram_id)
    language = known.language if known is not None else default_language()
    enqueue(
        session,
        dedupe_key=f"organiser-added:{telegram_id}:{scope.region}:{scope.event_code}:{int(added)}",
        chat_id=telegram_id,
        kind="organiser",
        text=t(
            language, "organiser.you_were_added", scope=scope_label(language, scope.region, scope.event_code)
        ),
    )
    return added


def remove(session: Session, *, telegram_id: int) -> bool:
    """Remove an organiser added in the bot; False when there was none."""
    return store.remove_organiser(session, telegram_id=telegram_id)


@dataclass(frozen=True)
class StatsSnapshot:
    """What /stats shows: the funnel, the started projects and how many messages are parked."""

    report: FunnelReport
    projects: list[ProjectLine]
    parked: int
    flagged: int = 0  # introductions flagged for the coordinator with no contact since
    flagged_lines: tuple[tuple[int, str, str], ...] = ()  # (id, side a, side b), newest first


def _side(name: str, organisation: str) -> str:
    return " · ".join(part for part in (name, organisation) if part)


def stats_snapshot(session: Session, *, scope: Scope) -> StatsSnapshot:
    """The numbers for /stats, within the organiser's scope."""
    parked_count, _ = parked_messages(session, limit=0, scope=scope)
    flagged, lines = flagged_introductions(session, scope=scope)
    return StatsSnapshot(
        funnel_report(session, scope=scope),
        started_projects(session, scope=scope),
        parked_count,
        flagged,
        tuple(
            (
                line.introduction_id,
                _side(line.name_a, line.organisation_a),
                _side(line.name_b, line.organisation_b),
            )
            for line in lines
        ),
    )


def unmet_needs(session: Session, *, matcher: MatcherCache, scope: Scope) -> list[UnmetNeed]:
    """Needs in the scope for which the process's matcher finds no partner, biggest first.

    Run it on the matcher's executor (`BotData.match_executor`): the matcher may need a rebuild.
    """
    current: matching.Matcher = matcher.get(session)
    items = demand_items(session, scope=scope)
    return unmet_demand(items, answered=needs_with_partner(current, items), matched=matched_people(current))


def parked(session: Session, *, limit: int, scope: Scope) -> tuple[int, list[ParkedMessage]]:
    """(how many messages are parked, the first `limit` of them), to people in the scope."""
    return parked_messages(session, limit=limit, scope=scope)


def retry_parked(session: Session, *, scope: Scope) -> int:
    """Put every parked message (to people in the scope) back in the queue; returns how many."""
    return store_retry_parked(session, scope=scope)


def everything(session: Session, *, scope: Scope) -> ExportData:
    """Participants (with consent), suggestions, introductions and projects in the scope, for /export."""
    return export_data(session, scope=scope)


def event_scope(session: Session, *, scope: Scope, code: str) -> tuple[Scope, str] | None:
    """The organiser's scope narrowed to one event (for `/stats CODE`, `/export CODE`) and its name.

    None for a code that is no event, or an event outside an event-scoped organiser's own.
    """
    event = event_by_code(session, code=code)
    if event is None or scope.event_code not in (None, event.code):
        return None
    return Scope(region=scope.region, event_code=event.code), event.name


@dataclass(frozen=True)
class EventLink:
    """An event-wide invitation link."""

    link: str
    expires_at: dt.datetime | None
    event_name: str | None


def event_link(
    session: Session, *, bot_username: str, code: str | None, ttl: dt.timedelta
) -> EventLink | None:
    """The event-wide invitation for an event code (or none), reused until most of its life is gone.

    None for a code that is no event: /invite never makes a stray event (`/event new` does).
    """
    found = event_invitation(session, code=code, ttl=ttl)
    if found is None:
        return None
    invitation, event = found
    return EventLink(
        deep_link(bot_username, invitation.token),
        invitation.expires_at,
        event.name if event is not None else None,
    )


# -- adding organisers: by @username, by id, or with Telegram's user picker --------------------------------
@dataclass(frozen=True)
class Target:
    """Who is being made an organiser: their Telegram id and how they are called (when known)."""

    telegram_id: int
    name: str | None = None
    username: str | None = None


def find_by_username(session: Session, *, username: str) -> Target | None:
    """The person with this @username who has talked to the bot (is a participant), or None."""
    found = store.find_person_by_username(session, username=username)
    if found is None:
        return None
    return Target(found[0], found[1], found[2])


def parse_scope(session: Session, *, words: list[str]) -> Scope | None:
    """`[regio] [event]` words as a scope: a region code and/or an existing event code; None: not valid."""
    region: str | None = None
    event_code: str | None = None
    for word in words:
        if word.lower() in REGIONS and region is None:
            region = word.lower()
        elif event_code is None and event_by_code(session, code=word) is not None:
            event_code = word
        else:
            return None
    return Scope(region=region, event_code=event_code)


def within(mine: Scope, wanted: Scope) -> Scope | None:
    """The scope an organiser with scope `mine` may give someone: `wanted` narrowed to `mine`, or None.

    A global organiser gives any scope; a scoped one only their own (or narrower): a regional coordinator
    can add a colleague for their region, never a global organiser or one for another region.
    """
    if mine.is_global:
        return wanted
    if mine.region is not None and wanted.region not in (None, mine.region):
        return None
    if mine.event_code is not None and wanted.event_code not in (None, mine.event_code):
        return None
    return Scope(region=wanted.region or mine.region, event_code=wanted.event_code or mine.event_code)


def may_remove(session: Session, *, mine: Scope, telegram_id: int, configured: Iterable[int]) -> bool:
    """A global organiser may remove anyone added in the bot; a scoped one only those within their scope."""
    theirs = store.organiser_scope(session, telegram_id=telegram_id, configured=configured)
    if mine.is_global or theirs is None:
        return True
    return within(mine, theirs) == theirs


# The user picker's request_id (a signed 32-bit number) carries the scope, so no state waits for the share:
# region index + 1 in the low 4 bits (0: none), the event's id above them (0: none).
_REGION_BITS = 4


def picker_request_id(session: Session, *, scope: Scope) -> int:
    """The request_id for a user-picker button that adds an organiser with `scope`."""
    region = REGIONS.index(scope.region) + 1 if scope.region is not None else 0
    event = event_by_code(session, code=scope.event_code) if scope.event_code is not None else None
    return ((event.id or 0) if event is not None else 0) << _REGION_BITS | region


def picker_scope(session: Session, *, request_id: int) -> Scope | None:
    """The scope a user-picker's request_id stands for; None for a request_id the bot never made."""
    if request_id < 0:
        return None
    region_index, event_id = request_id & (2**_REGION_BITS - 1), request_id >> _REGION_BITS
    if region_index > len(REGIONS):
        return None
    event = session.get(Event, event_id) if event_id else None
    if event_id and event is None:
        return None
    return Scope(
        region=REGIONS[region_index - 1] if region_index else None,
        event_code=event.code if event is not None else None,
    )
