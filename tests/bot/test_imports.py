"""Imported files: encodings read or refused clearly, every bad row reported by line with its reason, the
chat's input rules applied, control characters dropped (NUL on PostgreSQL too), summaries that are true."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.services.imports import ImportFileError, import_profiles, parse_profiles, read_profiles
from storage.models import Invitation, Participant, ProfileItem
from tests.bot.test_cli import koppelbot

HEADER = "id,name,organisation,role,region,offers,needs,interests,telegram_id,consent\n"
GOOD = HEADER + "1,Zoë Ünal,Techniekpact Oost,coordinator,Arnhem,gastlessen;stages,,energie,701,yes\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (GOOD.encode("utf-8"), "UTF-8"),
        (codecs.BOM_UTF8 + GOOD.encode("utf-8"), "UTF-8"),
        (GOOD.encode("utf-16"), "UTF-16"),  # with a BOM ("Unicode text" from Excel)
        (GOOD.encode("utf-16-le"), "UTF-16"),  # without a BOM
        (GOOD.encode("utf-16-be"), "UTF-16"),
        (GOOD.encode("cp1252"), "Windows-1252"),  # "CSV (gescheiden door lijstscheidingsteken)"
    ],
)
def test_encodings_are_recognised(data: bytes, encoding: str) -> None:
    text, found = read_profiles(data)
    assert found == encoding
    rows, errors = parse_profiles(text)
    assert errors == [] and rows[0].name == "Zoë Ünal" and rows[0].telegram_id == 701


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "old Excel workbook"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 4, "PDF"),
        (bytes(range(256)) * 8, "binary file"),
        (b"id,name\n" + bytes(range(1, 32)) * 20, "does not look like a text file"),
        (b"id,name\n\x81\x8d\x8f\x90\x9d", "not in UTF-8, UTF-16 or Windows-1252"),
        (codecs.BOM_UTF8 + b"id,name\n\xff\xfe\xfa", "not valid UTF-8"),
    ],
)
def test_files_that_are_not_text_are_refused_with_one_clear_line(data: bytes, reason: str) -> None:
    with pytest.raises(ImportFileError, match=reason) as refused:
        read_profiles(data)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("codec", ["utf-8", "cp1252"])
def test_one_nul_in_a_cell_is_dropped_not_taken_for_a_binary_file(codec: str) -> None:
    data = (GOOD + "2,Bo de\x00 Wit,X,school,Ede,,stages,,,\n").encode(codec)
    text, _ = read_profiles(data)
    rows, errors = parse_profiles(text)
    assert errors == [] and [row.name for row in rows] == ["Zoë Ünal", "Bo de Wit"]


def test_every_bad_row_is_reported_by_line_with_its_reason() -> None:
    long_item = "w" * 201
    text = HEADER + "\n".join(
        [
            "1,Anna,School,school,Ede,gastlessen,,,801,yes",
            "2,Bert,Bedrijf,bedrijf,Ede,cnc,,,801,yes",  # Anna's telegram_id again
            f"3,Cees,Bedrijf,bedrijf,Ede,cnc;{long_item},,,,",  # the chat's 200 characters per item
            "4,Dora,School,school,Ede," + ";".join(f"aanbod {k}" for k in range(13)) + ",,,,",
            f"5,{'N' * 101},School,school,Ede,cnc,,,,",
            '6,Eva,School,school,Ede,,"stages\nbbl-plekken",,,',  # a new line inside a cell separates items
        ]
    )
    rows, errors = parse_profiles(text + "\n")
    assert errors == [
        (3, "telegram_id 801 is also on line 2"),
        (4, "offer 2 (" + "w" * 30 + "…) is longer than 200 characters"),
        (5, "offers: 13 items, at most 12"),
        (6, "name is longer than 100 characters"),
    ]
    assert [row.name for row in rows] == ["Anna", "Eva"]
    assert rows[1].needs == ("stages", "bbl-plekken")


def test_control_characters_are_dropped_and_nul_does_not_break_postgresql(engine) -> None:
    text = (
        HEADER
        + "1,Jan\x00 de\x07 Wit,Wit\x00 BV,bedrijf,Ede,las\x00robot;cnc\x1b,,,901,yes\n"
        + "2,Ria\x00,School\x0b,school,Ede,,stage\x00s,,,\n"
    )
    report = import_profiles(engine, text, invite_ttl=dt.timedelta(days=60))
    assert report.errors == [] and report.participants_created == 1 and report.invitations_created == 1
    with Session(engine) as session:
        jan = session.exec(select(Participant)).one()
        assert (jan.name, jan.organisation) == ("Jan de Wit", "Wit BV")
        assert session.exec(select(ProfileItem.text).order_by(ProfileItem.position)).all() == [
            "lasrobot",
            "cnc",
        ]
        ria = session.exec(select(Invitation)).one()
        assert (
            ria.name == "Ria"
            and ria.prefill["organisation"] == "School"
            and ria.prefill["needs"] == ["stages"]
        )


def test_the_summary_is_true(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    assert koppelbot("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    (tmp_path / "workbook.csv").write_bytes(b"PK\x03\x04" + bytes(500))
    refused = koppelbot("import", "--profiles", "workbook.csv", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert refused.stdout.splitlines()[-2:] == [  # after the line naming the database
        "workbook.csv: this is not an Excel workbook that can be read: save it from Excel as an Excel "
        "workbook (.xlsx) or as CSV UTF-8, then import that file",
        "Nothing was imported.",
    ]
    (tmp_path / "bad.csv").write_text(HEADER + "1,,X,school,Ede,a,,,,\n2,Bo,X,school,Ede,,,,,\n")
    bad = koppelbot("import", "--profiles", "bad.csv", cwd=tmp_path, env=env)
    assert bad.returncode == 1 and "Nothing was imported: 2 problem(s), see above." in bad.stdout
    assert "were imported" not in bad.stdout
    (tmp_path / "unicode.csv").write_bytes((GOOD + "2,Bo,X,school,Ede,,,,,\n").encode("utf-16"))
    mixed = koppelbot("import", "--profiles", "unicode.csv", cwd=tmp_path, env=env)
    assert mixed.returncode == 1
    assert "Read unicode.csv as UTF-16." in mixed.stdout and "Participants: 1 new" in mixed.stdout
    assert "unicode.csv:3: no offers, needs or interests" in mixed.stdout
    assert "1 bad row(s) not imported; the other 1 row(s) are in (new, or there already)." in mixed.stdout
