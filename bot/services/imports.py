"""`koppelbot import --profiles FILE.csv`: participants and personal invitations from a CSV file.

The format is the matching engine's (`id,name,organisation,role,region,offers,needs,interests`, lists
separated by `;`, optional `reach`, extra columns ignored) plus optional `telegram_id`, `consent` (yes/no),
`language` (nl/en), `email` and `event` (an event code). A row with a `telegram_id` and `consent=yes` becomes
an active participant at once; any other row becomes a personal invitation whose link prefills the profile.

Every row is checked on its own: bad rows are reported by line with their reason and the good ones are
still imported. A row follows the chat's rules: a name of at most 100 characters, an organisation of at
most 150, at most 12 items per list of at most 200 characters each; control characters (NUL and the like)
are dropped from every cell. A `telegram_id` used by two rows is reported on the second. Importing the same
file again changes nothing (participants are keyed by Telegram id, invitations by the row's id and name).

`read_profiles(bytes)` reads the file: UTF-8 with or without BOM, UTF-16 (with a BOM, or plain text saved
"Unicode" without one) and Windows-1252 (an Excel "CSV" saved without UTF-8) are recognised; a workbook, a
binary file or another encoding is refused with one line (`ImportFileError`) instead of being misread.

An Excel workbook (.xlsx) is read by `parse_workbook(bytes)` (openpyxl, read-only, cached values of formulas):
its first sheet, with the same columns, through the same checks; line numbers are the sheet's row numbers.
Header names may be Dutch, in the CSV as in the workbook (`naam`, `organisatie`, `rol`, `regio`, `biedt`,
`zoekt`, `interesses`, `bereik`, `e-mail`, `taal`, `toestemming`, `bijeenkomst`, `nr`; see HEADER_ALIASES).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from sqlalchemy.engine import Engine

from bot.cleaning import strip_controls
from bot.fields import ITEM_MAX, by_name
from matching import normalise_phrase, parse_region, parse_role
from matching.codes import parse_reach
from storage import session_scope
from storage.imports import ImportedItem, import_participant, invitation_exists, link_event
from storage.invitations import InvitationKind, create_invitation, get_or_create_event
from storage.models import ItemKind
from storage.participants import MAX_ITEMS_PER_KIND

__all__ = [
    "HEADER_ALIASES",
    "REQUIRED_COLUMNS",
    "ImportFileError",
    "ImportReport",
    "ImportRow",
    "import_profiles",
    "import_rows",
    "import_workbook",
    "parse_profiles",
    "parse_workbook",
    "read_profiles",
]

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("id", "name", "organisation", "role", "region", "offers", "needs", "interests")
OPTIONAL_COLUMNS = ("reach", "telegram_id", "consent", "language", "email", "event")
_YES = {"yes", "ja", "y", "j", "true", "1", "akkoord"}
_NO = {"no", "nee", "n", "false", "0", ""}
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
_EVENT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LISTS = (("offers", "offer"), ("needs", "need"), ("interests", "interest"))
_BOMS = (  # longest first: a UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_CONTAINERS = (  # files people save by mistake instead of a CSV
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
    (b"%PDF", "a PDF file"),
)
_SAVE_AS_CSV = "in Excel choose Save as → CSV UTF-8 (comma delimited), then import that file"
_SAVE_AS_XLSX = "save it from Excel as an Excel workbook (.xlsx) or as CSV UTF-8, then import that file"
MAX_SHEET_ROWS = 100_000

#: Other names for the columns (compared case-insensitively, spaces and dashes ignored): Dutch, and the
#: headers of our own export.
HEADER_ALIASES: dict[str, str] = {
    "nr": "id",
    "nummer": "id",
    "naam": "name",
    "organisatie": "organisation",
    "organization": "organisation",
    "rol": "role",
    "regio": "region",
    "biedt": "offers",
    "aanbod": "offers",
    "zoekt": "needs",
    "vraag": "needs",
    "interesses": "interests",
    "themas": "interests",
    "thema's": "interests",
    "themes": "interests",
    "bereik": "reach",
    "telegramid": "telegram_id",
    "toestemming": "consent",
    "taal": "language",
    "email": "email",
    "emailadres": "email",
    "mail": "email",
    "bijeenkomst": "event",
    "evenement": "event",
}


def _column_name(header: object) -> str:
    """A header cell as a column name: lower case, aliases resolved."""
    name = str(header or "").strip().lower()
    folded = name.replace(" ", "").replace("-", "").replace("_", "")
    if name in REQUIRED_COLUMNS or name in OPTIONAL_COLUMNS:
        return name
    return HEADER_ALIASES.get(name) or HEADER_ALIASES.get(folded) or name


class ImportFileError(ValueError):
    """The file cannot be read as a profiles CSV at all; the message says why in one line."""


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for mostly-ASCII text saved as UTF-16 without a BOM, else None."""
    sample = data[:4000]
    if len(sample) < 4 or len(data) % 2:
        return None
    pairs = len(sample) // 2
    even_zeros = sample[0::2].count(0)
    odd_zeros = sample[1::2].count(0)
    if odd_zeros > 0.4 * pairs and even_zeros < 0.05 * pairs:
        return "utf-16-le"
    if even_zeros > 0.4 * pairs and odd_zeros < 0.05 * pairs:
        return "utf-16-be"
    return None


def _looks_like_text(text: str) -> bool:
    controls = sum(1 for ch in text if (ch < " " and ch not in "\t\r\n") or "\x7f" <= ch <= "\x9f")
    return controls <= max(2, len(text) // 100)


def _binary(data: bytes) -> bool:
    """True when NUL bytes come with many other control bytes: a real binary file, not a CSV with a stray
    NUL in a cell (which is dropped from the cell like any other control character)."""
    controls = sum(1 for byte in data if (byte < 0x20 and byte not in b"\t\r\n") or byte == 0x7F)
    return controls > max(2, len(data) // 100)


def read_profiles(data: bytes) -> tuple[str, str]:
    """The text of a profiles file and the name of the encoding it was read in; ImportFileError when it is
    not a text file in UTF-8, UTF-16 or Windows-1252."""
    if not data.strip():
        raise ImportFileError("the file is empty: expected a header row " + ",".join(REQUIRED_COLUMNS))
    for signature, what in _CONTAINERS:
        if data.startswith(signature):
            raise ImportFileError(f"this is {what}, not a CSV file: {_SAVE_AS_CSV}")
    found: tuple[str, str] | None = None
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            found = (codec, name)
            break
    if found is None:
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            found = (utf16, "UTF-16")
        elif b"\x00" in data and _binary(data):
            raise ImportFileError(f"this is a binary file, not a CSV file: {_SAVE_AS_CSV}")
    if found is not None:
        codec, name = found
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            raise ImportFileError(
                f"the file says it is {name} but is not valid {name}: {_SAVE_AS_CSV}"
            ) from None
    else:
        try:
            text, name = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, name = data.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"the file is not in UTF-8, UTF-16 or Windows-1252: {_SAVE_AS_CSV}"
                ) from None
    if not _looks_like_text(text):
        raise ImportFileError(f"this does not look like a text file: {_SAVE_AS_CSV}")
    return text.removeprefix("\ufeff"), name


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

    @property
    def good_rows(self) -> int:
        """Rows imported now or found imported before."""
        return (
            self.participants_created
            + self.participants_existing
            + self.invitations_created
            + self.invitations_existing
        )

    def summary(self) -> str:
        """One true line about the outcome (the counts line and the errors come before it)."""
        if not self.errors:
            return f"All {self.good_rows} row(s) are in."
        if self.good_rows == 0:
            return f"Nothing was imported: {len(self.errors)} problem(s), see above."
        return (
            f"{len(self.errors)} bad row(s) not imported; the other {self.good_rows} row(s) are in "
            "(new, or there already)."
        )


def _split(cell: str) -> tuple[str, ...]:
    """The items of a list cell: separated by `;` or new lines, each single-spaced."""
    parts = (" ".join(part.split()) for part in re.split(r"[;\n]", cell))
    return tuple(part for part in parts if part)


Records = Iterator[tuple[int, list[str] | str]]  # (line, cells) or (line, why the row is unreadable)


def _parse_table(header: list[str], records: Records) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    """The valid rows and the errors of a table (a CSV file or a sheet) with this header row."""
    columns = [_column_name(cell) for cell in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        return [], [(1, f"missing column(s): {', '.join(missing)}")]
    position = {
        name: columns.index(name) for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if name in columns
    }
    rows: list[ImportRow] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    seen_telegram: dict[int, int] = {}
    for start, raw in records:
        if isinstance(raw, str):
            errors.append((start, raw))
            continue
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) < len(columns):
            errors.append((start, f"expected {len(columns)} fields, found {len(raw)}"))
            continue
        cell = {name: raw[k].strip() for name, k in position.items()}
        problem, row = _row(start, cell, seen)
        if row is not None and row.telegram_id is not None and row.telegram_id in seen_telegram:
            first = seen_telegram[row.telegram_id]
            problem, row = f"telegram_id {row.telegram_id} is also on line {first}", None
        if problem:
            errors.append((start, problem))
        elif row is not None:
            seen[row.row_id] = start
            if row.telegram_id is not None:
                seen_telegram[row.telegram_id] = start
            rows.append(row)
    return rows, errors


def parse_profiles(text: str) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    """The valid rows and the errors `(line, message)` of a profiles CSV; a bad header is line 1's error."""
    text = strip_controls(text.removeprefix("\ufeff"))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [(1, f"unreadable header ({exc})")]
    if header is None:
        return [], [(1, "empty file: expected a header row " + ",".join(REQUIRED_COLUMNS))]

    def records() -> Records:
        line = 1
        while True:
            start = line + 1
            try:
                raw = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = reader.line_num
                yield start, f"unreadable row ({exc})"
                continue
            line = reader.line_num
            yield start, raw

    return _parse_table(header, records())


def _sheet_cell(value: object) -> str:
    """A workbook cell as the text a CSV would hold (whole numbers without `.0`, dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return strip_controls(str(value))


def parse_workbook(data: bytes) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    """The valid rows and the errors of the first sheet of an .xlsx workbook; ImportFileError when the file
    is no workbook openpyxl can read."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged zip, an .xls renamed, a password-protected file: all refused alike
        raise ImportFileError(f"this is not an Excel workbook that can be read: {_SAVE_AS_XLSX}") from None
    try:
        if not book.worksheets:
            raise ImportFileError("the workbook has no sheets")
        sheet = book.worksheets[0]
        table = sheet.iter_rows(values_only=True)
        header_row = next(table, None)
        if header_row is None:
            return [], [(1, "empty sheet: expected a header row " + ",".join(REQUIRED_COLUMNS))]
        header = [_sheet_cell(value) for value in header_row]
        while header and not header[-1].strip():
            header.pop()

        def records() -> Records:
            for line, values in enumerate(table, start=2):
                if line > MAX_SHEET_ROWS:
                    yield line, f"more than {MAX_SHEET_ROWS} rows: the rest is not read"
                    return
                cells = [_sheet_cell(value) for value in values][: len(header)]
                yield line, cells + [""] * (len(header) - len(cells))

        return _parse_table(header, records())
    finally:
        book.close()


def _row(line: int, cell: dict[str, str], seen: dict[str, int]) -> tuple[str | None, ImportRow | None]:
    row_id = cell["id"]
    if not row_id:
        return "empty id", None
    if row_id in seen:
        return f"duplicate id {row_id!r} (first on line {seen[row_id]})", None
    name, organisation = " ".join(cell["name"].split()), " ".join(cell["organisation"].split())
    if not name:
        return "empty name", None
    for column, value in (("name", name), ("organisation", organisation)):
        question = by_name(column)
        assert question is not None
        if len(value) > question.limit:
            return f"{column} is longer than {question.limit} characters", None
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
    for (column, singular), items in zip(_LISTS, (offers, needs, themes), strict=True):
        if len(items) > MAX_ITEMS_PER_KIND:
            return f"{column}: {len(items)} items, at most {MAX_ITEMS_PER_KIND}", None
        for number, item in enumerate(items, start=1):
            if len(item) > ITEM_MAX:
                return f"{singular} {number} ({item[:30]}…) is longer than {ITEM_MAX} characters", None
    return None, ImportRow(
        line=line,
        row_id=row_id,
        name=name,
        organisation=organisation,
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
    """Import every good row of a profiles CSV (each in its own transaction); report the bad ones by line."""
    rows, errors = parse_profiles(text)
    return import_rows(engine, rows, errors, invite_ttl=invite_ttl, now=now)


def import_workbook(
    engine: Engine, data: bytes, *, invite_ttl: dt.timedelta, now: dt.datetime | None = None
) -> ImportReport:
    """Import every good row of a workbook's first sheet, like `import_profiles`; ImportFileError for a file
    that is no readable workbook."""
    rows, errors = parse_workbook(data)
    return import_rows(engine, rows, errors, invite_ttl=invite_ttl, now=now)


def import_rows(
    engine: Engine,
    rows: list[ImportRow],
    errors: list[tuple[int, str]],
    *,
    invite_ttl: dt.timedelta,
    now: dt.datetime | None = None,
) -> ImportReport:
    """Import parsed rows (each in its own transaction); the report holds `errors` and any store failures."""
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
                        telegram_id=row.telegram_id,  # known but without consent: only they may use it
                        ttl=invite_ttl,
                        now=now,
                    )
                    report.invitations_created += 1
        except Exception as exc:  # one bad row must not stop the others
            logger.warning("import of line %d failed: %s", row.line, type(exc).__name__)
            report.errors.append((row.line, f"could not be stored ({type(exc).__name__})"))
    report.errors.sort()
    return report
