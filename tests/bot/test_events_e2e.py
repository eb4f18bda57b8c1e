"""End to end: events with names and dates (`/event new`, `/event`, `/invite` refusing unknown codes),
their dimension in /stats, /export and broadcast segments, and the CLI for events and organisers."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.cli import main
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.events import event_by_code
from storage.imports import link_event
from storage.invitations import get_or_create_event
from storage.models import Event
from storage.organisers import organiser_scope
from storage.scope import Scope
from tests.bot.organiser_data import person

ORGANISER = 900001


async def test_event_new_asks_code_name_and_date_and_lists_it(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    org = standin.person(ORGANISER, "Olga")
    org.send("/event")
    assert "nog geen events" in (await org.reply()).plain_text
    org.send("/event new")
    assert "Wat is de code?" in (await org.reply()).plain_text
    org.send("ede 2022!")
    assert "Probeer het nog eens" in (await org.reply()).plain_text
    org.send("ede-2022")
    assert "Wat is de naam" in (await org.reply()).plain_text
    org.send("Netwerkmiddag Ede")
    assert "Wanneer is Netwerkmiddag Ede?" in (await org.reply()).plain_text
    org.send("31-02-2022")
    assert "Die datum begrijp ik niet" in (await org.reply()).plain_text
    org.send("10-03-2022")
    created = (await org.reply()).plain_text
    assert "Netwerkmiddag Ede (10-03-2022)" in created and "/invite ede-2022" in created
    with Session(engine) as session:
        event = event_by_code(session, code="ede-2022")
        assert (
            event is not None and event.name == "Netwerkmiddag Ede" and event.held_on == dt.date(2022, 3, 10)
        )
    org.send("/event")
    listing = (await org.reply()).plain_text
    assert "Netwerkmiddag Ede, 10-03-2022 · ede-2022 · 0 deelnemers" in listing
    org.send("/event new")
    await org.reply()
    org.send("ede-2022")
    assert "bestaat al" in (await org.reply()).plain_text
    org.send("stop")
    assert "Gestopt" in (await org.reply()).plain_text


async def test_invite_with_an_unknown_code_refuses_and_makes_no_event(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    org = standin.person(ORGANISER, "Olga")
    org.send("/invite bestaat-niet")
    reply = await org.reply()
    assert reply.kind == "text" and "Er is geen event met de code bestaat-niet" in reply.plain_text
    with Session(engine) as session:
        assert session.exec(select(Event)).all() == []
    with session_scope(engine) as session:
        get_or_create_event(session, code="ede-2022", name="Netwerkmiddag Ede")
    org.send("/invite ede-2022")
    photo = await org.reply()
    assert photo.kind == "photo" and "Netwerkmiddag Ede" in photo.plain_text


async def test_stats_and_export_have_an_event_dimension(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    a = person(engine, 11, region="achterhoek")
    person(engine, 12, region="foodvalley")
    c = person(engine, 13, region="foodvalley")
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede-2022", name="Netwerkmiddag Ede")
        assert event.id is not None
        for pid in (a, c):
            link_event(session, participant_id=pid, event_id=event.id)
    org = standin.person(ORGANISER, "Olga")
    org.send("/stats ede-2022")
    photo = await org.reply()
    assert "Netwerkmiddag Ede" in photo.plain_text and "Deelnemers: 2" in photo.plain_text
    await org.reply()  # the projects
    org.send("/export ede-2022")
    document = await org.reply()
    assert document.kind == "document" and "2 deelnemers" in document.plain_text
    assert "ede-2022" in document.file_name
    org.send("/stats atlantis")
    assert "Er is geen event met de code atlantis" in (await org.reply()).plain_text


async def test_broadcast_segment_by_event_reaches_its_participants(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    a = person(engine, 11)
    person(engine, 12)
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede-2022", name="Netwerkmiddag Ede")
        assert event.id is not None
        link_event(session, participant_id=a, event_id=event.id)
    org = standin.person(ORGANISER, "Olga")
    org.send("/broadcast")
    await org.reply()
    org.send("Dank voor jullie komst!")
    await org.reply()
    org.press("Per bijeenkomst")
    await standin.wait_until(lambda: "Netwerkmiddag Ede" in " ".join(org.last.button_texts), what="events")
    org.press("Netwerkmiddag Ede")
    await standin.wait_until(lambda: "bijeenkomst Netwerkmiddag Ede" in org.last.plain_text, what="preview")
    assert "Versturen naar 1 " in " ".join(org.last.button_texts)


# -- the command line -----------------------------------------------------------------------------------
@pytest.fixture
def koppelbot(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], database_url: str):
    """Run `koppelbot ...` in this process against the test database (SQLite or PostgreSQL)."""
    monkeypatch.setattr("bot.cli._common.configure_logging", lambda *args, **kwargs: None)
    for key in [k for k in os.environ if k.startswith(("TELEGRAM_", "DATABASE_URL", "ORGANISER_IDS"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ORGANISER_IDS", "900001")

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_cli_events_add_and_list(koppelbot, engine, tmp_path: Path) -> None:
    code, out, _ = koppelbot(
        "events", "add", "ede-2022", "--name", "Netwerkmiddag Ede", "--date", "2022-03-10"
    )
    assert code == 0 and "Added event ede-2022: Netwerkmiddag Ede (2022-03-10)" in out
    code, out, err = koppelbot("events", "add", "ede-2022", "--name", "Netwerkmiddag Ede 1")  # not silently
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert "event ede-2022 exists already (Netwerkmiddag Ede, 2022-03-10): nothing changed" in err
    assert "--rename" in err
    with Session(engine) as session:
        event = event_by_code(session, code="ede-2022")
        assert event is not None and event.name == "Netwerkmiddag Ede"
    code, out, _ = koppelbot("events", "add", "ede-2022", "--name", "Netwerkmiddag Ede 1", "--rename")
    assert code == 0 and "Updated event ede-2022: Netwerkmiddag Ede 1 (2022-03-10)" in out  # the date kept
    code, out, _ = koppelbot("events", "list")
    assert code == 0 and "ede-2022\t2022-03-10\tNetwerkmiddag Ede 1\t0 participants" in out
    code, out, _ = koppelbot("events", "add", "ede-2022", "--name", "Ede", "--date", "2022-03-11", "--rename")
    assert code == 0 and "Updated event ede-2022: Ede (2022-03-11)" in out
    code, _, err = koppelbot("events", "add", "ede 2022", "--name", "x")
    assert code == 2 and "not an event code" in err


def test_cli_organisers_add_with_a_scope_and_list(koppelbot, engine) -> None:
    koppelbot("events", "add", "ede-2022", "--name", "Netwerkmiddag Ede", "--date", "2022-03-10")
    code, out, _ = koppelbot("organisers", "add", "555", "--region", "achterhoek", "--event", "ede-2022")
    assert code == 0 and "555 is now an organiser: region achterhoek, event ede-2022" in out
    with Session(engine) as session:
        assert organiser_scope(session, telegram_id=555, configured=[]) == Scope("achterhoek", "ede-2022")
    code, _, err = koppelbot("organisers", "add", "556", "--event", "nope")
    assert code == 2 and "no event with the code 'nope'" in err
    code, out, _ = koppelbot("organisers", "list")
    assert "900001\t\teverything (ORGANISER_IDS)" in out and "555\t\tregion achterhoek, event ede-2022" in out
