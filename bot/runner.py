"""Running the bot: one async lifecycle shared by `koppelbot run`, the demo and the end-to-end tests.

Updates are acknowledged to Telegram only after they were handled, in both modes, so a crash (even
`kill -9`) loses no update: Telegram delivers the unacknowledged ones again, and `bot.ordering` skips those
already handled. Only the update that was in flight at the moment of the crash may be handled twice.

- Long polling: each update is handled as it arrives; the `offset` of the next `getUpdates` (which confirms
  everything below it) is the oldest update still in hand. PTB's own updater confirms a batch as soon as it
  was fetched, so we poll ourselves.
- Webhook: a small tornado server answers Telegram's POST only after the update was handled. Telegram sends
  a chat's next update only after the previous one was answered, which keeps one person's updates in order
  even when several processes sit behind one URL. Requests without the right
  `X-Telegram-Bot-Api-Secret-Token` are refused with 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
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
IN_HAND_POLL_SECONDS = 0.1  # while updates are in hand: how soon to look for new ones again
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
    # initialize() asks getMe: while the Bot API cannot be reached (no network yet at boot, an outage),
    # keep trying with backoff, one warning a try, instead of stopping with a traceback.
    await _retry_forever("connecting to the Bot API (getMe)", application.initialize)
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
    """Fetch updates and handle each as it arrives; confirm to Telegram only what was handled.

    Telegram confirms every update below the `offset` of the next getUpdates. So the offset is the oldest
    update still in hand (the newest seen + 1 when none is): a slow update (say a person's replies waiting
    for their turn at Telegram's per-chat pace) never holds up anyone else's, and a crash still loses no
    update. While updates are in hand, getUpdates returns them again: they are skipped, and the next ask
    comes as soon as one finishes or after `IN_HAND_POLL_SECONDS`. Only the 100 updates from the oldest one
    in hand on are seen (Telegram's batch limit), so one very slow update delays the rest only when more
    than 100 others arrive meanwhile.
    """
    bot = application.bot
    vitals = health.state_of(application)
    newest: int | None = None
    in_hand: dict[int, asyncio.Future[None]] = {}
    delay = 0.5
    outage = False
    try:
        while True:
            if in_hand:
                offset: int | None = min(in_hand)
                wait = 0.0
            else:
                offset = None if newest is None else newest + 1
                wait = timeout
            try:
                with warnings.catch_warnings():
                    # PTB suggests get_updates, which cannot skip one unreadable update (see _read_updates).
                    warnings.simplefilter("ignore", PTBUserWarning)
                    raw = await bot.do_api_request(
                        "getUpdates",
                        api_kwargs={
                            "offset": offset,
                            "timeout": int(wait),
                            "allowed_updates": allowed_updates(),
                        },
                        read_timeout=wait + LONG_POLL_MARGIN,
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
            seen = -1 if newest is None else newest
            fresh = list({_update_id(item): item for item in raw or [] if _update_id(item) > seen}.values())
            updates, top = _read_updates(fresh, bot)
            if top is not None:
                newest = top if newest is None else max(newest, top)
            for update in updates:
                task = asyncio.ensure_future(handle_now(application, update))
                in_hand[update.update_id] = task
                task.add_done_callback(functools.partial(_handled, in_hand, update.update_id))
            if in_hand and not fresh:
                await asyncio.wait(
                    list(in_hand.values()), timeout=IN_HAND_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
    except asyncio.CancelledError:
        # Stopping: let the updates in hand finish (unconfirmed, so a crash now would redo them).
        if in_hand:
            await asyncio.gather(*in_hand.values(), return_exceptions=True)
        raise


def _update_id(item: Any) -> int:
    update_id = item.get("update_id") if isinstance(item, dict) else None
    return update_id if isinstance(update_id, int) else -1


def _handled(in_hand: dict[int, asyncio.Future[None]], update_id: int, task: asyncio.Future[None]) -> None:
    in_hand.pop(update_id, None)
    if not task.cancelled() and task.exception() is not None:
        logger.error("update %s could not be handled: %s", update_id, type(task.exception()).__name__)


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
