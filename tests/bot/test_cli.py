"""The `koppelbot` command as a person runs it: a real subprocess, a fresh working directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.cli import SUBCOMMANDS
from storage import make_engine

ROOT = Path(__file__).resolve().parents[2]


def koppelbot(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    environment["PYTHONPATH"] = str(ROOT)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_without_token_stops_with_one_clear_line(tmp_path: Path) -> None:
    result = koppelbot("run", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0] and "@BotFather" in lines[0] and "koppelbot demo" in lines[0]
    assert "Traceback" not in result.stderr


def test_malformed_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = koppelbot("db", "upgrade", cwd=tmp_path, env={"ORGANISER_IDS": "12,twelve"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("koppelbot: setting ORGANISER_IDS is invalid")
    assert len(result.stderr.strip().splitlines()) == 1


def test_db_upgrade_builds_the_default_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    result = koppelbot("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'koppelbot.db'}")
    assert "participant" in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.postgres
def test_db_upgrade_builds_an_empty_postgresql_database(tmp_path: Path, migrated_urls) -> None:
    url = migrated_urls("postgresql")  # creates (and later drops) a database of this test session
    result = koppelbot("db", "upgrade", cwd=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    engine = make_engine(url)
    assert "outbox" in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize("command", [name for name, _ in SUBCOMMANDS])
def test_every_subcommand_has_help(tmp_path: Path, command: str) -> None:
    result = koppelbot(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: koppelbot " + command)


def test_koppelbot_match_words_the_reasons_from_the_dutch_catalogue(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles.csv"
    profiles.write_text(
        "id,name,organisation,role,region,offers,needs,interests\n"
        "a,Anna de Wit,Vmbo De Brug,vmbo,Doetinchem,snuffelstages,gastles over warmtepompen,energie\n"
        "r,Ruud Jansen,Jansen BV,bedrijf,Ede,gastlessen over warmtepompen,stagiairs,energie\n",
        encoding="utf-8",
    )
    result = koppelbot("match", "--profiles", str(profiles), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Jij zoekt gastles over warmtepompen; Ruud biedt gastlessen over warmtepompen." in result.stdout
    assert "Jij werkt in de Achterhoek, Ruud in de FoodValley." in result.stdout
    english = koppelbot("match", "--profiles", str(profiles), "--language", "en", cwd=tmp_path)
    assert "You work in the Achterhoek, Ruud in FoodValley." in english.stdout
