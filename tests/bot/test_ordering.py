"""Each update is handled once; one person's updates one at a time and in order; different people at once."""

from __future__ import annotations

import asyncio
import contextlib

from sqlmodel import Session, select
from telegram import Update

from bot.app import KoppelApplication, build_application
from bot.ordering import PersonOrderedProcessor, person_key
from bot.runner import polling
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage.models import ProcessedUpdate


async def test_a_replayed_update_is_handled_once(standin: BotAPIStandIn, settings: Settings, engine) -> None:
    anna = standin.person(1001, "Anna")
    update_id = anna.send("/start")
    async with polling(build_application(settings, engine=engine), poll_timeout=1.0):
        await anna.reply()
        standin.replay(update_id)  # to this process, which knows it has it already
        await standin.wait_idle(quiet=0.5)
    # Telegram delivers it again to a process that has not seen it (after a restart, or a second process).
    await asyncio.sleep(1.2)  # (the stopped bot's last long poll ends on the stand-in's side first)
    other = build_application(settings, engine=engine)
    async with polling(other, poll_timeout=1.0):
        standin.replay(update_id)
        await standin.wait_idle(quiet=0.5)
    assert len(anna.messages) == 1
    processor = other.update_processor
    assert isinstance(processor, PersonOrderedProcessor)
    assert processor.replayed == 1 and processor.handled == 0
    with Session(engine) as session:
        assert update_id in session.exec(select(ProcessedUpdate.update_id)).all()


async def test_a_replay_arriving_with_new_updates_does_not_hold_them_up(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    anna, bert = standin.person(1001, "Anna"), standin.person(1002, "Bert")
    first = anna.send("/start")
    await anna.reply()
    standin.replay(first)
    bert.send("/start")
    await bert.reply()
    await standin.wait_idle(quiet=0.3)
    assert len(anna.messages) == 1 and len(bert.messages) == 1


def _update(update_id: int, user_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "X"},
                "text": "hoi",
            },
        },
        None,
    )


async def test_one_person_at_a_time_in_order_and_people_concurrently(engine) -> None:
    processor = PersonOrderedProcessor(engine, max_concurrent_updates=16)
    await processor.initialize()
    log: list[tuple[str, int, int]] = []
    running: dict[int, int] = {}
    overlap: list[int] = []
    everyone_started = asyncio.Event()  # a person's first update waits (up to 5 s) until all three started

    async def handle(update_id: int, user_id: int) -> None:
        running[user_id] = running.get(user_id, 0) + 1
        if running[user_id] > 1:
            overlap.append(user_id)
        log.append(("start", user_id, update_id))
        if len({who for kind, who, _ in log if kind == "start"}) == 3:
            everyone_started.set()
        with contextlib.suppress(TimeoutError):  # served one after another, they never would: then it fails
            await asyncio.wait_for(everyone_started.wait(), timeout=5)
        await asyncio.sleep(0.01)
        log.append(("end", user_id, update_id))
        running[user_id] -= 1

    updates = [(n, 1 + n % 3) for n in range(1, 31)]
    await asyncio.gather(
        *(processor.process_update(_update(n, user), handle(n, user)) for n, user in updates)
    )
    await processor.shutdown()
    assert overlap == []
    for user in (1, 2, 3):
        started = [update_id for kind, who, update_id in log if kind == "start" and who == user]
        assert started == sorted(started)
    # Different people were served at the same time: some person started while another was running.
    first_end = next(index for index, entry in enumerate(log) if entry[0] == "end")
    assert len({who for kind, who, _ in log[:first_end] if kind == "start"}) == 3
    assert processor.handled == 30


def test_whose_update_it_is() -> None:
    assert person_key(_update(1, 77)) == 77
    channel = Update.de_json(
        {
            "update_id": 2,
            "channel_post": {"message_id": 1, "date": 0, "chat": {"id": -100, "type": "channel"}},
        },
        None,
    )
    assert person_key(channel) == -100
    assert person_key(object()) is None
