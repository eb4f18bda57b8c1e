"""Invitations: personal (single use, expiring) and event-wide deep links `t.me/<bot>?start=<token>`.

A personal invitation is its owner's only: the first person to register with it (or, when the organiser knew
their Telegram id, only that person) uses it up; nobody else can use it afterwards, and someone already
registered cannot use it at all (they gain nothing from it, and it must stay usable for its owner). An
event-wide link works for anyone until it expires.

Tokens are unguessable (`secrets.token_urlsafe`, 32 random bytes → 43 characters of A–Z a–z 0–9 _ -), within
Telegram's 64-character `/start` payload limit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from storage.models import Event, Invitation
from storage.types import utcnow

__all__ = [
    "InvitationKind",
    "Redemption",
    "RedemptionProblem",
    "create_invitation",
    "deep_link",
    "get_or_create_event",
    "new_token",
    "redeem_invitation",
]


class InvitationKind(StrEnum):
    PERSONAL = "personal"
    EVENT = "event"


class RedemptionProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"  # a personal invitation someone else used
    NOT_YOURS = "not_yours"  # a personal invitation made for another Telegram user
    PERSONAL = "personal"  # a personal invitation followed by someone who is registered already


@dataclass(frozen=True)
class Redemption:
    """The outcome of using an invitation token: what to prefill and which event to join, or the problem."""

    invitation_id: int | None
    event_id: int | None
    prefill: dict[str, Any]
    problem: RedemptionProblem | None = None


def new_token() -> str:
    """An unguessable token for a deep link (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def deep_link(bot_username: str, token: str) -> str:
    """The link a person taps to start the bot with `token`."""
    return f"https://t.me/{bot_username}?start={token}"


def get_or_create_event(session: Session, *, code: str, name: str | None = None) -> Event:
    """The event with this code, created when new."""
    event = session.exec(select(Event).where(Event.code == code)).first()
    if event is None:
        event = Event(code=code, name=name or code)
        session.add(event)
        session.flush()
    return event


def create_invitation(
    session: Session,
    *,
    kind: InvitationKind = InvitationKind.PERSONAL,
    event_id: int | None = None,
    name: str | None = None,
    email: str | None = None,
    prefill: dict[str, Any] | None = None,
    source_key: str | None = None,
    telegram_id: int | None = None,
    ttl: dt.timedelta | None = dt.timedelta(days=60),
    now: dt.datetime | None = None,
) -> Invitation:
    """A new invitation; with `source_key` (an import row's identity) creating it again returns the first.

    With `telegram_id` a personal invitation works only for that Telegram user.
    """
    if source_key is not None:
        existing = session.exec(select(Invitation).where(Invitation.source_key == source_key)).first()
        if existing is not None:
            return existing
    now = now or utcnow()
    invitation = Invitation(
        token=new_token(),
        kind=kind,
        event_id=event_id,
        name=name,
        email=email,
        prefill=dict(prefill or {}),
        source_key=source_key,
        telegram_id=telegram_id,
        created_at=now,
        expires_at=now + ttl if ttl is not None else None,
    )
    session.add(invitation)
    session.flush()
    return invitation


def redeem_invitation(
    session: Session,
    *,
    token: str,
    participant_id: int,
    telegram_id: int | None = None,
    now: dt.datetime | None = None,
    registered: bool = False,
) -> Redemption:
    """Use a token: personal ones once, by their owner, before they expire; event-wide ones by anyone until
    they expire.

    `registered` says the person already had a profile before following the link: a personal invitation is
    then refused (PERSONAL) and left as it is. `telegram_id` is checked against a personal invitation made
    for one Telegram user (NOT_YOURS).
    """
    now = now or utcnow()
    invitation = session.exec(select(Invitation).where(Invitation.token == token)).first() if token else None
    if invitation is None:
        return Redemption(None, None, {}, RedemptionProblem.UNKNOWN)
    if invitation.expires_at is not None and invitation.expires_at <= now:
        return Redemption(invitation.id, invitation.event_id, {}, RedemptionProblem.EXPIRED)
    if invitation.kind == InvitationKind.PERSONAL:
        if registered:
            return Redemption(invitation.id, None, {}, RedemptionProblem.PERSONAL)
        if invitation.used_at is not None and invitation.participant_id != participant_id:
            return Redemption(invitation.id, None, {}, RedemptionProblem.USED)
        if invitation.telegram_id is not None and invitation.telegram_id != telegram_id:
            return Redemption(invitation.id, None, {}, RedemptionProblem.NOT_YOURS)
        invitation.used_at = invitation.used_at or now
        invitation.participant_id = participant_id
        session.add(invitation)
        session.flush()
    prefill = dict(invitation.prefill)
    if invitation.name and "name" not in prefill:
        prefill["name"] = invitation.name
    return Redemption(invitation.id, invitation.event_id, prefill)
