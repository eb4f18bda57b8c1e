"""Pure rules behind the organiser tools: CSV for Excel, unmet demand, progress pacing, captions."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

import matching
from bot.numbers import count
from bot.services.broadcasts import due, progress_text
from bot.services.charts import PNG_SIGNATURE
from bot.services.exports import BOM, excel_csv, neutralise
from bot.services.imports import parse_profiles
from bot.services.stats import (
    could_offer_segment,
    matched_people,
    needs_with_partner,
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


def _profile(
    pid: int,
    *,
    role: str = "school",
    region: str = "achterhoek",
    reach: str = "anywhere",
    offers: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
) -> matching.Profile:
    return matching.Profile(
        id=str(pid), name=f"P{pid}", organisation=f"Org {pid}", role=role, region=region, reach=reach,
        offers=offers, needs=needs, themes=(), active=True,
    )  # fmt: skip


def _items(profiles: list[matching.Profile]) -> list[DemandItem]:
    return [
        DemandItem(int(p.id) * 10 + k + (5 if kind == "offer" else 0), int(p.id), kind, text,
                   normalise_phrase(text), p.role, p.region)
        for p in profiles
        for kind, texts in (("offer", p.offers), ("need", p.needs))
        for k, text in enumerate(texts)
    ]  # fmt: skip


def test_unmet_demand_is_what_the_matcher_finds_no_partner_for() -> None:
    profiles = [
        _profile(1, needs=("gastlessen",)),
        _profile(2, needs=("Gastlessen",)),
        _profile(3, needs=("gastles",)),
        _profile(4, needs=("stageplekken installatietechniek",)),
        _profile(5, role="company", region="foodvalley", offers=("stageplekken voor installatietechniek",)),
        _profile(6, role="company", region="rivierenland", needs=("gastlessen",)),
        # Shares words with 9's need, but only works in its own region: the matcher never pairs them.
        _profile(
            8, role="company", region="cleantech", reach="own", offers=("excursie naar de bedrijfshal",)
        ),
        _profile(9, needs=("excursie naar een bedrijfshal",)),
        # No offer shares a word, but the matcher pairs interns with an internship place (counterparts).
        _profile(10, role="mbo", region="foodvalley", needs=("stagiairs voor de zomer",)),
        _profile(11, role="company", region="foodvalley", needs=("stageplek voor de zomer",)),
    ]
    matcher = matching.Matcher(profiles)
    items = _items(profiles)
    items.append(DemandItem(120, 12, "need", "lasrobots", "lasrobot", "school", "achterhoek"))  # not matched
    answered = needs_with_partner(matcher, items)
    needs = unmet_demand(items, answered=answered, matched=matched_people(matcher))
    assert [(n.region, n.count, n.text) for n in needs] == [
        ("achterhoek", 3, "gastlessen"),
        ("achterhoek", 1, "excursie naar een bedrijfshal"),
        ("rivierenland", 1, "gastlessen"),
    ]
    text = render_unmet(needs, "nl")
    assert "1. 3 scholen in de Achterhoek zoeken: gastlessen" in text
    assert "2. 1 school in de Achterhoek zoekt: excursie naar een bedrijfshal" in text
    assert "3. 1 bedrijf in Rivierenland zoekt: gastlessen" in text
    assert "stage" not in text and "lasrobots" not in text
    # The one-tap broadcast goes to those who could offer it, in every region, not to the askers.
    segment = could_offer_segment(needs[0])["could_offer"]
    assert segment["roles"] == ["mbo", "company"] and segment["terms"] == ["gastles"]
    assert segment["askers"] == [1, 2, 3] and "region" not in could_offer_segment(needs[0])
    # Its text agrees in number with the askers (plural forms from the catalogue).
    assert "3 scholen in de Achterhoek zoeken:" in unmet_broadcast_text(needs[0], "nl")
    assert "1 school in de Achterhoek zoekt:" in unmet_broadcast_text(needs[1], "nl")
    assert "1 company in Rivierenland looks for:" in unmet_broadcast_text(needs[2], "en")


def test_chart_is_a_png_and_caption_fits_telegram() -> None:
    report = FunnelReport(
        overall=Funnel(3000, 2500, 1800, 900, 400, 250),
        by_region={r: Funnel(400, 300, 200, 100, 50, 20) for r in ("achterhoek", "foodvalley", "outside")},
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
