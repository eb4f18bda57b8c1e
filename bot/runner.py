"""Running the bot: one async lifecycle shared by `koppelbot run`, the demo and the end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from bot.app import KoppelApplication, allowed_updates

__all__ = ["polling", "serve_polling", "serve_worker", "working"]

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def polling(application: KoppelApplication, *, poll_timeout: float = 10.0) -> AsyncIterator[None]:
    """Connect (getMe), run post_init, poll for updates and process them until the block ends."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=allowed_updates(), bootstrap_retries=-1
        )
        await application.start()
        try:
            yield
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


@contextlib.asynccontextmanager
async def working(application: KoppelApplication) -> AsyncIterator[None]:
    """Like `polling`, but receive no updates: only the outbox sender and the scheduled jobs run."""
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            yield
        finally:
            if application.running:
                await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve_worker(application: KoppelApplication) -> None:
    """Run the outbox sender and the scheduler until SIGINT or SIGTERM, then stop cleanly."""
    async with working(application):
        logger.info("worker running (outbox sender and scheduler); press Ctrl+C to stop")
        await _until_signalled()
    logger.info("stopped")


async def serve_polling(application: KoppelApplication) -> None:
    """Poll until SIGINT or SIGTERM, then shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with polling(application):
        logger.info("polling for updates; press Ctrl+C to stop")
        await stop.wait()
    logger.info("stopped")
