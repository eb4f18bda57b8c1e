"""The export as an Excel workbook (one sheet per record kind) or as one CSV file for Dutch Excel.

The workbook (`export_xlsx`, written with XlsxWriter): sheets Deelnemers, Suggesties, Kennismakingen and
Projecten, headers and values in the organiser's language (labels from the catalogues, never codes like
`company`), dates as real dates and numbers as numbers, the header row frozen, an autofilter on every
sheet, and every text written as a text cell (a name like `=HYPERLINK(...)` is never a formula).

The CSV layout: ONE file, one row per record, with a first column `record` saying what the row is
(`participant`, `suggestion`, `introduction`, `project`) and the union of all records' columns (a column
that does not apply to a record is empty). Filter on `record` in Excel to see one kind. Dutch Excel needs:

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

import xlsxwriter

from bot.texts import catalogue
from storage.exports import ExportData

__all__ = [
    "BOM",
    "COLUMNS",
    "SHEETS",
    "excel_csv",
    "export_csv",
    "export_xlsx",
    "neutralise",
]

BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


# -- the workbook -------------------------------------------------------------------------------------
_PARTICIPANT_COLUMNS = (
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
    "events",
    "last_seen_at",
    "created_at",
)
_PAIR_COLUMNS = ("participant_a", "name_a", "organisation_a", "participant_b", "name_b", "organisation_b")
_SUGGESTION_COLUMNS = ("id", *_PAIR_COLUMNS, "score", "status", "answer_a", "answer_b", "created_at")
_INTRODUCTION_COLUMNS = (
    "id",
    "suggestion_id",
    *_PAIR_COLUMNS,
    "status",
    "introduced_at",
    "contacted_at",
    "project_started_at",
    "project_description",
    "flagged_for_coordinator_at",
)
_PROJECT_COLUMNS = (
    "id",
    *_PAIR_COLUMNS,
    "project_started_at",
    "project_description",
    "introduced_at",
    "contacted_at",
    "flagged_for_coordinator_at",
)

#: (sheet key in `export.sheet.*`, ExportData attribute, columns, the catalogue table of its `status` codes)
SHEETS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("participants", "participants", _PARTICIPANT_COLUMNS, "export.participant_status"),
    ("suggestions", "suggestions", _SUGGESTION_COLUMNS, "export.suggestion_status"),
    ("introductions", "introductions", _INTRODUCTION_COLUMNS, "export.introduction_status"),
    ("projects", "projects", _PROJECT_COLUMNS, "export.introduction_status"),
)

#: The CSV's columns: ``record``, then every sheet's columns once, in sheet order.
COLUMNS: tuple[str, ...] = ("record", *dict.fromkeys(c for *_, columns, _ in SHEETS for c in columns))

# Columns whose values are codes, shown as the label of that code in the catalogue table.
_CODE_TABLES = {
    "role": "profile.role",
    "region": "regions.name",
    "reach": "profile.reach",
    "language": "export.language",
    "answer_a": "export.answer",
    "answer_b": "export.answer",
}
_WIDE = {"offers", "needs", "themes", "project_description"}


def _label(texts: dict[str, str], table: str, code: str) -> str:
    return texts.get(f"{table}.{code}", code)


def export_xlsx(data: ExportData, *, tz: ZoneInfo, language: str) -> bytes:
    """The whole export as an .xlsx workbook with one sheet per record kind."""
    texts = catalogue(language)
    buffer = io.BytesIO()
    # No guessing from strings: a text is always a text cell, never a formula, number or link.
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "remove_timezone": True,
        },
    )
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1})
    when = workbook.add_format({"num_format": "dd-mm-yyyy hh:mm"})
    score = workbook.add_format({"num_format": "0.00"})
    for sheet_key, attribute, columns, status_table in SHEETS:
        rows: list[dict[str, object]] = getattr(data, attribute)
        sheet = workbook.add_worksheet(texts[f"export.sheet.{sheet_key}"])
        for index, column in enumerate(columns):
            title = texts[f"export.column.{column}"]
            sheet.write_string(0, index, title, header)
            width = 40 if column in _WIDE else max(10, min(28, len(title) + 4))
            sheet.set_column(index, index, width)
        for row_number, row in enumerate(rows, start=1):
            for index, column in enumerate(columns):
                value = row.get(column)
                if value is None or value == "":
                    continue
                if isinstance(value, dt.datetime):
                    local = value.astimezone(tz).replace(tzinfo=None)
                    sheet.write_datetime(row_number, index, local, when)
                elif isinstance(value, bool):
                    sheet.write_boolean(row_number, index, value)
                elif isinstance(value, int | float):
                    sheet.write_number(row_number, index, value, score if column == "score" else None)
                else:
                    text = str(value)
                    if column == "status":
                        text = _label(texts, status_table, text)
                    elif column in _CODE_TABLES:
                        text = _label(texts, _CODE_TABLES[column], text)
                    sheet.write_string(row_number, index, text)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
    workbook.close()
    return buffer.getvalue()
