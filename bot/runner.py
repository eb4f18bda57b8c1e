"""Running the bot: one async lifecycle shared by `koppelbot run`, the demo and the end-to-end tests.

Updates are acknowledged to Telegram only after they were handled, in both modes, so a crash (even
`kill -9`) loses no update: Telegram delivers the unacknowledged ones again, and `bot.ordering` skips those
already handled. Only the update that was in flight at the moment of the crash may be handled twice.

- Long polling: the next `getUpdates` (whose `offset` confirms the previous batch) is sent only after the
  batch was handled. PTB's own updater confirms a batch as soon as it was fetched, so we poll ourselves.
- Webhook: a small tornado server answers Telegram's POST only after the update was handled. Telegram sends
  a chat's next update only after the previous one was answered, which keeps one person's updates in order
  even when several processes sit behind one URL. Requests without the right
  `X-Telegram-Bot-Api-Secret-Token` are refused with 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import signal
import warnings
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

from bot import health, metrics
from bot.app import KoppelApplication, allowed_updates

__all__ = [
    "polling",
    "serve_polling",
    "serve_webhook",
    "serve_worker",
    "strong_webhook_secret",
    "webhook",
    "working",
]

logger = logging.getLogger(__name__)

MAX_BACKOFF = 5.0
LONG_POLL_MARGIN = 5.0  # a long poll's read timeout: its own timeout plus this
# Telegram's secret_token: 1-256 of A-Z a-z 0-9 _ -; we ask at least 16, so it cannot be guessed.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


def strong_webhook_secret(secret: str | None) -> bool:
    """True for a webhook secret that authenticates: 16 to 256 of A-Z a-z 0-9 _ -."""
    return secret is not None and _WEBHOOK_SECRET.fullmatch(secret) is not None


@contextlib.asynccontextmanager
async def _running(
    application: KoppelApplication, mode: health.Mode, *, health_served_on: int | None = None
) -> AsyncIterator[None]:
    """initialize → post_init → start (and the health server) … stop → shutdown → post_shutdown."""
    health.watch(application, mode)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        try:
            async with health.serving(application, skip_port=health_served_on):
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


async def handle_now(application: KoppelApplication, update: Update) -> None:
    """Handle one update through the application's update processor and wait until it is done."""
    await application.update_processor.process_update(update, application.process_update(update))


async def _retry_forever(what: str, call: object) -> None:
    delay = 0.5
    while True:
        try:
            await call()  # type: ignore[operator]
            return
        except RetryAfter as exc:
            metrics.count_rate_limited("setup")
            await asyncio.sleep(_seconds(exc.retry_after))
        except NetworkError as exc:
            logger.warning("%s failed (%s); retrying in %.1fs", what, type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)


def _seconds(value: object) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)  # type: ignore[arg-type]


async def _poll(application: KoppelApplication, timeout: float) -> None:
    """Fetch a batch, handle it completely, then confirm it with the next getUpdates."""
    bot = application.bot
    vitals = health.state_of(application)
    offset: int | None = None
    delay = 0.5
    outage = False
    while True:
        try:
            with warnings.catch_warnings():
                # PTB suggests get_updates, which cannot skip one unreadable update (see _read_updates).
                warnings.simplefilter("ignore", PTBUserWarning)
                raw = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": int(timeout),
                        "allowed_updates": allowed_updates(),
                    },
                    read_timeout=timeout + LONG_POLL_MARGIN,
                )
        except TimedOut:
            continue  # a long poll that nobody answered in time: just ask again
        except RetryAfter as exc:
            metrics.count_rate_limited("polling")
            await asyncio.sleep(_seconds(exc.retry_after))
            continue
        except (InvalidToken, Conflict) as exc:
            logger.error("getUpdates refused: %s; retrying in %.0fs", type(exc).__name__, MAX_BACKOFF)
            await asyncio.sleep(MAX_BACKOFF)
            continue
        except (NetworkError, TelegramError) as exc:
            if not outage:
                logger.warning(
                    "the Bot API is unreachable (%s); retrying until it is back", type(exc).__name__
                )
            outage = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)
            continue
        if vitals is not None:
            vitals.fetched()
        if outage:
            logger.warning("the Bot API is reachable again")
        outage, delay = False, 0.5
        updates, newest = _read_updates(raw or [], bot)
        if newest is None:
            continue
        batch = asyncio.ensure_future(
            asyncio.gather(*(handle_now(application, update) for update in updates))
        )
        try:
            await asyncio.shield(batch)
        except asyncio.CancelledError:
            # Stopping: let the updates in hand finish (they are not confirmed, so a crash would redo them).
            await batch
            raise
        offset = newest + 1


def _read_updates(raw: list[Any], bot: Any) -> tuple[list[Update], int | None]:
    """Decode a getUpdates batch one update at a time: one unreadable update is skipped, not fatal.

    (PTB's `get_updates` raises for the whole batch, which would stall polling on it forever.)
    Returns the updates and the newest update_id seen (to confirm the batch), or None for an empty batch.
    """
    updates: list[Update] = []
    newest: int | None = None
    for item in raw:
        update_id = item.get("update_id") if isinstance(item, dict) else None
        if isinstance(update_id, int):
            newest = update_id if newest is None else max(newest, update_id)
        try:
            update = Update.de_json(dict(item), bot)
        except Exception as exc:
            logger.warning("skipped update %s: it could not be read (%s)", update_id, type(exc).__name__)
            continue
        if update is not None:
            updates.append(update)
    return updates, newest


@contextlib.asynccontextmanager
async def working(application: KoppelApplication) -> AsyncIterator[None]:
    """Like `polling`, but receive no updates: only the outbox sender and the scheduled jobs run."""
    async with _running(application, "worker"):
        yield


@contextlib.asynccontextmanager
async def polling(application: KoppelApplication, *, poll_timeout: float = 10.0) -> AsyncIterator[None]:
    """Connect (getMe), run post_init, poll for updates and process them until the block ends."""
    async with _running(application, "polling"):
        await _retry_forever("deleteWebhook", application.bot.delete_webhook)
        task = asyncio.create_task(_poll(application, poll_timeout), name="koppelbot-polling")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class _WebhookHandler(tornado.web.RequestHandler):
    """Telegram POSTs one update; it is answered once handled (or found to be handled before)."""

    def initialize(self, koppel: KoppelApplication, secret: str) -> None:
        self.koppel = koppel
        self.secret = secret

    def check_xsrf_cookie(self) -> None:
        """Telegram sends no cookies: the secret token header authenticates it instead."""

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            logger.warning("refused a webhook request without the right secret token")
            raise tornado.web.HTTPError(403)
        if self.request.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            raise tornado.web.HTTPError(403)
        try:
            update = Update.de_json(json.loads(self.request.body), self.koppel.bot)
        except Exception as exc:
            logger.warning("refused a webhook request that is not an update (%s)", type(exc).__name__)
            raise tornado.web.HTTPError(400) from None
        await handle_now(self.koppel, update)
        self.set_status(200)

    def log_exception(self, typ: object, value: object, tb: object) -> None:  # noqa: ARG002
        """tornado would log the request line; ours say what matters without personal data."""
        if not isinstance(value, tornado.web.HTTPError):
            logger.error("webhook request failed: %s", getattr(typ, "__name__", typ))


@contextlib.asynccontextmanager
async def webhook(
    application: KoppelApplication,
    *,
    url: str,
    listen: str = "127.0.0.1",
    port: int = 8443,
    secret: str | None = None,
    register: bool = True,
) -> AsyncIterator[int]:
    """Serve `url`'s path on listen:port (behind a TLS reverse proxy) and tell Telegram to POST there.

    Yields the port actually listened on (useful with port 0). Several processes may serve one URL: each
    registers the same webhook, and stopping one does not delete it. Without a strong `secret` (see
    `strong_webhook_secret`) it refuses to serve: anyone could post forged updates.
    """
    if secret is None or not strong_webhook_secret(secret):
        raise ValueError("a webhook needs a secret of at least 16 characters (A-Z a-z 0-9 _ -)")
    path = urlsplit(url).path or "/"
    routes = [
        *health.routes(application),
        (re.escape(path), _WebhookHandler, {"koppel": application, "secret": secret}),
    ]
    app = tornado.web.Application(routes, log_function=health.log_request)  # type: ignore[arg-type]
    server = tornado.httpserver.HTTPServer(app, xheaders=True)
    sockets = tornado.netutil.bind_sockets(port, address=listen)
    server.add_sockets(sockets)
    bound = sockets[0].getsockname()[1]
    try:
        async with _running(application, "webhook", health_served_on=bound):
            if register:

                async def set_webhook() -> None:
                    await application.bot.set_webhook(
                        url, secret_token=secret, allowed_updates=allowed_updates(), max_connections=40
                    )

                await _retry_forever("setWebhook", set_webhook)
            logger.info("webhook listening on %s:%s", listen, bound)
            yield bound
    finally:
        server.stop()
        await server.close_all_connections()


async def _until_signal() -> None:
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
        await _until_signal()
    logger.info("stopped")


async def serve_polling(application: KoppelApplication) -> None:
    """Poll until SIGINT or SIGTERM, then shut down cleanly."""
    async with polling(application):
        logger.info("polling for updates; press Ctrl+C to stop")
        await _until_signal()
    logger.info("stopped")


async def serve_webhook(
    application: KoppelApplication, *, url: str, listen: str, port: int, secret: str | None
) -> None:
    """Serve the webhook until SIGINT or SIGTERM, then shut down cleanly."""
    async with webhook(application, url=url, listen=listen, port=port, secret=secret):
        await _until_signal()
    logger.info("stopped")
