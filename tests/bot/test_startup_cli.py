"""What an operator sees when the start goes wrong: one line, exit code 1, no traceback, no password; one-shot
commands that refuse to create a database; private files; a bot that waits for the Bot API to come back."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.standin import BotAPIStandIn
from storage.db import normalise_url
from storage.migrate import head_revision
from tests.bot.test_cli import koppelbot
from tests.botprocess import BotProcess

ONE_SHOT = [
    ("status",),
    ("db", "current"),
    ("import", "--profiles", "people.csv"),
    ("export", "--out", "out.csv"),
    ("retention", "--dry-run"),
    ("digest",),
    ("broadcast", "--text", "hallo"),
    ("invites", "--out", "links.csv"),
]
PRIVACY = {"PRIVACY_CONTROLLER": "Provincie", "PRIVACY_CONTACT": "privacy@example.org"}
PROFILES = "id,name,organisation,role,region,offers,needs,interests\n1,Bo,X,school,Ede,,stages,\n"


def one_line_failure(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return str(lines[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def with_password(url: str, password: str) -> str:
    return make_url(normalise_url(url)).set(password=password).render_as_string(hide_password=False)


@pytest.mark.parametrize("args", [("status",), ("db", "upgrade"), ("db", "current")])
def test_a_postgresql_database_that_does_not_exist_is_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    admin = os.environ.get("TEST_DATABASE_URL")
    if not admin:
        pytest.skip("TEST_DATABASE_URL is not set")
    url = make_url(normalise_url(with_password(admin, "s3cret-pw"))).set(database="doesnotexist_kb")
    result = koppelbot(*args, cwd=tmp_path, env={"DATABASE_URL": url.render_as_string(hide_password=False)})
    line = one_line_failure(result)
    assert line.startswith("koppelbot: cannot use the database postgresql+psycopg://")
    assert "doesnotexist_kb" in line and "s3cret-pw" not in line and "***" in line


@pytest.mark.parametrize("args", [("status",), ("db", "upgrade"), ("db", "current"), ("run",)])
def test_postgresql_that_does_not_answer_is_one_line_without_the_password(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    url = f"postgresql://koppel:s3cret-pw@127.0.0.1:{free_port()}/koppelbot"
    env = {"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35} | PRIVACY
    line = one_line_failure(koppelbot(*args, cwd=tmp_path, env=env))
    assert line.startswith("koppelbot: cannot use the database postgresql+psycopg://koppel:***@127.0.0.1:")
    assert "s3cret-pw" not in line and "refused" in line.lower()


@pytest.mark.parametrize("args", [("status",), ("db", "upgrade"), ("db", "current"), ("run",)])
def test_an_sqlite_file_in_a_folder_that_does_not_exist_is_one_line(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    missing = tmp_path / "nonexist" / "dir"
    env = {
        "DATABASE_URL": f"sqlite:///{missing / 'k.db'}",
        "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
    } | PRIVACY
    line = one_line_failure(koppelbot(*args, cwd=tmp_path, env=env))
    assert str(missing) in line
    assert not missing.exists()  # nothing was created on the way


@pytest.mark.parametrize("args", ONE_SHOT, ids=lambda args: " ".join(args[:2]))
def test_one_shot_commands_refuse_a_missing_sqlite_file(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "people.csv").write_text(PROFILES)
    env = {"TELEGRAM_BOT_USERNAME": "koppel_test_bot"}
    line = one_line_failure(koppelbot(*args, cwd=tmp_path, env=env))
    path = tmp_path / "koppelbot.db"
    assert line == (
        f"koppelbot: no database at {path.resolve()}; run `koppelbot db upgrade` first or set DATABASE_URL"
    )
    assert not path.exists() and not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("args", ONE_SHOT[2:], ids=lambda args: " ".join(args[:2]))
def test_every_one_shot_summary_names_its_database(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "people.csv").write_text(PROFILES)
    url = f"sqlite:///{tmp_path / 'k.db'}"
    env = {"DATABASE_URL": url, "TELEGRAM_BOT_USERNAME": "koppel_test_bot"}
    assert koppelbot("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    result = koppelbot(*args, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Database: {url}" in result.stdout.splitlines()
    assert result.stderr == ""  # no stray INFO line beside the summary


def test_db_upgrade_and_retention_print_no_info_lines(tmp_path: Path) -> None:
    env = {"LOG_LEVEL": "INFO"}
    for args in (("db", "upgrade"), ("retention",), ("db", "upgrade")):
        result = koppelbot(*args, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", result.stderr


def test_export_and_backup_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_USERNAME": "koppel_test_bot"}
    assert koppelbot("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    (tmp_path / "old.csv").write_text("left from before")
    (tmp_path / "old.csv").chmod(0o644)
    for args in (
        ("export", "--out", "out.csv"),
        ("export", "--out", "old.csv"),
        ("invites", "--out", "links.csv"),
        ("db", "backup", "backup.db"),
    ):
        result = koppelbot(*args, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        written = tmp_path / args[-1]
        assert stat.S_IMODE(written.stat().st_mode) == 0o600, args


@pytest.mark.parametrize("command", ["run", "worker"])
def test_the_bot_waits_for_an_unreachable_bot_api_and_starts_when_it_is_back(
    tmp_path: Path, command: str
) -> None:
    late = BotAPIStandIn(port=free_port())  # not listening yet
    env = {
        "TELEGRAM_BOT_TOKEN": late.token,
        "TELEGRAM_API_BASE_URL": late.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "LOG_LEVEL": "INFO",
    }
    with BotProcess(command, env=env, cwd=tmp_path) as process:
        process.wait_for_output("retrying in 1.0s", timeout=60)
        assert process.process is not None and process.process.poll() is None
        with late:
            process.wait_for_output("press Ctrl+C to stop", timeout=60)
            assert late.calls_to("getMe")
            assert process.terminate() == 0
    output = process.output
    assert "Traceback" not in output
    tries = [line for line in output.splitlines() if "connecting to the Bot API (getMe) failed" in line]
    assert len(tries) >= 2  # one line a try


def test_health_loads_neither_the_bot_nor_the_database_libraries(tmp_path: Path) -> None:
    """`koppelbot health` is Docker's HEALTHCHECK every 30 s, on a Pi too: stdlib urllib and the settings."""
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "code = main(['health'])\n"
        "heavy = {'sqlalchemy', 'sqlmodel', 'telegram', 'tornado', 'storage', 'matching', 'alembic'}\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    environment |= {"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "HEALTH_PORT": str(free_port())}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "1 []", result.stdout + result.stderr
    assert "no answer from http://127.0.0.1:" in result.stderr


def test_the_status_example_in_the_docs_has_the_real_shape(tmp_path: Path) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    example = docs.split("reads the database (works while the bot runs, and when it is down):\n\n```\n")[1]
    documented = example.split("```")[0].splitlines()
    assert koppelbot("db", "upgrade", cwd=tmp_path).returncode == 0
    result = koppelbot("status", cwd=tmp_path, env={"TIMEZONE": "Europe/Amsterdam"})
    real = result.stdout.splitlines()
    assert [line[:22] for line in documented] == [line[:22] for line in real]
    assert documented[2][22:] == real[2][22:] == f"{head_revision()} (the newest)"
    for line in documented[5:]:
        assert re.fullmatch(
            r".{22}(.*, finished )?\d{4}-\d\d-\d\d \d\d:\d\d Europe/Amsterdam \(.* ago\)", line
        )
