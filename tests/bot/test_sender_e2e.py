"""End to end: the outbox sender inside the running bot delivers at Telegram's pace, durably and once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlmodel import Session, select
from telegram.error import TimedOut

from bot.app import KoppelApplication, build_application
from bot.clock import Clock
from bot.jobs.sender import OutboxSender
from bot.runner import polling
from bot.settings import Settings
from bot.standin import BotAPIStandIn, Fault, FloodLimits
from storage import session_scope
from storage.models import OutboxMessage, OutboxState, Participant, ParticipantStatus
from storage.outbox import attachment, count_by_state, enqueue
from tests.factories import chat_people


def _people(engine, standin: BotAPIStandIn, ids: list[int]) -> dict[int, int]:
    """Participants with chats in the stand-in; returns telegram id → participant id."""
    return chat_people(engine, standin, ids)


def _send(engine, chat_id: int, key: str, text: str = "Hallo", **kwargs) -> None:
    with session_scope(engine) as session:
        enqueue(session, dedupe_key=key, chat_id=chat_id, kind="test", text=text, **kwargs)


def _counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return count_by_state(session)


def _rows(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"send_backoff_seconds": 0.05, "send_max_attempts": 3})


@pytest.fixture
async def fast_bot(fast_settings: Settings, engine) -> AsyncIterator[KoppelApplication]:
    application = build_application(fast_settings, engine=engine)
    async with polling(application, poll_timeout=1.0):
        yield application


async def test_enqueued_message_is_delivered_promptly_and_recorded(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    _people(engine, standin, [2001])
    markup = {"inline_keyboard": [[{"text": "Ja", "callback_data": "fu:1:yes"}]]}
    _send(engine, 2001, "k1", text="<b>Hoi</b> Anna", reply_markup=markup)
    await standin.wait_until(lambda: len(standin.bot_messages(2001)) == 1, timeout=5)
    message = standin.bot_messages(2001)[0]
    assert message.plain_text == "Hoi Anna" and message.button_texts == ["Ja"]
    await standin.wait_until(lambda: _rows(engine)[0].state == OutboxState.SENT, timeout=5)
    row = _rows(engine)[0]
    assert row.telegram_message_id == message.message_id and row.attempts == 1 and row.sent_at is not None
    # Enqueueing the same key again sends nothing more.
    _send(engine, 2001, "k1", text="again")
    await standin.wait_idle(quiet=0.5)
    assert len(standin.bot_messages(2001)) == 1


async def test_429_is_honoured(standin: BotAPIStandIn, bot: KoppelApplication, engine) -> None:
    _people(engine, standin, [2002])
    answered: list[int] = []

    def fault(call):
        if call.method == "sendMessage" and not answered:
            answered.append(1)
            return Fault(429, retry_after=1)
        return None

    standin.fault = fault
    _send(engine, 2002, "k")
    await standin.wait_until(lambda: len(standin.bot_messages(2002)) == 1, timeout=10)
    sends = standin.calls_to("sendMessage")
    assert len(sends) == 2
    assert sends[1].at - sends[0].at >= 1.0  # it waited as long as Telegram asked
    assert bot.bot_data.sender.stats.rate_limited == 1
    await standin.wait_until(lambda: _rows(engine)[0].state == OutboxState.SENT, timeout=5)
    assert _rows(engine)[0].attempts == 1  # a 429 is not a failed attempt


async def test_5xx_is_retried_then_parked(
    standin: BotAPIStandIn, fast_bot: KoppelApplication, engine
) -> None:
    _people(engine, standin, [2003, 2004])
    failures = {2003: 2, 2004: 99}

    def fault(call):
        chat = call.params.get("chat_id")
        if call.method == "sendMessage" and failures.get(chat, 0) > 0:
            failures[chat] -= 1
            return Fault(502)
        return None

    standin.fault = fault
    _send(engine, 2003, "a")
    _send(engine, 2004, "b")
    await standin.wait_until(lambda: _rows(engine)[0].state == OutboxState.SENT, timeout=10)
    await standin.wait_until(lambda: _rows(engine)[1].state == OutboxState.PARKED, timeout=10)
    first, second = _rows(engine)
    assert first.state == OutboxState.SENT and first.attempts == 3
    assert second.attempts == 3 and "Bad Gateway" in (second.last_error or "")
    assert standin.bot_messages(2004) == []


async def test_403_marks_the_person_blocked_and_stops(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    ids = _people(engine, standin, [2005, 2006])
    standin.block(2005)
    for i in range(3):
        _send(engine, 2005, f"b{i}", participant_id=ids[2005])
    _send(engine, 2006, "ok", participant_id=ids[2006])
    await standin.wait_until(lambda: len(standin.bot_messages(2006)) == 1, timeout=5)
    await standin.wait_until(lambda: _counts(engine)["blocked"] == 3, timeout=5, what="3 blocked rows")
    assert len([c for c in standin.calls_to("sendMessage") if c.params["chat_id"] == 2005]) == 1
    with Session(engine) as session:
        person = session.get(Participant, ids[2005])
        assert person.status == ParticipantStatus.BLOCKED and person.blocked_at is not None
    # Later rows for them are stopped too once they are known blocked.
    assert bot.bot_data.sender.stats.blocked == 1


async def test_messages_to_one_chat_keep_their_order_and_pace(settings: Settings, engine) -> None:
    with BotAPIStandIn(limits=FloodLimits()) as standin:
        tuned = settings.model_copy(update={"telegram_api_base_url": standin.base_url})
        _people(engine, standin, [2007])
        for i in range(5):
            _send(engine, 2007, f"o{i}", text=f"bericht {i}")
        application = build_application(tuned, engine=engine)
        async with polling(application, poll_timeout=0.5):
            await standin.wait_until(lambda: len(standin.bot_messages(2007)) == 5, timeout=15)
        assert [m.text for m in standin.bot_messages(2007)] == [f"bericht {i}" for i in range(5)]
        assert standin.status_counts[429] == 0


async def test_quiet_hours_row_waits_for_not_before(standin: BotAPIStandIn, engine, settings) -> None:
    clock = Clock(dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC))  # a Sunday night
    _people(engine, standin, [2008, 2009])
    application = build_application(settings, engine=engine, clock=clock)
    async with polling(application, poll_timeout=0.5):
        morning = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
        _send(engine, 2008, "q", not_before=morning)
        # A message queued after it without a `not_before` goes out: the sender has looked past the held one.
        _send(engine, 2009, "now")
        await standin.wait_until(lambda: len(standin.bot_messages(2009)) == 1, timeout=5)
        clock.set(morning - dt.timedelta(minutes=1))
        await application.bot_data.sender.idle()
        assert standin.bot_messages(2008) == []
        clock.set(morning)
        await standin.wait_until(lambda: len(standin.bot_messages(2008)) == 1, timeout=2)


async def test_photo_and_document_from_bytes_and_path(
    standin: BotAPIStandIn, bot: KoppelApplication, engine, tmp_path
) -> None:
    _people(engine, standin, [2009])
    report = tmp_path / "rapport.csv"
    report.write_bytes(b"a;b\n1;2\n")
    _send(engine, 2009, "p", text="Funnel", method="sendPhoto",
          extra=attachment("photo", data=b"PNGDATA", filename="funnel.png"))  # fmt: skip
    _send(engine, 2009, "d", text=None, method="sendDocument", extra=attachment("document", path=report))
    await standin.wait_until(lambda: len(standin.bot_messages(2009)) == 2, timeout=5)
    photo, document = standin.bot_messages(2009)
    assert (photo.kind, photo.text, photo.file_name, photo.file_bytes) == (
        "photo", "Funnel", "funnel.png", b"PNGDATA"
    )  # fmt: skip
    assert (document.kind, document.file_name, document.file_bytes) == (
        "document",
        "rapport.csv",
        b"a;b\n1;2\n",
    )


async def test_bad_request_parks_at_once(standin: BotAPIStandIn, bot: KoppelApplication, engine) -> None:
    standin.person(999_999, "Nobody")
    _send(engine, 999_999, "nobody", text="x" * 5000)  # 400 message is too long
    await standin.wait_until(lambda: _rows(engine)[0].state == OutboxState.PARKED, timeout=5)
    assert "too long" in (_rows(engine)[0].last_error or "").lower()
    assert _rows(engine)[0].attempts == 1


async def test_stop_mid_delivery_and_restart_loses_and_repeats_nothing(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    ids = list(range(3000, 3040))
    _people(engine, standin, ids)
    for telegram_id in ids:
        _send(engine, telegram_id, f"r{telegram_id}")
    slow = settings.model_copy(update={"send_rate_per_second": 20.0})
    application = build_application(slow, engine=engine)
    async with polling(application, poll_timeout=0.5):
        await standin.wait_until(lambda: len(standin.calls_to("sendMessage")) >= 10, timeout=10)
    with Session(engine) as session:
        counts = count_by_state(session)
    assert counts["sending"] == 0  # every claim was finished or given back
    assert 10 <= counts["sent"] < 40 and counts["sent"] + counts["pending"] == 40
    application = build_application(slow, engine=engine)
    async with polling(application, poll_timeout=0.5):
        await standin.wait_until(
            lambda: all(len(standin.bot_messages(i)) >= 1 for i in ids), timeout=15, what="every chat"
        )
        await application.bot_data.sender.idle()
    assert all(len(standin.bot_messages(i)) == 1 for i in ids)
    assert len(standin.calls_to("sendMessage")) == 40


class _TimingOutBot:
    """A fake bot whose sends time out (delivery unknown)."""

    def __init__(self) -> None:
        self.calls = 0

    async def send_message(self, **_kwargs):
        self.calls += 1
        raise TimedOut()


async def test_a_timed_out_send_is_retried_once_and_counted(engine) -> None:
    _send(engine, 4242, "t")
    fake = _TimingOutBot()
    sender = OutboxSender(fake, engine, backoff_base=0.01, max_attempts=5)  # type: ignore[arg-type]
    await sender.start()
    try:
        await asyncio.wait_for(_until(lambda: _rows(engine)[0].state == OutboxState.PARKED), 5)
    finally:
        await sender.stop()
    row = _rows(engine)[0]
    assert fake.calls == 2 and row.uncertain_deliveries == 2 and sender.stats.uncertain_deliveries == 2


async def _until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.02)


async def test_worker_mode_delivers_without_receiving_updates(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    from bot.runner import working

    _people(engine, standin, [2010])
    standin.person(2011, "Someone").send("/start")
    async with working(build_application(settings, engine=engine)):
        _send(engine, 2010, "w")
        await standin.wait_until(lambda: len(standin.bot_messages(2010)) == 1, timeout=5)
    assert standin.calls_to("getUpdates") == [] and standin.bot_messages(2011) == []
