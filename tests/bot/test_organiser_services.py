"""Pure rules behind the organiser tools: CSV for Excel, unmet demand, progress pacing, captions."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from bot.numbers import count
from bot.services.broadcasts import due, progress_text
from bot.services.charts import PNG_SIGNATURE
from bot.services.exports import BOM, excel_csv, neutralise
from bot.services.imports import parse_profiles
from bot.services.stats import (
    render_funnel_chart,
    render_stats_caption,
    render_unmet,
    unmet_broadcast_text,
    unmet_demand,
)
from matching import normalise_phrase
from storage.stats import DemandItem, Funnel, FunnelReport

TZ = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("value", "shown"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+31 6 1234", "'+31 6 1234"), ("-1", "'-1"), ("@x", "'@x"), ("Zoë", "Zoë")],
)
def test_formulas_are_neutralised(value: str, shown: str) -> None:
    assert neutralise(value) == shown


def test_excel_csv_round_trips_dutch_text_and_separators() -> None:
    rows = [
        {"name": 'Zoë; van "Dijk"', "when": dt.datetime(2026, 3, 10, 13, 30, tzinfo=dt.UTC), "score": 0.825},
        {"name": "Regel\nnummer twee", "when": None, "score": 3},
    ]
    data = excel_csv(("name", "when", "score"), rows, tz=TZ)
    assert data.startswith(BOM.encode("utf-8"))
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert parsed == [
        ["name", "when", "score"],
        ['Zoë; van "Dijk"', "2026-03-10 14:30", "0,825"],
        ["Regel\nnummer twee", "", "3"],
    ]


def test_dutch_thousands() -> None:
    assert count(1240) == "1.240" and count(3000, "en") == "3,000" and count(7) == "7"


def test_progress_text_uses_true_counts_and_dutch_separators() -> None:
    counts = {"sent": 1240, "blocked": 2, "parked": 1, "cancelled": 0, "pending": 1757, "sending": 0}
    assert progress_text("nl", counts, 3000, finished=False, cancelled=False) == (
        "Verstuurd: 1.240 van 3.000 · geblokkeerd: 2"
    )
    assert "mislukt: 1" in progress_text("nl", counts, 3000, finished=True, cancelled=False)


def test_progress_is_edited_at_most_once_per_interval() -> None:
    start = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    assert due(None, start, 5.0)
    assert not due(start, start + dt.timedelta(seconds=4.9), 5.0)
    assert due(start, start + dt.timedelta(seconds=5), 5.0)


def _item(pid: int, kind: str, text: str, role: str = "school", region: str = "achterhoek") -> DemandItem:
    return DemandItem(pid * 10 + len(text), pid, kind, text, normalise_phrase(text), role, region)


def test_unmet_demand_groups_needs_without_offers_by_region_and_theme() -> None:
    items = [
        _item(1, "need", "gastlessen"),
        _item(2, "need", "Gastlessen"),
        _item(3, "need", "gastles"),
        _item(4, "need", "stageplekken installatietechniek"),
        _item(5, "offer", "stageplekken voor installatietechniek", role="company", region="foodvalley"),
        _item(6, "need", "gastlessen", region="rivierenland", role="company"),
        _item(7, "need", "warmtepompen"),
        _item(7, "offer", "warmtepompen"),  # one's own offer does not answer one's own need
    ]
    needs = unmet_demand(items)
    assert [(n.region, n.count) for n in needs] == [("achterhoek", 3), ("achterhoek", 1), ("rivierenland", 1)]
    text = render_unmet(needs, "nl")
    assert "1. 3 scholen in de Achterhoek zoeken: gastlessen" in text
    assert "2. 1 school in de Achterhoek zoekt: warmtepompen" in text
    assert "3. 1 bedrijf in Rivierenland zoekt: gastlessen" in text
    assert "stageplekken" not in text
    # The draft broadcast for one need agrees with its count too ("1 school … zoekt", "3 scholen … zoeken").
    assert "1 school in de Achterhoek zoekt:" in unmet_broadcast_text(needs[1], "nl")
    assert "3 scholen in de Achterhoek zoeken:" in unmet_broadcast_text(needs[0], "nl")
    assert "1 company in Rivierenland looks for:" in unmet_broadcast_text(needs[2], "en")


def test_chart_is_a_png_and_caption_fits_telegram() -> None:
    report = FunnelReport(
        overall=Funnel(3000, 2500, 1800, 900, 400, 250, 40),
        by_region={r: Funnel(400, 300, 200, 100, 50, 20, 5) for r in ("achterhoek", "foodvalley", "outside")},
    )
    assert render_funnel_chart(report, "nl").startswith(PNG_SIGNATURE)
    caption = render_stats_caption(report, "en")
    assert len(caption) <= 1024 and "Participants: <b>3,000</b>" in caption


def test_parse_profiles_accepts_semicolon_files_from_excel_and_a_bom() -> None:
    header = "\ufeffid;name;organisation;role;region;offers;needs;interests\n"
    text = header + "1;Bea;School;school;Tiel;;stages, bbl;\n"
    rows, errors = parse_profiles(text)
    assert errors == [] and rows[0].needs == ("stages, bbl",) and rows[0].region == "rivierenland"
    rows, errors = parse_profiles("id,name\n1,x\n")
    assert rows == [] and errors[0][0] == 1 and "missing column" in errors[0][1]
