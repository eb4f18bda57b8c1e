"""The deployment kit (systemd units, Dockerfile, compose.yaml), checked as far as this machine allows.

There is no container engine on the build machines: nothing here builds or runs an image. What is checked:
the files parse, run commands that exist, set only settings that exist, keep secrets out of the image,
and agree with the README and docs/operations.md. `systemd-analyze verify` runs where systemd is installed;
elsewhere the same test makes the weaker checks only (it never skips).
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from bot.cli import SUBCOMMANDS
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = ["koppelbot.service", "koppelbot-backup.service", "koppelbot-backup.timer"]
SETTINGS = {name.upper() for name in Settings.model_fields}
COMMANDS = {name for name, _ in SUBCOMMANDS}
VENV_KOPPELBOT = "/opt/koppelbot/.venv/bin/koppelbot"


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text())
    return parser


def koppelbot_commands(text: str) -> list[str]:
    """The subcommand of every `koppelbot ...` invocation written as a command (in code, after a path)."""
    return re.findall(r"(?:bin/|`|exec bot |\$ )koppelbot ([a-z][a-z-]*)", text)


def test_the_service_restarts_by_itself_as_an_unprivileged_user() -> None:
    service = unit("koppelbot.service")["Service"]
    assert service["Restart"] == "always"
    assert service["User"] == "koppelbot" and service["Group"] == "koppelbot"
    assert service["WorkingDirectory"] == "/var/lib/koppelbot"
    assert service["EnvironmentFile"] == "/etc/koppelbot/koppelbot.env"
    assert service["ExecStart"] == f"{VENV_KOPPELBOT} run"
    assert service["ReadWritePaths"] == service["WorkingDirectory"]
    assert unit("koppelbot.service")["Install"]["WantedBy"] == "multi-user.target"
    backup = unit("koppelbot-backup.service")["Service"]
    assert backup["User"] == "koppelbot" and backup["UMask"] == "0077"
    assert f"{VENV_KOPPELBOT} db backup" in backup["ExecStart"]
    assert unit("koppelbot-backup.timer")["Timer"]["Persistent"] == "true"
    for name in ("koppelbot.service", "koppelbot-backup.service"):
        commands = koppelbot_commands(unit(name)["Service"]["ExecStart"])
        assert commands and set(commands) <= COMMANDS, commands


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` with ExecStart pointed at this checkout's koppelbot (it must exist)."""
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        (tmp_path / name).write_text(
            text.replace(VENV_KOPPELBOT, str(Path(sys.executable).parent / "koppelbot"))
        )
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # no systemd here: the parsing checks above are what can be checked
        assert all(unit(name).sections() for name in UNITS)
        return
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    complaints = [line for line in result.stderr.splitlines() if "koppelbot" in line]
    assert complaints == [], result.stderr


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_the_dockerfile_runs_koppelbot_as_a_non_root_user_with_data_on_a_volume() -> None:
    instructions = dockerfile()
    keywords = [keyword for keyword, _ in instructions]
    assert instructions[0][0] == "FROM" and re.fullmatch(r"python:3\.1[1-9]-slim", instructions[0][1])
    user = instructions[keywords.index("USER")][1]
    assert user not in ("root", "0")
    assert keywords.index("USER") < keywords.index("CMD")
    assert "/data" in instructions[keywords.index("VOLUME")][1]
    healthcheck = instructions[keywords.index("HEALTHCHECK")][1]
    assert healthcheck.endswith('CMD ["koppelbot", "health"]')
    assert instructions[-1] == ("CMD", '["koppelbot", "run"]')
    for keyword, arguments in instructions:
        if keyword == "COPY":
            *sources, _target = arguments.split()
            assert all((ROOT / source).exists() for source in sources), arguments
        if keyword == "ENV":
            for name in re.findall(r"([A-Z][A-Z0-9_]+)=", arguments):
                assert name in SETTINGS or name.startswith(("PYTHON", "PIP_")), name
        if keyword == "RUN" and "pip install" in arguments:
            assert "-c constraints.txt" in arguments  # the tested versions
    assert any(keyword == "ENV" and "HEALTH_PORT=8080" in arguments for keyword, arguments in instructions)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "*.db", ".venv", ".git"} <= set(ignored)


def test_compose_runs_sqlite_by_default_and_postgresql_with_a_worker_as_a_profile() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    default = [name for name, service in services.items() if not service.get("profiles")]
    assert default == ["bot"]
    assert {name for name, service in services.items() if "postgres" in service.get("profiles", [])} == {
        "worker",
        "postgres",
    }
    for name in ("bot", "worker"):
        service = services[name]
        assert service["command"][0] == "koppelbot" and service["command"][1] in COMMANDS
        assert service["restart"] == "unless-stopped"
        assert service["env_file"] == ".env"
        for variable in service.get("environment", {}):
            assert variable in SETTINGS, variable
    assert services["bot"]["command"] == ["koppelbot", "run"]
    assert services["worker"]["command"] == ["koppelbot", "worker"]
    assert "koppelbot-data:/data" in services["bot"]["volumes"]
    assert services["worker"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["bot"]["depends_on"]["postgres"]["required"] is False
    assert set(compose["volumes"]) == {"koppelbot-data", "postgres-data"}


def test_readme_and_operations_guide_name_the_same_commands_and_paths() -> None:
    readme = (ROOT / "README.md").read_text()
    guide = (ROOT / "docs" / "operations.md").read_text()
    for text in (readme, guide):
        assert "docker compose up -d" in text
        assert "sudo systemctl enable --now koppelbot" in text
        assert "/etc/koppelbot/koppelbot.env" in text
    assert "docker compose --profile postgres up -d" in guide
    assert "systemctl enable --now koppelbot-backup.timer" in guide
    assert "not run" in guide  # says plainly what was not tried on a real container engine
    for text in (readme, guide):
        commands = koppelbot_commands(text)
        assert {"run", "status", "demo"} & set(commands) and set(commands) <= COMMANDS, commands
    for setting in re.findall(r"\b(HEALTH_[A-Z_]+|LOG_FORMAT|DEFAULT_LANGUAGE)\b", readme + guide):
        assert setting in SETTINGS, setting


def test_the_licence_file_and_the_package_metadata_agree() -> None:
    metadata = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert metadata["license"] == {"text": "MIT"}
    lines = (ROOT / "LICENSE").read_text().splitlines()
    assert lines[0] == "MIT License"
    assert lines[2].startswith("Copyright (c) ")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in (ROOT / "LICENSE").read_text()
