"""`koppelbot import --profiles FILE.csv`: participants and personal invitations from a CSV file.

The format is the matching engine's (`id,name,organisation,role,region,offers,needs,interests`, lists
separated by `;`, optional `reach`, extra columns ignored) plus optional `telegram_id`, `consent` (yes/no),
`language` (nl/en), `email` and `event` (an event code). A row with a `telegram_id` and `consent=yes` becomes
an active participant at once; any other row becomes a personal invitation whose link prefills the profile.

Every row is checked on its own: bad rows are reported by line and the good ones are still imported.
Importing the same file again changes nothing (participants are keyed by Telegram id, invitations by the
row's id and name).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from matching import normalise_phrase, parse_region, parse_role
from matching.codes import parse_reach
from storage import session_scope
from storage.imports import ImportedItem, import_participant, invitation_exists, link_event
from storage.invitations import InvitationKind, create_invitation, get_or_create_event
from storage.models import ItemKind

__all__ = ["REQUIRED_COLUMNS", "ImportReport", "ImportRow", "import_profiles", "parse_profiles"]

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("id", "name", "organisation", "role", "region", "offers", "needs", "interests")
OPTIONAL_COLUMNS = ("reach", "telegram_id", "consent", "language", "email", "event")
_YES = {"yes", "ja", "y", "j", "true", "1", "akkoord"}
_NO = {"no", "nee", "n", "false", "0", ""}
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
_EVENT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ImportRow:
    """One valid row of the file."""

    line: int
    row_id: str
    name: str
    organisation: str
    role: str
    region: str
    reach: str
    offers: tuple[str, ...]
    needs: tuple[str, ...]
    themes: tuple[str, ...]
    telegram_id: int | None
    consent: bool
    language: str
    email: str | None
    event: str | None

    @property
    def source_key(self) -> str:
        """The row's identity across imports (for idempotent invitations)."""
        return f"import:{self.row_id}:{self.name.casefold()}"[:200]


@dataclass
class ImportReport:
    """What an import did: counts per outcome and the bad rows by line."""

    participants_created: int = 0
    participants_existing: int = 0
    invitations_created: int = 0
    invitations_existing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


def parse_profiles(text: str) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    """The valid rows and the errors `(line, message)` of a profiles CSV; a bad header is line 1's error."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [(1, f"unreadable header ({exc})")]
    if header is None:
        return [], [(1, "empty file: expected a header row " + ",".join(REQUIRED_COLUMNS))]
    columns = [cell.strip().lower() for cell in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        return [], [(1, f"missing column(s): {', '.join(missing)}")]
    position = {
        name: columns.index(name) for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in columns
    }
    rows: list[ImportRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    line = 1
    while True:
        start = line + 1
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append((start, f"unreadable row ({exc})"))
            line = reader.line_num
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) < len(columns):
            errors.append((start, f"expected {len(columns)} fields, found {len(raw)}"))
            continue
        cell = {name: raw[k].strip() for name, k in position.items()}
        problem, row = _row(start, cell, seen)
        if problem:
            errors.append((start, problem))
        elif row is not None:
            seen[row.row_id] = start
            rows.append(row)
    return rows, errors


def _row(line: int, cell: dict[str, str], seen: dict[str, int]) -> tuple[str | None, ImportRow | None]:
    row_id = cell["id"]
    if not row_id:
        return "empty id", None
    if row_id in seen:
        return f"duplicate id {row_id!r} (first on line {seen[row_id]})", None
    if not cell["name"]:
        return "empty name", None
    reach = parse_reach(cell.get("reach", ""))
    if reach is None:
        return f"unknown reach {cell['reach']!r} (use own, neighbours or anywhere)", None
    telegram_id: int | None = None
    if cell.get("telegram_id"):
        try:
            telegram_id = int(cell["telegram_id"])
        except ValueError:
            return f"telegram_id {cell['telegram_id']!r} is not a number", None
        if telegram_id <= 0:
            return "telegram_id must be a positive number", None
    consent_text = cell.get("consent", "").lower()
    if consent_text not in _YES | _NO:
        return f"consent {cell['consent']!r} must be yes or no", None
    language = (cell.get("language") or "nl").lower()[:2]
    if language not in {"nl", "en"}:
        return f"language {cell['language']!r} must be nl or en", None
    email = cell.get("email") or None
    if email is not None and not _EMAIL.match(email):
        return "email address is not valid", None
    event = cell.get("event") or None
    if event is not None and not _EVENT_CODE.match(event):
        return "event code may only hold letters, digits, - and _ (at most 64)", None
    offers, needs, themes = _split(cell["offers"]), _split(cell["needs"]), _split(cell["interests"])
    if not (offers or needs or themes):
        return "no offers, needs or interests", None
    return None, ImportRow(
        line=line,
        row_id=row_id,
        name=cell["name"][:200],
        organisation=cell["organisation"][:200],
        role=parse_role(cell["role"]),
        region=parse_region(cell["region"]),
        reach=reach,
        offers=offers,
        needs=needs,
        themes=themes,
        telegram_id=telegram_id,
        consent=consent_text in _YES,
        language=language,
        email=email,
        event=event,
    )


def _items(row: ImportRow) -> list[ImportedItem]:
    groups = ((ItemKind.OFFER, row.offers), (ItemKind.NEED, row.needs), (ItemKind.THEME, row.themes))
    return [ImportedItem(kind, text, normalise_phrase(text)) for kind, texts in groups for text in texts]


def _prefill(row: ImportRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "organisation": row.organisation,
        "role": row.role,
        "region": row.region,
        "reach": row.reach,
        "language": row.language,
        "offers": list(row.offers),
        "needs": list(row.needs),
        "themes": list(row.themes),
    }


def import_profiles(
    engine: Engine, text: str, *, invite_ttl: dt.timedelta, now: dt.datetime | None = None
) -> ImportReport:
    """Import every good row (each in its own transaction) and report the bad ones by line."""
    rows, errors = parse_profiles(text)
    report = ImportReport(errors=list(errors))
    for row in rows:
        try:
            with session_scope(engine) as session:
                event_id = get_or_create_event(session, code=row.event).id if row.event else None
                if row.telegram_id is not None and row.consent:
                    person, created = import_participant(
                        session,
                        telegram_id=row.telegram_id,
                        name=row.name,
                        organisation=row.organisation,
                        role=row.role,
                        region=row.region,
                        reach=row.reach,
                        language=row.language,
                        email=row.email,
                        items=_items(row),
                        now=now,
                    )
                    if event_id is not None and person.id is not None:
                        link_event(session, participant_id=person.id, event_id=event_id)
                    if created:
                        report.participants_created += 1
                    else:
                        report.participants_existing += 1
                else:
                    if invitation_exists(session, source_key=row.source_key):
                        report.invitations_existing += 1
                        continue
                    create_invitation(
                        session,
                        kind=InvitationKind.PERSONAL,
                        event_id=event_id,
                        name=row.name,
                        email=row.email,
                        prefill=_prefill(row),
                        source_key=row.source_key,
                        ttl=invite_ttl,
                        now=now,
                    )
                    report.invitations_created += 1
        except Exception as exc:  # one bad row must not stop the others
            logger.warning("import of line %d failed: %s", row.line, type(exc).__name__)
            report.errors.append((row.line, f"could not be stored ({type(exc).__name__})"))
    report.errors.sort()
    return report
