"""Participants for tests, stored as the bot stores them: one set of builders instead of one per test file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.standin import BotAPIStandIn
from matching import normalise_phrase
from storage import session_scope
from storage.models import ItemKind, Participant, ParticipantStatus
from storage.outbox import enqueue
from storage.participants import add_items, create_participant

__all__ = [
    "ALWAYS_AWAKE",
    "QUIET_NIGHTS",
    "add_participant",
    "chat_people",
    "participant",
    "people_with_a_message",
]

# Settings without quiet hours, for end-to-end tests that run at any hour (`settings.model_copy(update=...)`).
ALWAYS_AWAKE = {"quiet_days": [], "quiet_hours_start": dt.time(0, 0), "quiet_hours_end": dt.time(0, 0)}
# The production defaults (21:00–08:00 and Sundays), for tests of quiet hours.
QUIET_NIGHTS = {"quiet_days": ["sun"], "quiet_hours_start": dt.time(21), "quiet_hours_end": dt.time(8)}


def add_participant(
    session: Session,
    telegram_id: int,
    name: str | None = None,
    *,
    organisation: str | None = None,
    role: str | None = None,
    region: str | None = None,
    reach: str | None = None,
    offers: Iterable[str] = (),
    needs: Iterable[str] = (),
    themes: Iterable[str] = (),
    completed_at: dt.datetime | None = None,
    status: ParticipantStatus = ParticipantStatus.ACTIVE,
    language: str = "nl",
    username: str | None = None,
    now: dt.datetime | None = None,
) -> Participant:
    """A consenting participant with a chat; a finished profile when `completed_at` is given.

    Items are stored with the matcher's normalised form, as the bot stores typed answers.
    """
    person = create_participant(
        session, telegram_id=telegram_id, chat_id=telegram_id, language=language, username=username, now=now
    )
    person.name, person.organisation, person.role, person.region = name, organisation, role, region
    person.status, person.profile_completed_at = status, completed_at
    if reach is not None:
        person.reach = reach
    for kind, texts in ((ItemKind.OFFER, offers), (ItemKind.NEED, needs), (ItemKind.THEME, themes)):
        pairs = [(text, normalise_phrase(text)) for text in texts]
        if pairs:
            add_items(session, participant=person, kind=kind, texts=pairs, now=now)
    session.add(person)
    session.flush()
    return person


def participant(engine: Engine, telegram_id: int, name: str | None = None, **fields: object) -> int:
    """`add_participant` in its own transaction; returns the participant id."""
    with session_scope(engine) as session:
        person = add_participant(session, telegram_id, name, **fields)  # type: ignore[arg-type]
        assert person.id is not None
        return person.id


def chat_people(engine: Engine, standin: BotAPIStandIn, ids: Iterable[int]) -> dict[int, int]:
    """People named P<id> with a chat in the stand-in and no profile; returns telegram id → participant id."""
    out: dict[int, int] = {}
    with session_scope(engine) as session:
        for telegram_id in ids:
            standin.person(telegram_id, f"P{telegram_id}")
            person = add_participant(session, telegram_id, f"P{telegram_id}")
            assert person.id is not None
            out[telegram_id] = person.id
    return out


def people_with_a_message(
    engine: Engine, standin: BotAPIStandIn, ids: Iterable[int], *, key: str, text: str
) -> None:
    """`chat_people`, each with one queued broadcast message (dedupe key `<key>:<telegram id>`)."""
    people = chat_people(engine, standin, ids)
    with session_scope(engine) as session:
        for telegram_id, participant_id in people.items():
            enqueue(
                session,
                dedupe_key=f"{key}:{telegram_id}",
                chat_id=telegram_id,
                participant_id=participant_id,
                kind="broadcast",
                text=text.format(telegram_id=telegram_id),
            )
