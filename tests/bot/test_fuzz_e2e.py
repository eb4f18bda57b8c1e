"""Hostile input, fuzzed with hypothesis through the real handlers of the running bot.

The bot runs (as `koppelbot run` does) in a thread of its own; hypothesis draws batches of actions —
arbitrary unicode and control characters, HTML/Markdown in names later shown to others, random 64-byte
callback data, other people's buttons, replays, stickers and locations, groups and channels, blocking —
which the stand-in delivers. The stand-in refuses invalid HTML, over-long texts and bad buttons like
Telegram, so a missed escape is a BadRequest inside a handler. Every handler failure reaches the one error
handler, which logs "unhandled ..." at ERROR: the test requires zero ERROR records.

CI plays FUZZ_BATCHES × BATCH actions per database; `bench/fuzz.py` plays 10,000+ (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.app import KoppelApplication, build_application
from bot.runner import polling
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import make_engine
from tests.conftest import _empty_all_tables
from tests.fuzzing import ORGANISER, Player, actions

BATCH = 100
# 1,000 actions per database in CI; bench/fuzz.py sets KOPPELBOT_FUZZ_BATCHES for the 10,000+ run.
FUZZ_BATCHES = int(os.environ.get("KOPPELBOT_FUZZ_BATCHES", "10"))


class ErrorRecords(logging.Handler):
    """Collects ERROR records from any logger (the bot runs in this process)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class BotThread:
    """The real bot, polling the stand-in, on an event loop in a background thread."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings, self.engine = settings, engine
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.failure: BaseException | None = None
        self.application: KoppelApplication | None = None

    async def _main(self) -> None:
        try:
            self.loop, self.stop_event = asyncio.get_running_loop(), asyncio.Event()
            application = build_application(self.settings, engine=self.engine)
            self.application = application
            async with polling(application, poll_timeout=1.0):
                self.ready.set()
                await self.stop_event.wait()
        except BaseException as exc:  # pragma: no cover - reported by the test
            self.failure = exc
            self.ready.set()

    def __enter__(self) -> BotThread:
        self.thread.start()
        assert self.ready.wait(30), "the bot did not start"
        assert self.failure is None, self.failure
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.loop is not None and self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)


def wait_idle(standin: BotAPIStandIn, quiet: float = 0.15, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        last = standin.last_activity
        if standin.pending_updates() == 0 and time.monotonic() - last >= quiet:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not go quiet")
        time.sleep(0.02)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz_rig(
    request: pytest.FixtureRequest, migrated_urls
) -> Iterator[tuple[BotAPIStandIn, Player, ErrorRecords, BotThread]]:  # type: ignore[no-untyped-def]
    url = migrated_urls(request.param)
    engine = make_engine(url)
    _empty_all_tables(engine)
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    try:
        with BotAPIStandIn() as standin:
            player = Player(standin)
            bot_settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                telegram_bot_token=standin.token,
                telegram_api_base_url=standin.base_url,
                database_url=url,
                organiser_ids=[ORGANISER],
                send_backoff_seconds=0.05,
            )
            with BotThread(bot_settings, engine) as bot:
                yield standin, player, errors, bot
    finally:
        logging.getLogger().removeHandler(errors)
        engine.dispose()


@pytest.mark.slow
def test_hostile_updates_cause_no_unhandled_error(fuzz_rig) -> None:  # type: ignore[no-untyped-def]
    standin, player, errors, bot = fuzz_rig

    @settings(
        max_examples=FUZZ_BATCHES,
        deadline=None,
        database=None,
        phases=(Phase.generate,),  # the bot's state carries over between batches: shrinking would mislead
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(actions, min_size=BATCH, max_size=BATCH))
    def batch(drawn) -> None:  # type: ignore[no-untyped-def]
        before = len(errors.records)
        for action in drawn:
            player.play(action)
        wait_idle(standin)
        new = errors.records[before:]
        assert not new, "\n".join(f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in new[:3])

    batch()
    # Replies still waiting for their chat's turn (Telegram's pace: about one a second) count too.
    wait_idle(standin, quiet=1.5)
    assert not errors.records
    updates = len(standin._delivered)
    assert updates >= FUZZ_BATCHES * BATCH * 0.75, updates  # (renames and replays add no new update)
    # It answered: at least a quarter of the updates that were not dropped as a flood (a drawn batch may
    # give one person dozens of updates at once: flood control keeps the bot responsive, as it should).
    assert bot.application is not None
    flood = bot.application.update_processor.flood  # type: ignore[attr-defined]
    answered = sum(len(standin.bot_messages(user)) for user in player.last_update)
    assert answered > (updates - flood.dropped) / 4, (answered, updates, flood.dropped)
