"""The export as a CSV file that opens correctly in Dutch Excel.

Layout: ONE file, one row per record, with a first column `record` saying what the row is (`participant`,
`suggestion`, `introduction`, `project`) and the union of all records' columns (a column that does not apply
to a record is empty). Filter on `record` in Excel to see one kind. Dutch Excel needs:

- UTF-8 with a byte order mark (else é and ë turn into Ã©);
- `;` as the separator (`,` is the decimal comma) and decimals written with a comma (0,82);
- formulas neutralised: a cell starting with = + - @ (or a tab / carriage return) gets a leading ' so a
  name like `=HYPERLINK(...)` is shown as text, never run (CSV injection).

Timestamps are local time (TIMEZONE) as `2026-11-24 19:30`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from storage.exports import ExportData

__all__ = ["BOM", "COLUMNS", "excel_csv", "export_csv", "neutralise"]

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS: tuple[str, ...] = (
    "record",
    "id",
    "name",
    "organisation",
    "role",
    "region",
    "reach",
    "language",
    "email",
    "telegram_username",
    "status",
    "consent_at",
    "profile_completed_at",
    "offers",
    "needs",
    "themes",
    "suggestion_id",
    "participant_a",
    "name_a",
    "organisation_a",
    "participant_b",
    "name_b",
    "organisation_b",
    "score",
    "answer_a",
    "answer_b",
    "introduced_at",
    "contacted_at",
    "project_started_at",
    "project_description",
    "flagged_for_coordinator_at",
    "created_at",
)


def neutralise(text: str) -> str:
    """A cell value that a spreadsheet shows as text, never evaluates as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _cell(value: object, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, float):
        return f"{value:.3f}".replace(".", ",")
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def excel_csv(header: Sequence[str], rows: Iterable[Mapping[str, object]], *, tz: ZoneInfo) -> bytes:
    """CSV bytes for Dutch Excel (BOM, `;`, CRLF, formulas neutralised) with the given columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(column), tz) for column in header])
    return (BOM + buffer.getvalue()).encode("utf-8")


def export_csv(data: ExportData, *, tz: ZoneInfo) -> bytes:
    """The whole export as one CSV file with a `record` column."""

    def records() -> Iterable[Mapping[str, object]]:
        for kind, rows in (
            ("participant", data.participants),
            ("suggestion", data.suggestions),
            ("introduction", data.introductions),
            ("project", data.projects),
        ):
            for row in rows:
                yield {"record": kind, **row}

    return excel_csv(COLUMNS, records(), tz=tz)
