"""The organiser's command line: import, export, invites and broadcast (import as a real subprocess)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.cli import main
from storage import make_engine, upgrade
from storage.events import unused_invitations
from storage.models import Broadcast, Invitation, OutboxMessage, Participant, ParticipantEvent, ProfileItem
from storage.scope import Scope
from tests.bot.test_cli import koppelbot

PROFILES = "\n".join(
    [
        "id,name,organisation,role,region,offers,needs,interests,reach,telegram_id,consent,language,email,event,x",
        "1,Ruud Jansen,Installatiebedrijf Jansen,bedrijf,Doetinchem,gastlessen warmtepompen;stageplekken,,"
        "energietransitie,,501,yes,nl,,ede-2022,extra",
        '2,Anna de Vries,Het Assink Lyceum,vmbo,Achterhoek,,"gastlessen;bedrijfsbezoek; excursie",techniek,'
        "eigen regio,,,nl,anna@example.org,ede-2022,",
        '3,Zoë Ünal,"Techniekpact ""Oost""",coordinator,Arnhem,,,netwerk,,,no,en,zoe@example.org,,',
        "4,,Naamloos BV,bedrijf,Tiel,lasrobots,,,,,,,,,",
        "5,Piet,Bedrijf,bedrijf,Ede,cnc,,,,abc,yes,,,,",
        "6,Kees,Bedrijf,bedrijf,Ede,cnc,,,nergens,,,,,,",
        "7,Eva,School,school,Ede,,stages,,,,,,geen-email,,",
        "1,Dubbel,X,school,Ede,,stages,,,,,,,,",
        "",
    ]
)


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def inprocess(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run `koppelbot ...` in this process (fast); the import test runs it as a real subprocess."""

    # Logging set-up replaces the root handlers; in-process that would take them from pytest.
    monkeypatch.setattr("bot.cli._common.configure_logging", lambda *args, **kwargs: None)

    def run(*args: str, cwd: Path, env: dict[str, str]) -> Result:
        monkeypatch.chdir(cwd)
        for key in [k for k in os.environ if k.startswith(("TELEGRAM_", "DATABASE_URL"))]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run


def _env(tmp_path: Path) -> dict[str, str]:
    """A migrated database (one-shot commands refuse to create one)."""
    url = f"sqlite:///{tmp_path / 'k.db'}"
    upgrade(url)
    return {"DATABASE_URL": url, "TELEGRAM_BOT_USERNAME": "koppel_test_bot"}


def test_import_reports_bad_rows_by_line_and_is_idempotent(tmp_path: Path) -> None:
    (tmp_path / "profiles.csv").write_text(PROFILES, encoding="utf-8")
    env = _env(tmp_path)
    first = koppelbot("import", "--profiles", "profiles.csv", cwd=tmp_path, env=env)
    assert first.returncode == 1, first.stderr
    out = first.stdout
    assert "Participants: 1 new" in out and "Invitations: 2 new" in out
    assert "profiles.csv:5: empty name" in out
    assert "profiles.csv:6: telegram_id 'abc' is not a number" in out
    assert "profiles.csv:7: unknown reach 'nergens'" in out
    assert "profiles.csv:8: email address is not valid" in out
    assert "profiles.csv:9: duplicate id '1' (first on line 2)" in out
    second = koppelbot("import", "--profiles", "profiles.csv", cwd=tmp_path, env=env)
    assert second.returncode == 1
    assert "Participants: 0 new, 1 already there. Invitations: 0 new, 2 already there." in second.stdout
    engine = make_engine(env["DATABASE_URL"])
    with Session(engine) as session:
        ruud = session.exec(select(Participant)).one()
        assert ruud.telegram_id == 501 and ruud.chat_id == 501 and ruud.consent_at is not None
        assert ruud.role == "company" and ruud.region == "achterhoek" and ruud.status == "active"
        items = session.exec(select(ProfileItem).order_by(ProfileItem.id)).all()
        assert [(i.kind, i.text) for i in items] == [
            ("offer", "gastlessen warmtepompen"),
            ("offer", "stageplekken"),
            ("theme", "energietransitie"),
        ]
        assert all(i.normalised for i in items)
        assert len(session.exec(select(ParticipantEvent)).all()) == 1
        invitations = session.exec(select(Invitation).order_by(Invitation.id)).all()
        assert [i.name for i in invitations] == ["Anna de Vries", "Zoë Ünal"]
        anna = invitations[0]
        assert anna.prefill["needs"] == ["gastlessen", "bedrijfsbezoek", "excursie"]
        assert anna.prefill["reach"] == "own" and anna.event_id is not None and anna.expires_at is not None
    engine.dispose()


def test_a_clean_file_exits_zero(tmp_path: Path, inprocess) -> None:
    koppelbot = inprocess
    header = "id,name,organisation,role,region,offers,needs,interests\n"
    (tmp_path / "ok.csv").write_text(header + "a,Bea,School,school,Tiel,,stages,\n", encoding="utf-8")
    result = koppelbot("import", "--profiles", "ok.csv", cwd=tmp_path, env=_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    missing = koppelbot("import", "--profiles", "nope.csv", cwd=tmp_path, env=_env(tmp_path))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_invites_and_export_write_excel_csv(tmp_path: Path, inprocess) -> None:
    koppelbot = inprocess
    (tmp_path / "profiles.csv").write_text(PROFILES, encoding="utf-8")
    env = _env(tmp_path)
    koppelbot("import", "--profiles", "profiles.csv", cwd=tmp_path, env=env)
    result = koppelbot("invites", "--out", "links.csv", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    data = (tmp_path / "links.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert [row["name"] for row in rows] == ["Anna de Vries", "Zoë Ünal"]
    assert rows[0]["email"] == "anna@example.org"
    token = rows[0]["link"].removeprefix("https://t.me/koppel_test_bot?start=")
    assert 20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()
    assert rows[0]["link"] != rows[1]["link"]

    exported = koppelbot("export", "--out", "export.csv", cwd=tmp_path, env=env)
    assert exported.returncode == 0, exported.stderr
    text = (tmp_path / "export.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [(r["record"], r["name"]) for r in rows] == [("participant", "Ruud Jansen")]
    assert rows[0]["offers"] == "gastlessen warmtepompen; stageplekken"


def test_invites_need_a_username(tmp_path: Path, inprocess) -> None:
    koppelbot = inprocess
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    result = koppelbot("invites", "--out", "links.csv", cwd=tmp_path, env=env)
    assert result.returncode == 2 and "TELEGRAM_BOT_USERNAME" in result.stderr


def test_broadcast_asks_for_yes_then_only_enqueues(tmp_path: Path, inprocess) -> None:
    koppelbot = inprocess
    (tmp_path / "profiles.csv").write_text(PROFILES, encoding="utf-8")
    env = _env(tmp_path)
    koppelbot("import", "--profiles", "profiles.csv", cwd=tmp_path, env=env)
    dry = koppelbot(
        "broadcast", "--text", "Hallo <allemaal>", "--region", "achterhoek", cwd=tmp_path, env=env
    )
    assert dry.returncode == 0 and "1 recipients" in dry.stdout and "--yes" in dry.stdout
    engine = make_engine(env["DATABASE_URL"])
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []
    sent = koppelbot(
        "broadcast", "--text", "Hallo <allemaal>", "--region", "Achterhoek", "--event", "ede-2022", "--yes",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "queued for 1 recipients" in sent.stdout
    again = koppelbot("broadcast", "--text", "x", "--region", "Mars", cwd=tmp_path, env=env)
    assert again.returncode == 2 and "unknown region" in again.stderr
    with Session(engine) as session:
        row = session.exec(select(OutboxMessage)).one()
        broadcast = session.exec(select(Broadcast)).one()
        assert row.payload["text"] == "Hallo &lt;allemaal&gt;" and row.chat_id == 501
        assert row.dedupe_key == f"broadcast:{broadcast.id}:{row.participant_id}"
        assert broadcast.status == "sending" and broadcast.total == 1
    engine.dispose()


def test_invites_unused_lists_every_unused_invitation_and_renews_expired_links(
    tmp_path: Path, inprocess
) -> None:
    koppelbot = inprocess
    (tmp_path / "profiles.csv").write_text(PROFILES, encoding="utf-8")
    env = _env(tmp_path)
    koppelbot("import", "--profiles", "profiles.csv", cwd=tmp_path, env=env)
    engine = make_engine(env["DATABASE_URL"])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    with Session(engine) as session:
        zoe = session.exec(select(Invitation).where(Invitation.name == "Zoë Ünal")).one()
        zoe.expires_at = past  # the reminder comes late: her link expired
        session.add(zoe)
        session.add(Invitation(token="used-one", name="Used", email="u@example.org", used_at=past))
        session.commit()
    current = koppelbot("invites", "--out", "links.csv", cwd=tmp_path, env=env)
    assert current.returncode == 0
    links = (tmp_path / "links.csv").read_bytes().decode("utf-8-sig")
    assert [row["name"] for row in csv.DictReader(io.StringIO(links), delimiter=";")] == ["Anna de Vries"]

    result = koppelbot("invites", "--unused", "--out", "unused.csv", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "2 invitations not used yet (1 had expired and are valid again until" in result.stdout
    text = (tmp_path / "unused.csv").read_bytes().decode("utf-8-sig")
    assert text.startswith("name;email;organisation;region;event;link;invited;expires")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [row["name"] for row in rows] == ["Anna de Vries", "Zoë Ünal"]
    anna, zoe_row = rows
    assert anna["email"] == "anna@example.org" and anna["region"] == "achterhoek"
    assert anna["event"] == "ede-2022" and anna["organisation"] == "Het Assink Lyceum"
    assert zoe_row["link"].startswith("https://t.me/koppel_test_bot?start=")
    with Session(engine) as session:
        renewed = session.exec(select(Invitation).where(Invitation.name == "Zoë Ünal")).one()
        assert renewed.expires_at is not None and renewed.expires_at > dt.datetime.now(dt.UTC)
        ttl = dt.timedelta(days=30)
        in_region = unused_invitations(session, scope=Scope(region="arnhem-nijmegen"), renew_ttl=ttl)
        at_event = unused_invitations(session, scope=Scope(event_code="ede-2022"), renew_ttl=ttl)
        elsewhere = unused_invitations(session, scope=Scope(region="foodvalley"), renew_ttl=ttl)
    assert [i.name for i in in_region] == ["Zoë Ünal"] and [i.name for i in at_event] == ["Anna de Vries"]
    assert elsewhere == []
    assert zoe_row["expires"] == renewed.expires_at.astimezone(ZoneInfo("Europe/Amsterdam")).strftime(
        "%Y-%m-%d"
    )
    engine.dispose()
