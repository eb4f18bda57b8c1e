import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from matching import cli

DEVSET = Path(__file__).parent / "data" / "devset.csv"
HEADER = "id,name,organisation,role,region,offers,needs,interests\n"
ROWS = (
    "a,Anna,Vmbo De Brug,vmbo,Doetinchem,snuffelstages,gastles over warmtepompen,energietransitie\n"
    "r,Ruud,Jansen Installatie BV,bedrijf,Achterhoek,"
    "gastlessen warmtepomp-installatie,stagiairs,warmtepompen\n"
    "c,Carla,Foodtech BV,company,Food Valley,excursie fabriek,stagiairs voedingstechnologie,food\n"
)


def run(tmp_path, content, *extra, encoding="utf-8"):
    path = tmp_path / "profiles.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding)
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(parser.parse_args(["--profiles", str(path), *extra]), out, err)
    return code, out.getvalue(), err.getvalue()


def test_json_has_exactly_the_documented_shape(tmp_path):
    code, out, err = run(tmp_path, "\ufeff" + HEADER + ROWS, "--format", "json", "--top", "2")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert list(data) == ["suggestions"]
    assert set(data["suggestions"]) == {"a", "r", "c"}
    for pid, items in data["suggestions"].items():
        assert len(items) <= 2
        scores = [item["score"] for item in items]
        assert scores == sorted(scores, reverse=True)
        for item in items:
            assert set(item) == {"id", "score", "reasons"}
            assert isinstance(item["id"], str) and item["id"] != pid
            assert isinstance(item["score"], float)
            assert all(isinstance(r, str) for r in item["reasons"]) and item["reasons"]
    assert data["suggestions"]["a"][0]["id"] == "r"
    assert data["suggestions"]["a"][0]["reasons"][0].startswith("need_offer: gastles over warmtepompen ↔ ")


def test_table_output_is_for_people(tmp_path):
    code, out, _ = run(tmp_path, HEADER + ROWS)
    assert code == 0
    assert "Anna (a, Vmbo De Brug)" in out and "1. Ruud" in out


def test_weekly_flag_gives_symmetric_pairs(tmp_path):
    code, out, _ = run(tmp_path, HEADER + ROWS, "--format", "json", "--weekly")
    assert code == 0
    data = json.loads(out)["suggestions"]
    for pid, items in data.items():
        for item in items:
            assert pid in [x["id"] for x in data[item["id"]]]


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (HEADER + ROWS + "x,Xavier,Org,school\n", 5),
        ("id,name\n", 1),
        (HEADER.encode() + b"a,Anna,Org,vmbo,Ede,caf\xe9,b,c\n", 2),
    ],
)
def test_bad_file_gives_one_line_error_and_no_output(tmp_path, content, line):
    code, out, err = run(tmp_path, content, "--format", "json")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and f"line {line}" in err


def test_missing_file_exit_2(tmp_path):
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    err = io.StringIO()
    assert cli.run(parser.parse_args(["--profiles", str(tmp_path / "nope.csv")]), io.StringIO(), err) == 2
    assert "cannot read" in err.getvalue()


def test_subprocess_on_the_dev_set():
    code = (
        "import argparse,sys; from matching import cli; p=argparse.ArgumentParser(); cli.add_arguments(p); "
        "sys.exit(cli.run(p.parse_args(sys.argv[1:]), sys.stdout, sys.stderr))"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code, "--profiles", str(DEVSET), "--format", "json", "--top", "3"],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": ""},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)["suggestions"]
    assert "p64" not in data  # inactive
    assert data and all(len(v) <= 3 for v in data.values())
