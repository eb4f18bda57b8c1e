"""Events (meetings in a series) for organisers: `/event new` (code, name, date), `/event`, the CLI.

`/event new` is a short conversation whose step lives in `organiser_draft` (organisers need not be
participants), so the next answer works after a restart and in whichever process receives it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlmodel import Session

from bot.texts import Counted
from storage.events import create_event, event_by_code, list_events
from storage.organisers import clear_draft, get_draft, set_draft
from storage.scope import Scope

__all__ = [
    "EventLine",
    "MAX_NAME",
    "EventTurn",
    "add",
    "listing",
    "parse_date",
    "start_new",
    "take_text",
    "valid_code",
    "waiting_for_text",
]

KIND = "event"
CODE, NAME, DATE = "code", "name", "date"
STOP_WORDS = {"stop", "stoppen", "annuleer", "cancel", "/cancel"}
NO_DATE = {"-", "geen", "none", "no"}
MAX_NAME = 200  # as event.name in storage
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")


@dataclass(frozen=True)
class EventLine:
    """An event as organisers see it: code, name, date and how many joined through it."""

    code: str
    name: str
    held_on: dt.date | None
    participants: int


@dataclass(frozen=True)
class EventTurn:
    """What to answer an organiser's text in `/event new`: a text key and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)


def valid_code(code: str) -> bool:
    """Letters, digits, - and _, at most 64 (the same rule as /invite and Telegram's start payload)."""
    return bool(_CODE.match(code))


def parse_date(text: str) -> dt.date | None:
    """A date typed as 2022-03-10, 10-03-2022, 10/03/2022 or 10.03.2022; None when it is none of those."""
    cleaned = text.strip()
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    return None


def listing(session: Session, *, scope: Scope | None = None, limit: int = 30) -> list[EventLine]:
    """The newest events; a scoped organiser's: those with participants in their scope (an event organiser's:
    only theirs), counting those participants only."""
    return [
        EventLine(event.code, event.name, event.held_on, n)
        for event, n in list_events(session, limit=limit, scope=scope or Scope.everything())
    ]


def add(
    session: Session, *, code: str, name: str, held_on: dt.date | None, rename: bool = False
) -> tuple[EventLine, bool]:
    """Create an event; True when it is new. An existing code is left as it is (False, and its line), unless
    `rename`: then it gets the new name, and the new date when one is given."""
    existing = event_by_code(session, code=code)
    if existing is not None and not rename:
        return EventLine(existing.code, existing.name, existing.held_on, 0), False
    if existing is not None and held_on is None:
        held_on = existing.held_on
    event, created = create_event(session, code=code, name=name, held_on=held_on)
    return EventLine(event.code, event.name, event.held_on, 0), created


def start_new(session: Session, *, telegram_id: int) -> None:
    """`/event new`: wait for the code."""
    set_draft(session, telegram_id=telegram_id, kind=KIND, step=CODE, data={})


def waiting_for_text(session: Session, *, telegram_id: int) -> bool:
    """True when the organiser's next text answers `/event new`."""
    draft = get_draft(session, telegram_id=telegram_id)
    return draft is not None and draft.kind == KIND


def take_text(session: Session, *, telegram_id: int, text: str) -> EventTurn | None:
    """The organiser's answer in `/event new` (None: no event conversation open)."""
    draft = get_draft(session, telegram_id=telegram_id)
    if draft is None or draft.kind != KIND:
        return None
    answer = " ".join(text.split())
    if answer.lower() in STOP_WORDS:
        clear_draft(session, telegram_id=telegram_id)
        return EventTurn("event.stopped")
    data = dict(draft.data)
    if draft.step == CODE:
        if not valid_code(answer):
            return EventTurn("event.bad_code")
        if event_by_code(session, code=answer) is not None:
            return EventTurn("event.code_taken", {"code": answer})
        set_draft(session, telegram_id=telegram_id, kind=KIND, step=NAME, data={"code": answer})
        return EventTurn("event.ask_name", {"code": answer})
    if draft.step == NAME:
        if not answer or len(answer) > MAX_NAME:
            return EventTurn("event.bad_name", {"length": Counted("characters", MAX_NAME)})
        set_draft(session, telegram_id=telegram_id, kind=KIND, step=DATE, data={**data, "name": answer})
        return EventTurn("event.ask_date", {"name": answer})
    held_on = None if answer.lower() in NO_DATE else parse_date(answer)
    if held_on is None and answer.lower() not in NO_DATE:
        return EventTurn("event.bad_date")
    code, name = str(data.get("code")), str(data.get("name"))
    if event_by_code(session, code=code) is not None:  # somebody made it in the meantime
        clear_draft(session, telegram_id=telegram_id)
        return EventTurn("event.code_taken", {"code": code})
    create_event(session, code=code, name=name, held_on=held_on)
    clear_draft(session, telegram_id=telegram_id)
    shown = held_on.strftime("%d-%m-%Y") if held_on is not None else "—"
    return EventTurn("event.created", {"code": code, "name": name, "date": shown})
