"""`/healthz` and `/metrics` in polling, webhook and worker mode, against the stand-in and a real database.

Each unhealthy condition is brought about for real: a message Telegram refuses (parked), messages held up
behind the per-chat pace (a backlog), a database that refuses connections (PostgreSQL) or whose file is
gone (SQLite), and a Bot API that stopped answering (polling).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text, update
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from bot import health
from bot.app import KoppelApplication, build_application
from bot.runner import polling, webhook, working
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from bot.standin.server import ApiCall, Fault
from storage import make_engine, outbox, session_scope, upgrade
from storage.db import normalise_url, sqlite_path
from storage.models import OutboxMessage, OutboxState
from storage.types import utcnow
from tests.bot.test_cli import koppelbot
from tests.bot.test_webhook import SECRET, free_port

MODES = ["polling", "webhook", "worker"]
REFUSED_CHAT = 42  # a chat that exists, sent a text Telegram refuses (400): the sender parks it at once
TOO_LONG = "x" * 5000


def refused_chat(standin: BotAPIStandIn) -> int:
    """A chat Telegram knows ("chat not found" is skipped, not parked: see the day-one test)."""
    standin.person(REFUSED_CHAT, "Niemand")
    return REFUSED_CHAT


@pytest.fixture
def private_url(empty_database_url: str) -> str:
    """A migrated database of this test alone (the test breaks it on purpose)."""
    upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def private_engine(private_url: str) -> Iterator[Engine]:
    engine = make_engine(private_url)
    yield engine
    engine.dispose()


def make_settings(standin: BotAPIStandIn, url: str, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=standin.token,
        telegram_api_base_url=standin.base_url,
        database_url=url,
        digest_grace_hours=0,
        health_port=0,
        **overrides,
    )


@contextlib.asynccontextmanager
async def running(
    mode: str, settings: Settings, engine: Engine
) -> AsyncIterator[tuple[KoppelApplication, int, int | None]]:
    """The bot in `mode`; yields it, its HEALTH_PORT and (webhook mode) the webhook server's port."""
    application = build_application(settings, engine=engine)
    if mode == "polling":
        serving: Any = polling(application, poll_timeout=1.0)
        webhook_port = None
    elif mode == "worker":
        serving = working(application)
        webhook_port = None
    else:
        webhook_port = free_port()
        url = f"http://127.0.0.1:{webhook_port}/telegram"
        serving = webhook(application, url=url, listen="127.0.0.1", port=webhook_port, secret=SECRET)
    async with serving:
        state = health.state_of(application)
        assert state is not None and state.port is not None
        yield application, state.port, webhook_port


async def get(port: int, path: str) -> tuple[int, str]:
    def fetch() -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=15) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode()

    return await asyncio.to_thread(fetch)


async def eventually(what: str, predicate: Any, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.1)


async def healthz_becomes(port: int, status: int, reason: str = "") -> str:
    """Wait until /healthz answers `status` (with `reason` in its body); returns the body."""
    seen: list[tuple[int, str]] = []

    async def check() -> bool:
        seen.append(await get(port, "/healthz"))
        return seen[-1][0] == status and reason in seen[-1][1]

    await eventually(f"/healthz never answered {status} {reason!r}; last: {seen[-1:]}", check)
    return seen[-1][1]


def states(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage.state).order_by(col(OutboxMessage.id))).all())


@contextlib.contextmanager
def database_gone(url: str, engine: Engine) -> Iterator[None]:
    """The database stops answering: PostgreSQL refuses connections, SQLite's file is gone."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        assert path is not None
        moved = [(p, p.with_name(p.name + ".away")) for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))]
        for source, target in moved:
            if source.exists():
                source.rename(target)
        path.mkdir()  # a directory where the file was: SQLite cannot open it (not even as root)
        engine.dispose()
        try:
            yield
        finally:
            path.rmdir()
            for source, target in moved:
                if target.exists():
                    target.rename(source)
            engine.dispose()
        return
    parsed = make_url(normalise_url(url))
    name = parsed.database
    admin = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        try:
            yield
        finally:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    admin.dispose()


@pytest.mark.parametrize("mode", MODES)
async def test_healthz_says_what_is_wrong_in_every_mode(
    mode: str, standin: BotAPIStandIn, private_url: str, private_engine: Engine
) -> None:
    # One message an hour per chat after a burst of two: the rest wait, as behind a stuck sender.
    settings = make_settings(standin, private_url, send_chat_interval_seconds=3600)
    async with running(mode, settings, private_engine) as (_application, port, webhook_port):
        assert await get(port, "/healthz") == (200, "ok")

        # Telegram refuses a message: it is parked, and /healthz says so until it is dealt with.
        with session_scope(private_engine) as session:
            outbox.enqueue(
                session, dedupe_key="refused", chat_id=refused_chat(standin), kind="test", text=TOO_LONG
            )
        body = await healthz_becomes(port, 503, "parked")
        assert body == "outbox: 1 parked message(s); an organiser can retry them with /outbox\n"
        if webhook_port is not None:  # the webhook server answers the same for the reverse proxy
            assert await get(webhook_port, "/healthz") == (503, body)
        with session_scope(private_engine) as session:
            session.execute(update(OutboxMessage).values(state=OutboxState.CANCELLED))
        await healthz_becomes(port, 200, "ok")

        # A backlog: four messages for one person, two go out, two wait for their turn.
        standin.person(4242)
        with session_scope(private_engine) as session:
            for index in range(4):
                outbox.enqueue(
                    session, dedupe_key=f"b{index}", chat_id=4242, kind="test", text=f"bericht {index}"
                )

        async def two_sent() -> bool:
            return len(standin.bot_messages(4242)) == 2 and states(private_engine).count("sent") == 2

        await eventually("two messages were not sent", two_sent)
        assert (await get(port, "/healthz"))[0] == 200  # waiting, but not for long yet
        with session_scope(private_engine) as session:
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.state).in_([OutboxState.PENDING, OutboxState.SENDING]))
                .values(created_at=utcnow() - dt.timedelta(minutes=30))
            )
        body = await healthz_becomes(port, 503, "waited")
        assert body == "outbox: the oldest due message has waited 30 min\n"
        with session_scope(private_engine) as session:
            session.execute(update(OutboxMessage).values(state=OutboxState.CANCELLED))
        await healthz_becomes(port, 200, "ok")

        # The database stops answering.
        with database_gone(private_url, private_engine):
            body = await healthz_becomes(port, 503, "database")
            assert body == "database: no answer (OperationalError)\n"
        await healthz_becomes(port, 200, "ok")


@pytest.mark.parametrize("mode", MODES)
async def test_only_polling_is_unhealthy_when_telegram_stops_answering(
    mode: str, standin: BotAPIStandIn, sqlite_file: str
) -> None:
    upgrade(sqlite_file)
    engine = make_engine(sqlite_file)
    settings = make_settings(standin, sqlite_file, health_updates_minutes=0.05)  # 3 seconds
    try:
        async with running(mode, settings, engine) as (_application, port, _webhook_port):
            assert await get(port, "/healthz") == (200, "ok")
            standin.stop()
            await asyncio.sleep(4)
            status, body = await get(port, "/healthz")
            if mode == "polling":
                assert status == 503
                assert body.startswith("updates: no getUpdates succeeded for ")
            else:  # no polling, nothing to miss
                assert (status, body) == (200, "ok")
            standin.start()
            await healthz_becomes(port, 200, "ok")
    finally:
        engine.dispose()


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_are_scraped_in_prometheus_format(standin: BotAPIStandIn, sqlite_file: str) -> None:
    upgrade(sqlite_file)
    engine = make_engine(sqlite_file)
    settings = make_settings(standin, sqlite_file)
    first_send = {"done": False}

    def one_429(call: ApiCall) -> Fault | None:
        if (
            call.method == "sendMessage"
            and call.params.get("text") == "uit de outbox"
            and not first_send["done"]
        ):
            first_send["done"] = True
            return Fault(429, retry_after=1)
        return None

    try:
        async with running("polling", settings, engine) as (_application, port, _):
            status, body = await get(port, "/metrics")
            assert status == 200
            before = samples(body)
            anna = standin.person(501, "Anna")
            anna.send("/start")
            await anna.reply()
            standin.fault = one_429
            with session_scope(engine) as session:
                outbox.enqueue(session, dedupe_key="m1", chat_id=501, kind="test", text="uit de outbox")
                outbox.enqueue(
                    session, dedupe_key="m2", chat_id=refused_chat(standin), kind="test", text=TOO_LONG
                )

            async def delivered() -> bool:
                return sorted(states(engine)) == ["parked", "sent"]

            await eventually("the outbox did not settle", delivered)
            status, body = await get(port, "/metrics")
            assert status == 200
            after = samples(body)
    finally:
        engine.dispose()

    def grew(name: str, labels: tuple[tuple[str, str], ...] = ()) -> float:
        return after[(name, labels)] - before.get((name, labels), 0.0)

    assert grew("koppelbot_updates_handled_total") >= 1
    assert grew("koppelbot_update_seconds_count") >= 1
    assert after[("koppelbot_update_seconds_sum", ())] > 0
    assert grew("koppelbot_outbox_sent_total") == 1
    assert grew("koppelbot_outbox_parked_total") == 1
    assert grew("koppelbot_telegram_rate_limited_total", (("source", "outbox"),)) == 1
    assert after[("koppelbot_outbox_messages", (("state", "parked"),))] == 1
    assert after[("koppelbot_outbox_messages", (("state", "pending"),))] == 0
    assert after[("koppelbot_database_up", ())] == 1
    assert after[("koppelbot_healthy", ())] == 0  # a parked message
    assert ("process_resident_memory_bytes", ()) in after or os.name != "posix"


async def test_koppelbot_health_asks_the_running_bot(
    tmp_path: Path, standin: BotAPIStandIn, sqlite_file: str
) -> None:
    upgrade(sqlite_file)
    engine = make_engine(sqlite_file)
    settings = make_settings(standin, sqlite_file)
    try:
        async with running("worker", settings, engine) as (_application, port, _):
            env = {"HEALTH_PORT": str(port), "HEALTH_LISTEN": "0.0.0.0", "DATABASE_URL": sqlite_file}
            healthy = await asyncio.to_thread(koppelbot, "health", cwd=tmp_path, env=env)
            assert (healthy.returncode, healthy.stdout) == (0, "ok\n")
            with session_scope(engine) as session:
                outbox.enqueue(
                    session, dedupe_key="refused", chat_id=refused_chat(standin), kind="test", text=TOO_LONG
                )
            await healthz_becomes(port, 503, "parked")
            unhealthy = await asyncio.to_thread(koppelbot, "health", cwd=tmp_path, env=env)
            assert unhealthy.returncode == 1
            assert (
                unhealthy.stdout == "outbox: 1 parked message(s); an organiser can retry them with /outbox\n"
            )
    finally:
        engine.dispose()
    gone = await asyncio.to_thread(koppelbot, "health", cwd=tmp_path, env={"HEALTH_PORT": str(port)})
    assert gone.returncode == 1
    assert gone.stderr.startswith(f"koppelbot: no answer from http://127.0.0.1:{port}/healthz")
    unset = await asyncio.to_thread(koppelbot, "health", cwd=tmp_path)
    assert unset.returncode == 2 and "HEALTH_PORT is not set" in unset.stderr
