"""`koppelbot demo`: the story through the real bot, the interactive mode under a pseudo-terminal, the data.

The story test asserts the beats a reader must see, so the demo cannot silently rot when the bot changes.
"""

from __future__ import annotations

import csv
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.demo import (
    COMMUNITY_CSV,
    PNG_SIGNATURE,
    demo_settings,
    demo_world,
    play_interactive,
    play_story,
    read_members,
)
from bot.demo.story import TEACHER, say, shown
from bot.demo.transcript import Actor, Transcript
from bot.standin import BotAPIStandIn
from bot.texts import Markup, t
from matching import REGIONS, load_profiles_csv

# One worker runs this module: the story (a module fixture) is played once.
pytestmark = pytest.mark.xdist_group("demo")

ROOT = Path(__file__).resolve().parents[2]
IMPORT_COLUMNS = (
    "id,name,organisation,role,region,offers,needs,interests,reach,telegram_id,consent,language".split(",")
)


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


# -- the sample community ---------------------------------------------------------------------------------
def test_the_community_is_in_the_import_format_and_spans_the_province() -> None:
    with COMMUNITY_CSV.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == IMPORT_COLUMNS
        rows = list(reader)
    assert 30 <= len(rows) <= 40
    profiles = load_profiles_csv(COMMUNITY_CSV.read_text(encoding="utf-8"))
    assert {p.region for p in profiles} == set(REGIONS) - {"gelderland", "outside"}  # all six regions
    assert {"school", "mbo", "hbo", "company", "coordinator", "government"} <= {p.role for p in profiles}
    organisations = " ".join(row["organisation"] for row in rows)
    assert "Techniekpact" in organisations and "Sterk Techniekonderwijs" in organisations
    assert "Provincie Gelderland" in organisations
    ids = [member.telegram_id for member in read_members()]
    assert len(ids) == len(rows) == len(set(ids))
    assert all(row["consent"] == "yes" and row["language"] in {"nl", "en"} for row in rows)


# -- settings and transcript ----------------------------------------------------------------------------
def test_demo_settings_ignore_the_environment_and_dotenv(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=999:real-token-from-dotenv\nTIMEZONE=Mars/Base\n")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot")
    monkeypatch.setenv("TIMEZONE", "Nowhere/Invalid")
    monkeypatch.setenv("NUDGE_DAYS", "not,numbers")
    with BotAPIStandIn() as standin:
        settings = demo_settings(standin, "sqlite:///demo.db")
    assert settings.telegram_api_base_url == standin.base_url
    assert settings.token == standin.token
    assert settings.timezone == "Europe/Amsterdam"
    assert settings.nudge_days == [3, 14, 30]


def test_transcript_shows_texts_buttons_edits_and_numbers() -> None:
    with BotAPIStandIn() as standin:
        standin.person(1, "Marieke")
        lines: list[str] = []
        transcript = Transcript(standin, lines.append, numbered_buttons=True)
        transcript.cast(Actor(1, "Marieke", "Marieke (docent vmbo, Achterhoek)"))
        transcript.typed(1, "/start")
        keyboard = {
            "inline_keyboard": [
                [{"text": "Ja", "callback_data": "a:1"}, {"text": "Nee", "callback_data": "a:0"}]
            ]
        }
        status, body = standin.handle(
            "sendMessage",
            {
                "chat_id": 1,
                "text": "<b>Welkom</b> &amp; hallo",
                "parse_mode": "HTML",
                "reply_markup": keyboard,
            },
        )
        assert status == 200
        transcript.flush()
        standin.handle(
            "editMessageText", {"chat_id": 1, "message_id": body["result"]["message_id"], "text": "Dank je"}
        )
        transcript.flush()
    text = "\n".join(lines)
    assert "📱 Marieke (docent vmbo, Achterhoek)\n   /start" in text
    assert "🤖 Koppelbot → Marieke\n   Welkom & hallo\n   [1] Ja  [2] Nee" in text
    assert "🤖 Koppelbot → Marieke (past het bericht aan)\n   Dank je" in text
    assert [choice.button["text"] for choice in transcript.choices] == ["Ja", "Nee"]


# -- the story ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, list[str]]]:
    """Play the story once, in-process, and hand the transcript to the tests below."""
    import asyncio

    chart = tmp_path_factory.mktemp("chart") / "stats.png"
    lines: list[str] = []

    async def play() -> list[str]:
        async with demo_world() as world:
            result = await play_story(world, lines.append, chart)
        return result.skipped

    skipped = asyncio.run(play())
    yield "\n".join(lines), chart, skipped


def test_story_starts_with_the_privacy_statement_and_consent(story) -> None:
    text, _, _ = story
    assert "📱 Marieke (docent vmbo, Achterhoek)\n   /start" in text
    assert "Privacy" in text
    assert "📱 Marieke (docent vmbo, Achterhoek)\n   👆 [ Akkoord, ga verder ]" in text


def test_story_fills_in_the_teachers_profile_through_the_questions(story) -> None:
    text, _, _ = story
    assert shown("onboarding.ask_name") in text
    assert "👆 [ vmbo / school ]" in text and "👆 [ Achterhoek ]" in text
    assert "gastles over warmtepompen; stageplaatsen installatietechniek voor leerlingen" in text
    assert shown("onboarding.summary_title") in text


def test_story_shows_a_suggestion_with_its_reason(story) -> None:
    text, _, skipped = story
    assert "Suggestie: Ruud Hendriksen" in text
    # The first reason names the need and the offer that fit (the transcript may wrap the line).
    flowing = " ".join(text.split())
    assert "Jij zoekt gastles over warmtepompen; Ruud biedt gastlessen over warmtepompen" in flowing


def test_story_introduces_both_after_both_said_yes(story) -> None:
    text, _, skipped = story
    assert "📱 Marieke (docent vmbo, Achterhoek)\n   👆 [ Ja, stel me voor ]" in text
    assert "📱 Ruud (Hendriksen Installatietechniek, Achterhoek)\n   👆 [ Ja, stel me voor ]" in text
    assert "🤖 Koppelbot → Marieke\n   🎉 Kennismaking: Ruud Hendriksen" in text
    # Ruud said yes second: his card became the introduction, under the news that both said yes.
    assert "🤖 Koppelbot → Ruud (past het bericht aan)\n   Jullie willen allebei!" in text
    assert "🎉 Kennismaking: Marieke Lubbers" in text


def test_story_nudges_days_later_and_notes_the_project(story) -> None:
    text, _, _ = story
    organisation = Markup(t("nl", "followup.organisation", organisation="Hendriksen Installatietechniek"))
    contact = shown("followup.contact_check", other="Ruud Hendriksen", organisation=organisation)
    project = shown("followup.project_check", other="Ruud Hendriksen", organisation=organisation)
    assert "Hebben jullie al contact gehad?" in contact and "gezamenlijk project gestart?" in project
    flat = " ".join(text.split())  # the transcript wraps long lines
    assert f"🤖 Koppelbot → Marieke {contact} [ Ja ] [ Nog niet ]" in flat
    assert "📱 Marieke (docent vmbo, Achterhoek) 👆 [ Ja ]" in flat
    assert f"🤖 Koppelbot → Marieke {project} [ Ja! ]" in flat
    assert "📱 Marieke (docent vmbo, Achterhoek) 👆 [ Ja! ]" in flat
    assert shown("followup.ask_project") in flat
    assert shown("followup.project_saved", description=TEACHER.project) in flat
    assert flat.index(contact) < flat.index(project)


def test_story_saves_the_organisers_chart_as_png(story) -> None:
    text, chart, _ = story
    assert "📱 Inge (organisator, provincie Gelderland)\n   /stats" in text
    assert "🖼  foto" in text
    assert "Project gestart: 2" in text  # people: both sides of the one project
    assert chart.read_bytes().startswith(PNG_SIGNATURE)
    # (A long path may wrap onto the next line of the transcript.)
    assert " ".join(say("chart_saved", path=str(chart)).split()) in " ".join(text.split())


def test_story_plays_every_beat_for_real(story) -> None:
    text, _, skipped = story
    assert skipped == []
    assert "nog niet beschikbaar" not in text
    assert "Traceback" not in text


# -- the interactive mode, in-process: a whole journey to an introduction and a nudge ------------------
def test_interactive_journey_to_an_introduction_and_a_nudge() -> None:
    """The reader onboards, says yes to the best suggestion, the sample person says yes too, days pass."""
    import asyncio

    lines: list[str] = []
    script: list[str | tuple[str]] = [
        "/start",
        ("Akkoord, ga verder",),
        "Sam de Boer",
        "Techniek College Doetinchem",
        ("vmbo / school",),
        ("Achterhoek",),
        ("maakt niet uit, overal",),
        "gastlessen over warmtepompen; stageplaatsen installatietechniek",
        ("Klaar",),
        "bedrijfsbezoek bij een installateur; gastdocent voor energietransitie",
        ("Klaar",),
        ("Klaar",),
        ("Klopt, laat suggesties zien",),
        ("Ja, stel me voor",),
        "/dagen 3",
    ]

    async def read_line() -> str | None:
        if not script:
            return None
        step = script.pop(0)
        if isinstance(step, str):
            return step
        since_prompt = "\n".join(lines).rsplit(say("prompt"), 2)[-2]  # what the last answer showed
        numbers = re.findall(r"\[(\d+)\] (?:✓ )?" + re.escape(step[0]), since_prompt)
        assert numbers, f"no numbered button {step[0]!r} in:\n{since_prompt[-2000:]}"
        return numbers[0]  # the first one: the best suggestion

    async def play() -> None:
        async with demo_world() as world:
            await play_interactive(world, lines.append, read_line)

    asyncio.run(play())
    text = "\n".join(lines)
    assert "📱 Jij\n   👆 [ Ja, stel me voor ]" in text
    # The best suggestion for a school in the Achterhoek that wants to visit an installer: a company there.
    first_card = text.split(say("prompt"))[-4]  # what the summary's "Klopt" answer showed
    chosen = re.search(r"Suggestie: (.+?)\n\s*(.+?) · bedrijf · Achterhoek$", first_card, re.MULTILINE)
    assert chosen, first_card
    name = chosen.group(1).strip()
    assert say("autopilot_yes", name=name.split()[0]) in text
    assert f"🎉 Kennismaking: {name}" in text
    assert "Hebben jullie al contact gehad?" in " ".join(text.split())
    assert text.rstrip().endswith(say("interactive_bye"))


# -- the command, as a person runs it --------------------------------------------------------------------
def test_demo_command_exits_0_ignores_settings_and_leaves_nothing_behind(tmp_path: Path) -> None:
    work = tmp_path / "work"
    scratch = tmp_path / "scratch"
    work.mkdir()
    scratch.mkdir()
    (work / ".env").write_text("TELEGRAM_BOT_TOKEN=123:from-dotenv\nDATABASE_URL=postgresql://nowhere/x\n")
    env = _clean_env(
        tmp_path,
        TMPDIR=str(scratch),
        TELEGRAM_BOT_TOKEN="999:not-a-real-token",
        TELEGRAM_API_BASE_URL="http://192.0.2.1:9/bot",
        DATABASE_URL="postgresql://nowhere/koppelbot",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Koppelbot-demo" in result.stdout
    assert "Klaar in" in result.stdout
    assert result.stderr == ""
    assert list(scratch.iterdir()) == []  # the throwaway folder is gone
    assert sorted(p.name for p in work.iterdir()) <= [".env", "koppelbot-demo-stats.png"]


def test_demo_keep_prints_the_folder_it_kept(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, TMPDIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--keep", "--chart", str(tmp_path / "c.png")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    kept = result.stdout.strip().splitlines()[-1].split(": ", 1)[1]
    assert Path(kept).parent == tmp_path
    assert (Path(kept) / "koppelbot.db").is_file()


# -- the interactive mode, under a pseudo-terminal ------------------------------------------------------
class _Terminal:
    """A child process on a pseudo-terminal: write lines, read until some text appears."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.fd, child = pty.openpty()
        self.process = subprocess.Popen(args, cwd=cwd, env=env, stdin=child, stdout=child, stderr=child)
        os.close(child)
        self.output = ""
        self.seen = ""

    def expect(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} did not appear; the terminal shows:\n{self.output[-3000:]}")
            ready, _, _ = select.select([self.fd], [], [], min(remaining, 0.5))
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk and self.process.poll() is not None:
                    raise AssertionError(f"the demo ended before {text!r}:\n{self.output[-3000:]}")
                self.output += chunk.decode("utf-8", errors="replace")
        start = self.output.index(text)
        seen, self.output = self.output[: start + len(text)], self.output[start + len(text) :]
        self.seen += seen
        return seen

    def number_of(self, label: str) -> str:
        """The number the demo shows for the button `label` (in what was read so far)."""
        found = re.findall(r"\[(\d+)\] " + re.escape(label), self.seen)
        assert found, f"no numbered button {label!r} in:\n{self.seen[-2000:]}"
        return found[-1]

    def type(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def close(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            os.close(self.fd)


def test_interactive_demo_under_a_pseudo_terminal(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, TMPDIR=str(tmp_path))
    terminal = _Terminal([sys.executable, "-m", "bot", "demo", "--interactive"], tmp_path, env)
    try:
        terminal.expect(say("prompt"))
        terminal.type("/start")
        terminal.expect("[1] Akkoord, ga verder")
        terminal.expect(say("prompt"))
        terminal.type(terminal.number_of("Akkoord, ga verder"))
        terminal.expect("👆 [ Akkoord, ga verder ]")
        terminal.expect(shown("onboarding.ask_name"))
        terminal.expect(say("prompt"))
        terminal.type("Sam de Boer")
        terminal.expect(shown("onboarding.ask_organisation"))
        terminal.expect(say("prompt"))
        terminal.type("/quit")
        terminal.expect(say("interactive_bye"))
    finally:
        code = terminal.close()
    assert code == 0
    assert not any(path.name.startswith("koppelbot-demo-") for path in tmp_path.iterdir())


def test_interactive_demo_ends_cleanly_at_end_of_input(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--interactive"],
        cwd=tmp_path,
        env=_clean_env(tmp_path, TMPDIR=str(tmp_path)),
        input="/start\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "[1] Akkoord, ga verder" in result.stdout
    assert say("interactive_bye") in result.stdout
