"""End to end with a frozen clock: activity is recorded, the running bot's daily pass warns a month ahead,
"Ik doe nog mee" keeps a person, and silence ends in the same erasure as /delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

from bot.app import KoppelApplication, build_application
from bot.clock import Clock
from bot.runner import polling
from bot.services.retention import months_before
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.db import normalise_url
from storage.models import ItemKind, JobRun, OutboxMessage, Participant, ParticipantStatus
from storage.participants import add_items, create_participant
from storage.privacy import find_values, scrub_files

T = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in Amsterdam
DAY = dt.timedelta(days=1)


async def daily_pass(application: KoppelApplication) -> None:
    """Run the retention job the bot scheduled, now (as its hourly trigger would)."""
    assert application.job_queue is not None
    (job,) = application.job_queue.get_jobs_by_name("retention")
    await job.run(application)


def readable_in_database_files(engine: Engine, database_url: str, needles: list[str]) -> list[str]:
    """The needles whose UTF-8 bytes are in the database's files: SQLite's file and WAL; PostgreSQL's data
    files of every table, index and TOAST table (after a CHECKPOINT wrote the buffers out)."""
    if engine.dialect.name == "sqlite":
        path = Path(make_url(normalise_url(database_url)).database or "")
        raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))
            files = conn.execute(
                text(
                    "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') "
                    "UNION SELECT pg_relation_filepath(c.reltoastrelid) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.reltoastrelid <> 0"
                )
            ).scalars()
            raw = b"".join(
                conn.execute(text("SELECT pg_read_binary_file(:f)"), {"f": f}).scalar_one()
                for f in files
                if f
            )
    return [needle for needle in needles if needle.encode() in raw]


def seed(engine, telegram_id: int, name: str, *, active: dt.datetime, **fields: object) -> int:
    with session_scope(engine) as session:
        person = create_participant(
            session, telegram_id=telegram_id, chat_id=telegram_id, language="nl", now=active - 30 * DAY
        )
        person.name, person.organisation, person.role, person.region = (
            name,
            f"{name} BV",
            "company",
            "achterhoek",
        )
        person.profile_completed_at, person.last_seen_at = active - 30 * DAY, active
        for key, value in fields.items():
            setattr(person, key, value)
        add_items(session, participant=person, kind=ItemKind.OFFER, texts=[(f"stageplekken bij {name}", "x")])
        assert person.id is not None
        return person.id


def participant(engine, participant_id: int) -> Participant:
    with Session(engine) as session:
        found = session.get(Participant, participant_id)
        assert found is not None
        return found


@asynccontextmanager
async def running(settings: Settings, engine, clock: Clock) -> AsyncIterator[KoppelApplication]:
    application = build_application(settings, engine=engine, clock=clock)
    async with polling(application, poll_timeout=0.5):
        yield application


async def test_a_month_ahead_warning_and_one_tap_to_stay(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    wendela_id = seed(engine, 701, "Wendela Wacht", active=months_before(T, 11) - DAY)
    wendela = standin.person(701, "Wendela", language_code="nl")
    clock = Clock(T)
    async with running(settings, engine, clock) as application:
        await daily_pass(application)
        warning = await wendela.reply(timeout=15)
        assert "Doe je nog mee met Koppelbot?" in warning.plain_text and "2-4-2026" in warning.plain_text
        assert warning.button_texts == ["Ik doe nog mee"]
        forged = wendela.press_data("ret:erase", warning)
        await standin.wait_until(lambda: forged in standin.callback_answers)
        assert "verlopen" in standin.callback_answers[forged]["text"]
        wendela.press("Ik doe nog mee", warning)
        await standin.wait_until(lambda: "Fijn dat je meedoet" in wendela.last.plain_text)
        seen = participant(engine, wendela_id).last_seen_at
        assert seen is not None and abs(seen - clock.now()) < dt.timedelta(minutes=1)
        # A month later the pass runs again: she stays, nothing erased, no second warning.
        clock.advance(31 * DAY)
        await daily_pass(application)
        assert participant(engine, wendela_id).status == ParticipantStatus.ACTIVE
        assert participant(engine, wendela_id).name == "Wendela Wacht"
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage.kind).where(OutboxMessage.kind == "retention")).all() == [
            "retention"
        ]  # no second warning
        keys = session.exec(select(JobRun.key)).all()
    assert sorted(keys) == ["retention:2026-03-03", "retention:2026-04-03"]


async def test_silence_after_the_warning_ends_in_the_same_erasure_as_delete(
    standin: BotAPIStandIn, settings: Settings, engine, database_url: str
) -> None:
    gone_id = seed(
        engine, 702, "Quirijn Zwijgzaam", active=months_before(T, 13), username="quirijn_zwijgt",
        retention_warned_at=T - 31 * DAY,
    )  # fmt: skip
    quirijn = standin.person(702, "Quirijn", username="quirijn_zwijgt", language_code="nl")
    needles: list[str | int] = ["Quirijn Zwijgzaam", "quirijn_zwijgt", "stageplekken bij Quirijn", 702]
    with Session(engine) as session:
        assert find_values(session, needles=needles)
    async with running(settings, engine, Clock(T)) as application:
        await daily_pass(application)
        tomb = participant(engine, gone_id)
        assert tomb.status == ParticipantStatus.DELETED and tomb.name is None and tomb.telegram_id is None
        with Session(engine) as session:
            assert find_values(session, needles=needles) == []
        erased = ["Quirijn Zwijgzaam", "quirijn_zwijgt"]
        if engine.dialect.name == "postgresql" and readable_in_database_files(engine, database_url, erased):
            # VACUUM FULL keeps a row version that a snapshot still open elsewhere (the bot's sender, under
            # load) may see; the next pass removes it, which is all docs/operations.md promises.
            scrub_files(engine, rewrite=True)
        assert readable_in_database_files(engine, database_url, erased) == []
        quirijn.send("/start")  # nothing is known about him any more
        await standin.wait_until(
            lambda: any("Welkom bij Koppelbot" in m.plain_text for m in quirijn.messages)
        )
    assert quirijn.messages[0].plain_text.startswith("Welkom bij Koppelbot")  # no warning, no farewell


async def test_activity_is_recorded_at_most_once_an_hour(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    pid = seed(engine, 703, "Anouk Actief", active=T - 100 * DAY)
    anouk = standin.person(703, "Anouk", language_code="nl")
    clock = Clock(T, ticking=False)
    async with running(settings, engine, clock):
        for moment, expected in (
            (T, T),
            (T + dt.timedelta(minutes=40), T),  # written 40 minutes ago: no write
            (T + dt.timedelta(hours=2), T + dt.timedelta(hours=2)),
        ):
            clock.set(moment)
            anouk.send("/help")
            await anouk.reply()
            assert participant(engine, pid).last_seen_at == expected
        # A button press counts too.
        clock.set(T + dt.timedelta(hours=4))
        anouk.press_data("lang:en")
        await anouk.reply()
        assert participant(engine, pid).last_seen_at == T + dt.timedelta(hours=4)
