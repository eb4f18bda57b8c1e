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
from sqlmodel import select

from bot.app import KoppelApplication
from bot.cli import main
from bot.services.exports import export_xlsx
from bot.services.imports import parse_profiles
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.exports import export_data
from storage.invitations import get_or_create_event
from storage.models import Invitation, Participant, ParticipantEvent, ProfileItem
from storage.scope import Scope
from tests.bot.organiser_data import introduce, person, suggest

ORGANISER = 900001
SHEETS = ["Deelnemers", "Suggesties", "Kennismakingen", "Projecten"]
HOSTILE = "=cmd|' /C calc'!A0"


def _people(engine: Engine) -> tuple[int, int, int]:
    a = person(engine, 11, name="Zoë Ünal", organisation=HOSTILE, offers=("stages; gastlessen",))
    with session_scope(engine) as session:
        for code, name in (("ede", "Netwerkmiddag Ede"), ("zutphen", "Techniekcafé Zutphen")):
            event = get_or_create_event(session, code=code, name=name)
            session.add(ParticipantEvent(participant_id=a, event_id=event.id))
        zoe = session.get(Participant, a)
        zoe.last_seen_at = dt.datetime(2026, 11, 30, 14, tzinfo=dt.UTC)
        session.add(zoe)
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
    assert zoe["Status"] == "actief" and zoe["Aanbod"] == "stages; gastlessen"
    assert isinstance(zoe["Toestemming op"], dt.datetime)
    assert zoe["Bijeenkomsten"] == "Netwerkmiddag Ede; Techniekcafé Zutphen"
    assert isinstance(zoe["Laatst actief op"], dt.datetime)
    bram = next(row for row in people if row["Nr"] == b)
    assert bram["Rol"] == "bedrijf" and bram["Regio"] == "FoodValley" and bram["Naam"] == "+31 Bram"
    assert bram["Vraag"] == "@stages" and bram["Bijeenkomsten"] is None

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


def _registration_list() -> bytes:
    """A registration list as an organiser keeps it in Excel: Dutch headers, numbers as numbers."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["Nr", "Naam", "Organisatie", "Rol", "Regio", "Biedt", "Zoekt", "Interesses", "Telegram ID",
         "Toestemming", "E-mail", "Bijeenkomst", "Opmerking"]
    )  # fmt: skip
    sheet.append(
        [1, "Ruud Jansen", "Installatiebedrijf Jansen", "bedrijf", "Doetinchem",
         "gastlessen warmtepompen;stageplekken", None, "energietransitie", 501, "ja", None, "ede-2022", "x"]
    )  # fmt: skip
    sheet.append(
        [2, "Anna de Vries", "Het Assink Lyceum", "vmbo", "Achterhoek", None, "gastlessen\nbedrijfsbezoek",
         "techniek", None, None, "anna@example.org", None, None]
    )  # fmt: skip
    sheet.append([3, None, "Naamloos BV", "bedrijf", "Tiel", "lasrobots"])
    sheet.append([4.0, "Eva", "School", "school", "Ede", None, "stages", None, "abc"])
    sheet.append([" "])  # a row that only looks empty
    sheet.append([5, "Kees", "Bouw BV", "bedrijf", "Ede", "cnc", None, None, None, "misschien"])
    second = book.create_sheet("Notities")
    second.append(["not", "read"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_reads_a_registration_list_from_excel(
    tmp_path: Path,
    engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("bot.cli._common.configure_logging", lambda *args, **kwargs: None)
    for key in [k for k in os.environ if k.startswith(("TELEGRAM_", "DATABASE_URL"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", database_url)
    (tmp_path / "aanmeldingen.xlsx").write_bytes(_registration_list())
    capsys.readouterr()
    assert main(["import", "--profiles", str(tmp_path / "aanmeldingen.xlsx")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "Read aanmeldingen.xlsx as an Excel workbook (first sheet)." in out
    assert "aanmeldingen.xlsx:4: empty name" in out
    assert "aanmeldingen.xlsx:5: telegram_id 'abc' is not a number" in out
    assert "aanmeldingen.xlsx:7: consent 'misschien' must be yes or no" in out
    assert out[-1] == "3 bad row(s) not imported; the other 2 row(s) are in (new, or there already)."
    with session_scope(engine) as session:
        ruud = session.exec(select(Participant).where(Participant.telegram_id == 501)).one()
        assert ruud.name == "Ruud Jansen" and ruud.region == "achterhoek" and ruud.role == "company"
        offers = session.exec(select(ProfileItem.text).where(ProfileItem.participant_id == ruud.id)).all()
        assert sorted(offers) == ["energietransitie", "gastlessen warmtepompen", "stageplekken"]
        assert session.exec(select(ParticipantEvent).where(ParticipantEvent.participant_id == ruud.id)).one()
        anna = session.exec(select(Invitation)).one()
        assert anna.email == "anna@example.org" and anna.prefill["needs"] == ["gastlessen", "bedrijfsbezoek"]
    # Importing the same list again changes nothing.
    assert main(["import", "--profiles", str(tmp_path / "aanmeldingen.xlsx")]) == 1
    assert (
        "Participants: 0 new, 1 already there. Invitations: 0 new, 1 already there."
        in capsys.readouterr().out
    )


def test_a_damaged_workbook_is_refused_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("bot.cli._common.configure_logging", lambda *args, **kwargs: None)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    (tmp_path / "kapot.xlsx").write_bytes(b"PK\x03\x04" + bytes(300))
    assert main(["db", "upgrade"]) == 0  # the bot's database exists; the file is what is wrong
    capsys.readouterr()
    assert main(["import", "--profiles", str(tmp_path / "kapot.xlsx")]) == 1
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "kapot.xlsx: this is not an Excel workbook that can be read: save it from Excel as an Excel workbook "
        "(.xlsx) or as CSV UTF-8, then import that file",
        "Nothing was imported.",
    ]


def test_dutch_headers_work_in_a_csv_too() -> None:
    rows, errors = parse_profiles(
        "Nr;Naam;Organisatie;Rol;Regio;Biedt;Zoekt;Thema's;E-mail\n7;Bea;School;school;Tiel;;stages;;b@x.nl\n"
    )
    assert (
        errors == [] and rows[0].name == "Bea" and rows[0].email == "b@x.nl" and rows[0].needs == ("stages",)
    )
