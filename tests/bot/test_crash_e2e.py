"""Crash safety and scale-out with real processes: `python -m bot run|worker` against a stand-in in the test.

kill -9 in the middle of a broadcast or of a digest's delivery: after a restart everything is delivered, and
only a message that was in flight at the moment of the crash can arrive twice. kill -9 at random moments of
an onboarding: the next process carries on from the stored state, and nothing is stored twice. On
PostgreSQL, several worker processes share one outbox without sending anything twice.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot.standin import BotAPIStandIn
from storage.models import OutboxMessage, OutboxState, Participant
from storage.outbox import count_by_state
from tests.botprocess import BotProcess
from tests.factories import people_with_a_message


def seed_broadcast(engine, standin: BotAPIStandIn, ids: list[int], broadcast: str = "b1") -> None:
    people_with_a_message(engine, standin, ids, key=broadcast, text="Nieuwe bijeenkomst op <b>10 maart</b>")


def env_for(standin: BotAPIStandIn, database_url: str, rate: float) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": standin.token,
        "TELEGRAM_API_BASE_URL": standin.base_url,
        "DATABASE_URL": database_url,
        "SEND_RATE_PER_SECOND": str(rate),
        "LOG_LEVEL": "INFO",
    }


def wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def sent_rows(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:  # closed at once: a leaked transaction would block TRUNCATE later
        return count_by_state(session)["sent"]


def in_flight_after_kill(engine, *, total: int) -> set[int]:  # type: ignore[no-untyped-def]
    """The chats whose message was being sent when the sender was killed (checks it was killed mid-way)."""
    with Session(engine) as session:
        assert count_by_state(session)["sent"] < total  # really killed mid-way
        return set(
            session.exec(
                select(OutboxMessage.chat_id).where(col(OutboxMessage.state) == OutboxState.SENDING)
            ).all()
        )


def deliveries(standin: BotAPIStandIn, ids: list[int]) -> Counter[int]:
    return Counter({i: len(standin.bot_messages(i)) for i in ids})


@pytest.mark.slow
def test_kill_9_during_a_broadcast_then_restart_completes_it(
    standin: BotAPIStandIn, database_url: str, engine, tmp_path: Path
) -> None:
    ids = list(range(6000, 6150))
    seed_broadcast(engine, standin, ids)
    env = env_for(standin, database_url, rate=40.0)
    with BotProcess("run", env=env, cwd=tmp_path, name="first") as first:
        wait(lambda: sum(deliveries(standin, ids).values()) >= 50, 60, "50 deliveries")
        first.kill()
    in_flight = in_flight_after_kill(engine, total=len(ids))
    with BotProcess("run", env=env, cwd=tmp_path, name="second") as second:
        wait(lambda: all(standin.bot_messages(i) for i in ids), 60, "every chat")
        wait(lambda: sent_rows(engine) == len(ids), 30, "every row sent")
        second.terminate()
    received = deliveries(standin, ids)
    twice = {i for i, n in received.items() if n > 1}
    assert all(n <= 2 for n in received.values())
    assert twice <= in_flight  # only what was in flight at the crash can repeat
    assert "gave back" in second.output or not in_flight  # the dead process's claims came back at once


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_share_one_outbox_on_postgresql_without_duplicates(
    standin: BotAPIStandIn, migrated_urls, tmp_path: Path
) -> None:
    from storage import make_engine
    from tests.conftest import _empty_all_tables

    url = migrated_urls("postgresql")
    engine = make_engine(url)
    _empty_all_tables(engine)
    ids = list(range(7000, 7500))
    seed_broadcast(engine, standin, ids)
    env = env_for(standin, url, rate=150.0)
    with (
        BotProcess("worker", env=env, cwd=tmp_path, name="w1") as w1,
        BotProcess("worker", env=env, cwd=tmp_path, name="w2") as w2,
    ):
        wait(lambda: sum(deliveries(standin, ids).values()) >= len(ids), 90, "every message")
        wait(lambda: sent_rows(engine) == len(ids), 30, "every row sent")
        # A clean stop finishes what is in hand: anything sent twice has shown up once both have exited.
        assert w1.terminate() == 0 and w2.terminate() == 0
    received = deliveries(standin, ids)
    assert set(received.values()) == {1}  # zero duplicates, zero losses
    # Both processes did part of the work.
    sent_by = Counter(
        line.split("outbox sender ")[1].split(" ")[0]
        for output in (w1.output, w2.output)
        for line in output.splitlines()
        if "outbox sender" in line and "stopped:" in line
    )
    assert len(sent_by) == 2
    counts = [int(output.split("stopped: ")[1].split(" sent")[0]) for output in (w1.output, w2.output)]
    assert sum(counts) == len(ids) and min(counts) > 0
    engine.dispose()


# kill -9 at random moments of an onboarding: each answer is queued, then the bot is killed after a random
# few milliseconds (before, while or after it handles the answer) and a new process takes over.
ONBOARDING = [
    ("send", "/start", "Welkom bij Koppelbot"),
    ("press", "Akkoord", "Hoe heet je"),
    ("send", "Piet Bakker", "organisatie"),
    ("send", "Graafschap College", "Wat past het best"),
    ("press", "hbo", "In welke regio"),
    ("press", "Achterhoek", "Hoe ver"),
    ("press", "buurregio", "bieden"),
    ("send", "gastlessen over warmtepompen\nstageplekken installatietechniek", "• stageplekken"),
    ("press", "Klaar", "zoek"),
    ("send", "een bedrijf voor een praktijkopdracht", "• een bedrijf voor een praktijkopdracht"),
    ("press", "Klaar", "thema"),
    ("press", "Klaar", "Zo ziet je profiel eruit"),
]


@pytest.mark.slow
def test_kill_9_at_any_moment_of_an_onboarding_then_restart_continues(
    standin: BotAPIStandIn, database_url: str, engine, tmp_path: Path
) -> None:
    import random

    rng = random.Random(20261124)
    piet = standin.person(6500, "Piet", language_code="nl")
    env = env_for(standin, database_url, rate=30.0)
    processes: list[BotProcess] = []

    def newest_says(fragment: str) -> bool:
        return bool(piet.messages) and fragment.lower() in piet.last.plain_text.lower()

    process = BotProcess("run", env=env, cwd=tmp_path, name="p0").start()
    processes.append(process)
    kills = 0
    try:
        for step, (action, value, then) in enumerate(ONBOARDING):
            piet.send(value) if action == "send" else piet.press(value)
            if step % 2 == 1:  # every other answer: kill -9 a few milliseconds after it was queued
                time.sleep(rng.uniform(0.0, 0.25))
                process.kill()
                kills += 1
                process = BotProcess("run", env=env, cwd=tmp_path, name=f"p{step}").start()
                processes.append(process)
            wait(lambda then=then: newest_says(then), 60, repr(then))
        process.wait_for_output("polling for updates", 60)  # the last one took over, then stops cleanly
        standin_quiet = len(piet.messages)
        assert process.terminate() == 0  # a clean stop handles whatever was still queued for Piet
        assert len(piet.messages) == standin_quiet
    finally:
        for each in processes:
            each.kill()
    assert kills == len(ONBOARDING) // 2
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        assert (person.name, person.organisation, person.role, person.region, person.reach) == (
            "Piet Bakker", "Graafschap College", "hbo", "achterhoek", "neighbours"
        )  # fmt: skip
        from storage.models import ItemKind, ProfileItem

        items = session.exec(select(ProfileItem.kind, ProfileItem.text).order_by(col(ProfileItem.id))).all()
    assert [text for kind, text in items if kind == ItemKind.OFFER] == [
        "gastlessen over warmtepompen", "stageplekken installatietechniek"
    ]  # fmt: skip
    assert [text for kind, text in items if kind == ItemKind.NEED] == [
        "een bedrijf voor een praktijkopdracht"
    ]
    # Every question was asked; a message repeats at most once, and only as often as the bot was killed.
    texts = [m.plain_text for m in piet.messages]
    assert all(any(then.lower() in text.lower() for text in texts) for _, _, then in ONBOARDING)
    repeated = {text: n for text, n in Counter(texts).items() if n > 1}
    assert all(n == 2 for n in repeated.values()) and len(repeated) <= kills, repeated


@pytest.mark.slow
def test_kill_9_while_a_digest_is_delivered_then_restart_completes_it_once(
    standin: BotAPIStandIn, database_url: str, engine, tmp_path: Path
) -> None:
    import datetime as dt

    from bot.demo.community import COMMUNITY_CSV, read_members
    from bot.demo.features import import_community

    assert import_community(engine, COMMUNITY_CSV, invite_ttl=dt.timedelta(days=30))
    ids = [member.telegram_id for member in read_members()]
    for telegram_id in ids:
        standin.person(telegram_id, f"P{telegram_id}")
    env = env_for(standin, database_url, rate=12.0)
    with BotProcess("digest", "--now", env=env, cwd=tmp_path, name="digest") as digest:
        assert digest.process is not None and digest.process.wait(timeout=120) == 0, digest.output
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage.chat_id).where(OutboxMessage.kind == "digest")).all()
    expected = Counter(rows)
    assert sum(expected.values()) >= 30, digest.output  # enough to kill the sender half-way

    def delivered() -> int:
        return sum(deliveries(standin, ids).values())

    with BotProcess("run", env=env, cwd=tmp_path, name="first") as first:
        wait(lambda: delivered() >= sum(expected.values()) // 3, 60, "a third of the digest")
        first.kill()
    in_flight = in_flight_after_kill(engine, total=sum(expected.values()))
    with BotProcess("run", env=env, cwd=tmp_path, name="second") as second:
        wait(lambda: sent_rows(engine) == sum(expected.values()), 90, "every digest row sent")
        assert second.terminate() == 0  # a clean stop: a repeat in hand would be sent before the exit
    received = deliveries(standin, ids)
    extra = {chat: received[chat] - n for chat, n in expected.items() if received[chat] != n}
    assert all(n == 1 for n in extra.values()), extra  # nothing lost; at most one repeat ...
    assert set(extra) <= in_flight  # ... and only where a message was in flight at the crash
    # The same week again: nobody gets a second digest.
    with BotProcess("digest", "--now", env=env, cwd=tmp_path, name="again") as again:
        assert again.process is not None and again.process.wait(timeout=120) == 0
    assert " 0 messages queued" in again.output, again.output
