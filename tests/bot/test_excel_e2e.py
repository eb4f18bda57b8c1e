"""The Excel workbook: /export through the stand-in and `koppelbot export --out FILE.xlsx`, read back.

Read back with openpyxl and checked sheet by sheet: sheet names, Dutch headers, Dutch labels instead of codes,
typed cells (dates, numbers), a frozen header row, an autofilter, and no cell a spreadsheet would evaluate as
a formula. Also the scope: an export for one region or one event holds only its participants.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.engine import Engine

from bot.app import KoppelApplication
from bot.cli import main
from bot.services.exports import export_xlsx
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.exports import export_data
from storage.invitations import get_or_create_event
from storage.models import ParticipantEvent
from storage.scope import Scope
from tests.bot.organiser_data import introduce, person, suggest

ORGANISER = 900001
SHEETS = ["Deelnemers", "Suggesties", "Kennismakingen", "Projecten"]
HOSTILE = "=cmd|' /C calc'!A0"


def _people(engine: Engine) -> tuple[int, int, int]:
    a = person(engine, 11, name="Zoë Ünal", organisation=HOSTILE, offers=("stages; gastlessen",))
    b = person(engine, 12, name="+31 Bram", role="company", region="foodvalley", needs=("@stages",))
    c = person(engine, 13, name="-Carla", role="mbo", region="foodvalley")
    introduce(engine, a, b, project="Samen een techniekdag")
    suggest(engine, b, c, answer_a="yes")
    return a, b, c


def _rows(sheet: Worksheet) -> list[dict[str, object]]:
    header = [cell.value for cell in sheet[1]]
    return [
        dict(zip(header, (cell.value for cell in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    ]


def _check_sheet_form(sheet: Worksheet) -> None:
    assert sheet.freeze_panes == "A2", sheet.title
    assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:"), sheet.title
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def _check_workbook(content: bytes, a: int, b: int) -> None:
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        _check_sheet_form(sheet)

    people = _rows(book["Deelnemers"])
    assert [cell.value for cell in book["Deelnemers"][1]][:6] == [
        "Nr", "Naam", "Organisatie", "Rol", "Regio", "Bereik",
    ]  # fmt: skip
    zoe = next(row for row in people if row["Nr"] == a)
    assert isinstance(zoe["Nr"], int)
    assert zoe["Naam"] == "Zoë Ünal" and zoe["Organisatie"] == HOSTILE  # kept as written, as text
    assert zoe["Rol"] == "vmbo / school" and zoe["Regio"] == "Achterhoek"
    assert zoe["Bereik"] == "maakt niet uit, overal" and zoe["Taal"] == "Nederlands"
    assert zoe["Status"] == "actief" and zoe["Biedt"] == "stages; gastlessen"
    assert isinstance(zoe["Toestemming op"], dt.datetime)
    bram = next(row for row in people if row["Nr"] == b)
    assert bram["Rol"] == "bedrijf" and bram["Regio"] == "FoodValley" and bram["Naam"] == "+31 Bram"
    assert bram["Zoekt"] == "@stages"

    suggestions = _rows(book["Suggesties"])
    assert len(suggestions) == 2
    assert all(isinstance(row["Score"], float) for row in suggestions)
    assert {row["Status"] for row in suggestions} == {"kennismaking", "wacht op antwoord"}
    assert {row["Antwoord A"] for row in suggestions} == {"ja"}

    introductions = _rows(book["Kennismakingen"])
    assert len(introductions) == 1
    assert introductions[0]["Status"] == "project gestart"
    assert isinstance(introductions[0]["Kennismaking op"], dt.datetime)
    assert introductions[0]["Organisatie A"] == HOSTILE

    projects = _rows(book["Projecten"])
    assert [row["Project"] for row in projects] == ["Samen een techniekdag"]
    assert isinstance(projects[0]["Project gestart op"], dt.datetime)


async def test_export_sends_an_excel_workbook(standin: BotAPIStandIn, bot: KoppelApplication, engine) -> None:
    a, b, _ = _people(engine)
    org = standin.person(ORGANISER, "Olga")
    org.send("/export")
    document = await org.reply()
    assert document.kind == "document" and document.file_name.endswith(".xlsx")
    assert "3 deelnemers" in document.plain_text and "1 kennismaking" in document.plain_text
    _check_workbook(document.file_bytes, a, b)


def test_export_writes_xlsx_or_csv_by_the_file_name(
    tmp_path: Path, engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _ = _people(engine)
    monkeypatch.setattr("bot.cli._common.configure_logging", lambda *args, **kwargs: None)
    for key in [k for k in os.environ if k.startswith(("TELEGRAM_", "DATABASE_URL"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["export", "--out", str(tmp_path / "export.xlsx")]) == 0
    _check_workbook((tmp_path / "export.xlsx").read_bytes(), a, b)
    assert main(["export", "--out", str(tmp_path / "export.csv")]) == 0
    text = (tmp_path / "export.csv").read_bytes().decode("utf-8-sig")
    assert text.startswith("record;id;name") and "'=cmd" in text


def test_an_empty_workbook_still_has_its_sheets_and_headers(engine) -> None:
    with session_scope(engine) as session:
        data = export_data(session, scope=Scope.everything())
    book = openpyxl.load_workbook(io.BytesIO(export_xlsx(data, tz=dt.UTC, language="en")))  # type: ignore[arg-type]
    assert book.sheetnames == ["Participants", "Suggestions", "Introductions", "Projects"]
    for sheet in book.worksheets:
        _check_sheet_form(sheet)
        assert sheet.max_row == 1 and sheet["A1"].value == "No"


def test_export_keeps_to_the_scope(engine) -> None:
    a, b, c = _people(engine)
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede-2026")
        assert event.id is not None
        session.add(ParticipantEvent(participant_id=c, event_id=event.id))
    with session_scope(engine) as session:
        region = export_data(session, scope=Scope(region="foodvalley"))
        by_event = export_data(session, scope=Scope(event_code="ede-2026"))
        both = export_data(session, scope=Scope(region="achterhoek", event_code="ede-2026"))
        everyone = export_data(session, scope=Scope.everything())
    assert [row["id"] for row in region.participants] == [b, c]
    assert len(region.suggestions) == 2 and len(region.introductions) == 1
    # The side outside the scope keeps its row but not its name.
    assert region.introductions[0]["name_a"] is None and region.introductions[0]["name_b"] == "+31 Bram"
    assert [row["id"] for row in by_event.participants] == [c]
    assert len(by_event.suggestions) == 1 and by_event.introductions == []
    assert both.participants == [] and both.suggestions == []
    assert [row["id"] for row in everyone.participants] == [a, b, c]
