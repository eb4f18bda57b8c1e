"""`/healthz` and `/metrics`: is this process doing its job, and the numbers behind it.

`/healthz` answers 200 `ok`, or 503 with one reason a line:

- the database does not answer (within `DATABASE_TIMEOUT` seconds);
- polling: no `getUpdates` succeeded for `HEALTH_UPDATES_MINUTES` (Telegram unreachable, token revoked, or a
  second poller took over);
- processes that deliver the outbox (`RUN_JOBS=true`, and every worker): messages are parked, or the oldest
  due message has waited longer than `HEALTH_BACKLOG_MINUTES` (the sender is stuck or far behind).
  A webhook process with `RUN_JOBS=false` does not judge the outbox: the workers do.

`/metrics` is Prometheus' text format (bot/metrics.py); each scrape runs the same checks first, so the
database gauges are fresh.

Both are served on `HEALTH_LISTEN:HEALTH_PORT` in every mode when `HEALTH_PORT` is set (`serving`), and on
the webhook server in webhook mode (`routes`). Requests to them are not written to the access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import tornado.httpserver
import tornado.log
import tornado.netutil
import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from bot import metrics
from storage import session_scope
from storage.status import OutboxHealth, outbox_health

__all__ = [
    "HealthPortUnavailable",
    "HealthState",
    "Verdict",
    "check",
    "routes",
    "serving",
    "state_of",
    "watch",
]

logger = logging.getLogger(__name__)

Mode = Literal["polling", "webhook", "worker"]
DATABASE_TIMEOUT = 5.0
PATHS = ("/healthz", "/metrics")


class HealthPortUnavailable(Exception):
    """HEALTH_PORT cannot be listened on; the message says so in one line."""


@dataclass
class HealthState:
    """What this process knows about itself that the database cannot tell: its mode and its last fetch."""

    mode: Mode
    started: float = field(default_factory=time.monotonic)
    last_fetch: float | None = None  # monotonic time of the last successful getUpdates (polling)
    reasons: tuple[str, ...] = ()  # of the last check, to log only changes
    port: int | None = None  # where HEALTH_PORT's server listens (useful with HEALTH_PORT=0)

    def fetched(self) -> None:
        """A getUpdates call succeeded."""
        self.last_fetch = time.monotonic()


@dataclass(frozen=True)
class Verdict:
    """The outcome of one health check."""

    reasons: tuple[str, ...]

    @property
    def healthy(self) -> bool:
        return not self.reasons


def watch(application: Any, mode: Mode) -> HealthState:
    """Start keeping this process's health state (called by bot.runner when a mode starts)."""
    state = HealthState(mode=mode)
    application.bot_data.extras["health"] = state
    return state


def state_of(application: Any) -> HealthState | None:
    """This process's health state, or None before a mode started."""
    state = application.bot_data.extras.get("health")
    return state if isinstance(state, HealthState) else None


def _minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes >= 1 else f"{seconds:.0f} s"


async def check(application: Any) -> Verdict:
    """Check the database, the updates (polling) and the outbox (when this process sends); set the gauges."""
    data = application.bot_data
    settings = data.settings
    state = state_of(application) or watch(application, "worker")
    now = data.clock.now()
    reasons: list[str] = []

    def read() -> OutboxHealth:
        with session_scope(data.engine) as session:
            return outbox_health(session, now=now)

    outbox: OutboxHealth | None = None
    try:
        outbox = await asyncio.wait_for(asyncio.to_thread(read), timeout=DATABASE_TIMEOUT)
    except Exception as exc:
        reasons.append(f"database: no answer ({type(exc).__name__})")
    if state.mode == "polling":
        silent = time.monotonic() - (state.last_fetch or state.started)
        if silent > settings.health_updates_minutes * 60:
            reasons.append(f"updates: no getUpdates succeeded for {_minutes(silent)}")
    if outbox is not None:
        backlog = outbox.backlog(now).total_seconds()
        metrics.OUTBOX_MESSAGES.labels("pending").set(outbox.pending)
        metrics.OUTBOX_MESSAGES.labels("sending").set(outbox.sending)
        metrics.OUTBOX_MESSAGES.labels("parked").set(outbox.parked)
        metrics.OUTBOX_BACKLOG_SECONDS.set(backlog)
        if settings.run_jobs or state.mode == "worker":
            if outbox.parked:
                reasons.append(
                    f"outbox: {outbox.parked} parked message(s); an organiser can retry them with /outbox"
                )
            if backlog > settings.health_backlog_minutes * 60:
                reasons.append(f"outbox: the oldest due message has waited {_minutes(backlog)}")
    metrics.DATABASE_UP.set(0 if outbox is None else 1)
    metrics.HEALTHY.set(0 if reasons else 1)
    verdict = Verdict(tuple(reasons))
    if verdict.reasons != state.reasons:
        if verdict.healthy:
            logger.info("healthy again")
        else:
            logger.warning("unhealthy: %s", "; ".join(verdict.reasons))
        state.reasons = verdict.reasons
    return verdict


class _HealthzHandler(tornado.web.RequestHandler):
    def initialize(self, koppel: Any) -> None:
        self.koppel = koppel

    async def get(self) -> None:
        verdict = await check(self.koppel)
        self.set_status(200 if verdict.healthy else 503)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write("ok" if verdict.healthy else "\n".join(verdict.reasons) + "\n")


class _MetricsHandler(tornado.web.RequestHandler):
    def initialize(self, koppel: Any) -> None:
        self.koppel = koppel

    async def get(self) -> None:
        await check(self.koppel)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(generate_latest(REGISTRY))


def routes(application: Any) -> list[Any]:
    """The tornado routes of `/healthz` and `/metrics` for `application`."""
    return [
        (r"/healthz", _HealthzHandler, {"koppel": application}),
        (r"/metrics", _MetricsHandler, {"koppel": application}),
    ]


def log_request(handler: tornado.web.RequestHandler) -> None:
    """tornado's access log, without the health checks and scrapes that come every few seconds."""
    if handler.request.path in PATHS:
        return
    status = handler.get_status()
    log = tornado.log.access_log.info if status < 400 else tornado.log.access_log.warning
    milliseconds = handler.request.request_time() * 1000
    log("%d %s %s %.0fms", status, handler.request.method, handler.request.path, milliseconds)


@contextlib.asynccontextmanager
async def serving(application: Any, *, skip_port: int | None = None) -> AsyncIterator[int | None]:
    """Serve `/healthz` and `/metrics` on HEALTH_LISTEN:HEALTH_PORT while the block runs.

    Yields the port listened on, or None when HEALTH_PORT is not set (or is `skip_port`, the webhook
    server's, which serves them already).
    """
    settings = application.bot_data.settings
    port = settings.health_port
    if port is None or (skip_port is not None and port == skip_port):
        yield None
        return
    app = tornado.web.Application(routes(application), log_function=log_request)
    server = tornado.httpserver.HTTPServer(app)
    try:
        sockets = tornado.netutil.bind_sockets(port, address=settings.health_listen)
    except OSError as exc:
        raise HealthPortUnavailable(
            f"HEALTH_PORT {port} on HEALTH_LISTEN {settings.health_listen} cannot be used: "
            f"{exc.strerror or exc} (another program there? choose another port)"
        ) from None
    server.add_sockets(sockets)
    bound = int(sockets[0].getsockname()[1])
    state = state_of(application)
    if state is not None:
        state.port = bound
    logger.info("health checks on http://%s:%s/healthz and /metrics", settings.health_listen, bound)
    try:
        yield bound
    finally:
        server.stop()
        await server.close_all_connections()
