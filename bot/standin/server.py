"""A local stand-in for the Telegram Bot API, for tests, benchmarks and `koppelbot demo`.

It speaks the Bot API over HTTP on loopback, so the real bot (python-telegram-bot with `base_url` pointing
here) talks to it exactly as to Telegram. Tests act as people (`person(...).send("/start")`,
`.press("Ja")`) and read what each chat received. Faults are injected with a plain function, like httpx's
`MockTransport`: `standin.fault = lambda call: Fault(status=429, retry_after=2) if ... else None`.

Behaviour copied from Telegram because handlers must cope with it: 4096-character limit, 200-character
popups, HTML that must parse, 64-byte callback data, "message is not modified" on a no-op edit, "chat not
found" for people who never started the bot, 403 for people who blocked it, and Telegram's flood limits,
on by default: new messages beyond ~30/s overall or ~1/s per chat after a burst of 3 are refused with 429 and
`parameters.retry_after` (`limits=None` turns them off; a test that does so says why).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import itertools
import json
import logging
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "ApiCall",
    "BotAPIStandIn",
    "ChatMessage",
    "Fault",
    "FloodLimits",
    "Person",
]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:STANDIN-token-for-tests"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_POPUP = 200  # answerCallbackQuery text: 0-200 characters
HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span",
    "blockquote", "tg-emoji",
}  # fmt: skip
OBJECT_FIELDS = {
    "reply_markup", "commands", "scope", "entities", "caption_entities", "link_preview_options",
    "allowed_updates", "reply_parameters", "media",
}  # fmt: skip
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "from_chat_id", "cache_time"}
BOOL_FIELDS = {"show_alert", "drop_pending_updates", "disable_notification", "protect_content"}
SEND_METHODS = {"sendMessage", "sendPhoto", "sendDocument"}
EDIT_METHODS = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}
DROP = 0  # handle() status meaning: close the connection without answering


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made: method name and decoded parameters."""

    method: str
    params: dict[str, Any]
    at: float


@dataclass(frozen=True)
class Fault:
    """An injected answer instead of the normal one.

    `status` 0 means "answer normally" (use it with `delay` for slow answers). 429 carries `retry_after`.
    `drop=True` closes the connection without any answer (the client sees a network error).
    `deliver=True` carries the call out first (the message is stored, the person sees it) and only then
    applies the fault: with `delay` beyond the client's read timeout, or with `drop`, that is "delivered,
    but the answer was lost" — the one case where a sender cannot know and may repeat a message.
    """

    status: int = 0
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    drop: bool = False
    deliver: bool = False


@dataclass(frozen=True)
class FloodLimits:
    """Telegram-like flood control: token buckets overall and per chat; beyond them, 429 + retry_after.

    They count new messages (sendMessage, sendPhoto, sendDocument): the limits Telegram publishes are about
    sending. Edits and answered button presses are not counted.
    """

    per_second: float = 30.0
    burst: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: float = 3.0


@dataclass
class ChatMessage:
    """A message in a chat, sent by the bot or by the person."""

    chat_id: int
    message_id: int
    from_bot: bool
    kind: str  # text, photo, document, sticker, voice, location, ...
    text: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    file_name: str | None = None
    file_bytes: bytes | None = None
    edits: list[str] = field(default_factory=list)
    deleted: bool = False
    date: int = 0

    @property
    def plain_text(self) -> str:
        """The text as a person sees it: HTML tags removed, entities unescaped."""
        return _strip_html(self.text or "") if self.parse_mode == "HTML" else (self.text or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Inline keyboard rows (each button a dict with `text` and `callback_data` or `url`)."""
        if not self.reply_markup:
            return []
        return [list(row) for row in self.reply_markup.get("inline_keyboard", [])]

    @property
    def button_texts(self) -> list[str]:
        """Every inline button's label, row by row."""
        return [button["text"] for row in self.buttons for button in row]

    def button(self, label: str) -> dict[str, Any]:
        """The first button whose label contains `label` (case-insensitive)."""
        for row in self.buttons:
            for button in row:
                if label.lower() in button["text"].lower():
                    return button
        raise LookupError(f"no button {label!r} on message {self.message_id}: {self.button_texts}")


class _HTMLChecker(HTMLParser):
    """Rejects HTML that Telegram would refuse: unknown tags, unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.plain: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag not in HTML_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.plain.append(data)


def _check_html(text: str) -> tuple[str | None, str]:
    checker = _HTMLChecker()
    checker.feed(text)
    checker.close()
    if checker.error is None and checker.stack:
        checker.error = f'Can\'t find end tag corresponding to start tag "{checker.stack[-1]}"'
    if checker.error is None and _bare_lt(text):
        checker.error = "Unsupported start tag"
    return checker.error, "".join(checker.plain)


def _bare_lt(text: str) -> bool:
    """A '<' that does not start a tag (Telegram refuses it; it must be written &lt;)."""
    for index, char in enumerate(text):
        if char == "<":
            rest = text[index + 1 : index + 2]
            if not rest or not (rest.isalpha() or rest == "/"):
                return True
    return False


def _strip_html(text: str) -> str:
    return _check_html(text)[1] if text else ""


class BotAPIStandIn:
    """The Bot API on loopback. Use as a context manager or call `start()` / `stop()`."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "koppelbot_test_bot",
        host: str = "127.0.0.1",
        port: int = 0,
        limits: FloodLimits | None = FloodLimits(),  # noqa: B008 - frozen, shared safely
        strict_chats: bool = True,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.host = host
        self.port = port
        self.limits = limits
        self.strict_chats = strict_chats
        self.fault: Callable[[ApiCall], Fault | None] | None = None
        self.calls: list[ApiCall] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.left_chats: list[int] = []
        self.webhook: dict[str, Any] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.chats: dict[int, list[ChatMessage]] = defaultdict(list)
        self._chat_meta: dict[int, dict[str, Any]] = {}
        self._message_ids: dict[int, Iterator[int]] = defaultdict(lambda: itertools.count(1))
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._cond = threading.Condition()
        self._buckets: dict[object, tuple[float, float]] = {}
        self._handed_out_at = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.status_counts: dict[int, int] = defaultdict(int)
        self.dropped = 0
        self._connections: set[socket.socket] = set()
        self._delivered: dict[int, dict[str, Any]] = {}
        self._replays: list[dict[str, Any]] = []
        # Webhook delivery: like Telegram, a chat's updates one at a time, different chats concurrently.
        self.webhook_targets: list[str] | None = None  # several processes behind one URL (a reverse proxy)
        self.webhook_connections = 8
        self.webhook_retry_delay = 0.2
        self.webhook_posts: list[tuple[str, int, int]] = []  # (target, update_id, HTTP status or 0)
        self._webhook_threads: list[threading.Thread] = []
        self._webhook_busy: set[object] = set()
        self._webhook_not_before: dict[int, float] = {}
        self._webhook_round = itertools.count()

    # -- lifecycle -----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What `TELEGRAM_API_BASE_URL` should be to talk to this stand-in."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def start(self) -> BotAPIStandIn:
        """Listen on loopback (a free port unless one was given)."""
        standin = self

        class Handler(_RequestHandler):
            owner = standin

        server = _QuietServer((self.host, self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        # Poll for shutdown every 20 ms (the default 0.5 s was waited out by every test teardown).
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.02), name="bot-api-standin", daemon=True
        )
        self._thread.start()
        if self.webhook.get("url"):
            self._start_webhook_delivery()
        return self

    def stop(self) -> None:
        """Stop listening; the recorded chats stay readable. `start()` again listens on the same port."""
        if self._server is not None:
            with self._cond:
                self._cond.notify_all()
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            # Gone means gone: cut the kept-alive connections too (requests in progress lose their answer).
            with self._cond:
                connections, self._connections = list(self._connections), set()
            for connection in connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._cond:
            self._cond.notify_all()
        for thread in self._webhook_threads:
            thread.join(timeout=10)
        self._webhook_threads = []

    def __enter__(self) -> BotAPIStandIn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- acting as people ----------------------------------------------------------------------------
    def person(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "nl",
    ) -> Person:
        """Register a Telegram user who has a private chat with the bot; returns a handle to act as them."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        with self._cond:
            self.users[user_id] = user
            self._chat_meta[user_id] = {"id": user_id, "type": "private", "first_name": first_name}
            if username:
                self._chat_meta[user_id]["username"] = username
        return Person(self, user_id)

    def block(self, user_id: int) -> None:
        """The person blocks the bot: every later send to them answers 403."""
        with self._cond:
            self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """The person unblocks the bot: sends to them are delivered again."""
        with self._cond:
            self.blocked.discard(user_id)

    def enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue a raw update (`kind` is e.g. `message`, `callback_query`, `channel_post`); returns its id."""
        with self._cond:
            chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
            if isinstance(chat, dict) and "id" in chat:
                self._chat_meta.setdefault(int(chat["id"]), chat)
            update_id = next(self._update_ids)
            self._updates.append({"update_id": update_id, kind: payload})
            self._cond.notify_all()
        return update_id

    def replay(self, update_id: int) -> None:
        """Deliver an update again, with the same update_id (as after a lost acknowledgement)."""
        with self._cond:
            update = self._delivered.get(update_id)
            if update is not None:
                if self.webhook.get("url"):
                    self._updates.append(update)
                    self._updates.sort(key=lambda item: item["update_id"])
                else:  # delivered by the next getUpdates whatever its offset, as Telegram does after a reset
                    self._replays.append(update)
                self._cond.notify_all()
                return
        raise LookupError(f"update {update_id} was never delivered")

    def user_message(self, user_id: int, **content: Any) -> tuple[int, ChatMessage]:
        """A private message from `user_id` with the given Message fields (text, sticker, photo, ...)."""
        with self._cond:
            user = self.users[user_id]
            message_id = next(self._message_ids[user_id])
            kind = next((key for key in content if key not in {"entities", "caption"}), "text")
            stored = ChatMessage(
                chat_id=user_id,
                message_id=message_id,
                from_bot=False,
                kind=kind,
                text=content.get("text") or content.get("caption"),
                date=int(time.time()),
            )
            self.chats[user_id].append(stored)
            payload = {
                "message_id": message_id,
                "from": user,
                "chat": self._chat_meta[user_id],
                "date": stored.date,
                **content,
            }
        return self.enqueue("message", payload), stored

    def press(self, user_id: int, message: ChatMessage, data: str) -> str:
        """The person presses an inline button carrying `data` on `message`; returns the callback query id."""
        callback_id = str(next(self._callback_ids))
        with self._cond:
            payload = {
                "id": callback_id,
                "from": self.users[user_id],
                "chat_instance": f"ci{user_id}",
                "message": self._message_dict(message),
                "data": data,
            }
        self.enqueue("callback_query", payload)
        return callback_id

    # -- reading what was sent -----------------------------------------------------------------------
    def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        """Everything the bot sent to a chat, oldest first."""
        with self._cond:
            return [message for message in self.chats.get(chat_id, []) if message.from_bot]

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of one Bot API method."""
        with self._cond:
            return [call for call in self.calls if call.method == method]

    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by the bot (getUpdates with a higher offset)."""
        with self._cond:
            return len(self._updates)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        """Wait (without blocking the event loop the bot may share) until `predicate()` is true."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what or predicate}")
            await asyncio.sleep(0.01)

    @property
    def last_activity(self) -> float:
        """When the bot last did something: a call other than getUpdates, or fetching updates (monotonic)."""
        with self._cond:
            for call in reversed(self.calls):
                if call.method != "getUpdates":
                    return max(call.at, self._handed_out_at)
            return self._handed_out_at

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until all updates were fetched and the bot did nothing for `quiet` seconds.

        (Long polls do not count: `quiet` may be longer than the poll timeout, e.g. longer than the second a
        paced reply may wait for its chat's turn.)
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                last = self.last_activity
                pending = len(self._updates) + len(self._replays)
            if not pending and time.monotonic() - last >= quiet:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not go quiet")
            await asyncio.sleep(0.02)

    # -- the HTTP side -------------------------------------------------------------------------------
    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call; returns (HTTP status, JSON body)."""
        call = ApiCall(method=method, params=params, at=time.monotonic())
        with self._cond:
            self.calls.append(call)
        fault = self.fault(call) if self.fault is not None else None
        if fault is not None and fault.deliver:
            status, body = self._answer(method, params)
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                with self._cond:
                    self.dropped += 1
                return DROP, {}
            if fault.status:
                return self._error(fault.status, fault.description or HTTPStatus(fault.status).phrase, fault)
            return status, body
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                with self._cond:
                    self.dropped += 1
                return DROP, {}
            if fault.status:
                return self._error(fault.status, fault.description or HTTPStatus(fault.status).phrase, fault)
        return self._answer(method, params)

    def _answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            if self.webhook.get("url"):
                return self._error(
                    409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook"
                )
            return 200, {"ok": True, "result": self._get_updates(params)}
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        chat_id = params.get("chat_id")
        if method in SEND_METHODS | EDIT_METHODS and isinstance(chat_id, int):
            if chat_id in self.blocked:
                return self._error(403, "Forbidden: bot was blocked by the user")
            if self.strict_chats and chat_id not in self._chat_meta:
                return self._error(400, "Bad Request: chat not found")
            retry_after = self._flood_check(chat_id) if method in SEND_METHODS else None
            if retry_after is not None:
                return self._error(
                    429, f"Too Many Requests: retry after {retry_after}", Fault(retry_after=retry_after)
                )
        try:
            with self._cond:
                result = handler(params)
        except _BadRequest as exc:
            return self._error(400, f"Bad Request: {exc}")
        return 200, {"ok": True, "result": result}

    def _error(self, status: int, description: str, fault: Fault | None = None) -> tuple[int, dict[str, Any]]:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if fault is not None and fault.retry_after is not None:
            body["parameters"] = {"retry_after": fault.retry_after}
        with self._cond:
            self.status_counts[status] += 1
        return status, body

    def _flood_check(self, chat_id: int) -> int | None:
        if self.limits is None:
            return None
        now = time.monotonic()
        with self._cond:
            overall = self._take(("all",), now, self.limits.per_second, self.limits.burst)
            if overall is not None:
                return overall
            return self._take(
                ("chat", chat_id), now, self.limits.per_chat_per_second, self.limits.per_chat_burst
            )

    def _take(self, key: object, now: float, rate: float, burst: float) -> int | None:
        tokens, stamp = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - stamp) * rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return max(1, int((1 - tokens) / rate + 0.999))
        self._buckets[key] = (tokens - 1, now)
        return None

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._cond:
            if offset:
                self._updates = [update for update in self._updates if update["update_id"] >= offset]
            while not self._updates and not self._replays and self._server is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(min(remaining, 0.5))
            replays, self._replays = self._replays, []
            batch = replays + self._updates[: max(0, limit - len(replays))]
            self._delivered.update((update["update_id"], update) for update in batch)
            if batch:
                self._handed_out_at = time.monotonic()
            return batch

    # -- webhook delivery ----------------------------------------------------------------------------
    def _start_webhook_delivery(self) -> None:
        self._webhook_threads = [
            threading.Thread(target=self._webhook_worker, name=f"standin-webhook-{n}", daemon=True)
            for n in range(self.webhook_connections)
        ]
        for thread in self._webhook_threads:
            thread.start()

    def _next_for_webhook(self) -> dict[str, Any] | None:
        """The oldest update whose chat has nothing earlier pending or in flight (caller holds _cond)."""
        now = time.monotonic()
        seen: set[object] = set()
        for update in self._updates:
            key = _update_chat_key(update)
            if key in seen or key in self._webhook_busy:
                seen.add(key)
                continue
            seen.add(key)
            if self._webhook_not_before.get(update["update_id"], 0.0) > now:
                continue
            return update
        return None

    def _webhook_worker(self) -> None:
        while True:
            with self._cond:
                update = None
                while self._server is not None and self.webhook.get("url"):
                    update = self._next_for_webhook()
                    if update is not None:
                        break
                    self._cond.wait(0.05)
                if update is None:
                    return
                key = _update_chat_key(update)
                self._webhook_busy.add(key)
                targets = self.webhook_targets or [str(self.webhook["url"])]
                target = targets[next(self._webhook_round) % len(targets)]
                secret = self.webhook.get("secret_token")
            status = self._post_update(target, update, secret)
            with self._cond:
                self._webhook_busy.discard(key)
                self.webhook_posts.append((target, update["update_id"], status))
                if status == 200:
                    if update in self._updates:
                        self._updates.remove(update)
                    self._delivered[update["update_id"]] = update
                    self._webhook_not_before.pop(update["update_id"], None)
                else:
                    self._webhook_not_before[update["update_id"]] = (
                        time.monotonic() + self.webhook_retry_delay
                    )
                self._cond.notify_all()

    @staticmethod
    def _post_update(target: str, update: dict[str, Any], secret: object) -> int:
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(secret)
        request = urllib.request.Request(target, data=json.dumps(update).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0

    # -- Bot API methods -----------------------------------------------------------------------------
    def _api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Koppelbot",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_deleteWebhook(self, _params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith(("https://", "http://")):
            raise _BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = dict(params) if url else {}
        if url and not self._webhook_threads:
            self._start_webhook_delivery()
        return True

    def _api_getWebhookInfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[(scope, params.get("language_code") or "")] = list(params.get("commands") or [])
        return True

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        return self.commands.get((scope, params.get("language_code") or ""), [])

    @property
    def descriptions(self) -> dict[tuple[str, str], str]:
        """The bot's profile texts: (`description` or `short_description`, language code or "") → text."""
        found: dict[tuple[str, str], str] = self.__dict__.setdefault("_descriptions", {})
        return found

    def _set_profile_text(self, params: dict[str, Any], kind: str, limit: int) -> bool:
        value = str(params.get(kind) or "")
        if len(value) > limit:
            raise _BadRequest(f"{kind.upper()}_TOO_LONG")
        key = (kind, str(params.get("language_code") or ""))
        if value:
            self.descriptions[key] = value
        else:
            self.descriptions.pop(key, None)
        return True

    def _api_setMyDescription(self, params: dict[str, Any]) -> bool:
        return self._set_profile_text(params, "description", 512)

    def _api_getMyDescription(self, params: dict[str, Any]) -> dict[str, Any]:
        language = str(params.get("language_code") or "")
        return {"description": self.descriptions.get(("description", language), "")}

    def _api_setMyShortDescription(self, params: dict[str, Any]) -> bool:
        return self._set_profile_text(params, "short_description", 120)

    def _api_getMyShortDescription(self, params: dict[str, Any]) -> dict[str, Any]:
        language = str(params.get("language_code") or "")
        return {"short_description": self.descriptions.get(("short_description", language), "")}

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        callback_id = str(params.get("callback_query_id"))
        if callback_id in self.callback_answers:
            raise _BadRequest("query is too old and response timeout expired or query id is invalid")
        if len(str(params.get("text") or "")) > MAX_POPUP:
            raise _BadRequest("MESSAGE_TOO_LONG")
        self.callback_answers[callback_id] = dict(params)
        return True

    def _api_sendChatAction(self, _params: dict[str, Any]) -> bool:
        return True

    def _api_leaveChat(self, params: dict[str, Any]) -> bool:
        self.left_chats.append(int(params["chat_id"]))
        return True

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _BadRequest("message text is empty")
        plain = self._validate_text(text, params.get("parse_mode"), MAX_TEXT, "message is too long")
        self._validate_markup(params.get("reply_markup"))
        del plain
        return self._store_bot_message(params, kind="text", text=text)

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_file(params, "photo")

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._send_file(params, "document")

    def _send_file(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        upload = params.get(kind)
        if upload is None:
            raise _BadRequest(f"there is no {kind} in the request")
        caption = params.get("caption")
        if caption:
            self._validate_text(caption, params.get("parse_mode"), MAX_CAPTION, "message caption is too long")
        self._validate_markup(params.get("reply_markup"))
        name, data = upload if isinstance(upload, tuple) else (None, str(upload).encode())
        return self._store_bot_message(params, kind=kind, text=caption, file_name=name, file_bytes=data)

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _BadRequest("message text is empty")
        self._validate_text(text, params.get("parse_mode"), MAX_TEXT, "MESSAGE_TOO_LONG")
        markup = params.get("reply_markup")
        self._validate_markup(markup)
        if text == message.text and markup == message.reply_markup:
            raise _BadRequest(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        message.edits.append(message.text or "")
        message.text = text
        message.parse_mode = params.get("parse_mode")
        message.reply_markup = markup
        return self._message_dict(message)

    def _api_editMessageCaption(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        message.edits.append(message.text or "")
        message.text = params.get("caption")
        message.reply_markup = params.get("reply_markup")
        return self._message_dict(message)

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params)
        markup = params.get("reply_markup")
        self._validate_markup(markup)
        if markup == message.reply_markup:
            raise _BadRequest("message is not modified")
        message.reply_markup = markup
        return self._message_dict(message)

    def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        self._find(params).deleted = True
        return True

    # -- helpers -------------------------------------------------------------------------------------
    def _find(self, params: dict[str, Any]) -> ChatMessage:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        for message in self.chats.get(chat_id, []) if isinstance(chat_id, int) else []:
            if message.message_id == message_id and message.from_bot and not message.deleted:
                return message
        raise _BadRequest("message to edit not found")

    def _validate_text(self, text: str, parse_mode: str | None, limit: int, too_long: str) -> str:
        plain = text
        if parse_mode == "HTML":
            error, plain = _check_html(text)
            if error:
                raise _BadRequest(f"can't parse entities: {error}")
        if len(plain.encode("utf-16-le")) // 2 > limit:
            raise _BadRequest(too_long)
        return plain

    def _validate_markup(self, markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise _BadRequest("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise _BadRequest("BUTTON_TEXT_EMPTY")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise _BadRequest("BUTTON_DATA_INVALID")
        for row in markup.get("keyboard", []):  # a reply keyboard, e.g. with a user picker
            for button in row:
                text = button.get("text", "") if isinstance(button, dict) else str(button)
                if not str(text).strip():
                    raise _BadRequest("BUTTON_TEXT_EMPTY")
                request = button.get("request_users") if isinstance(button, dict) else None
                if request is not None:
                    request_id = request.get("request_id")
                    if not isinstance(request_id, int) or not -(2**31) <= request_id < 2**31:
                        raise _BadRequest("REQUEST_ID_INVALID")
                    if not 1 <= int(request.get("max_quantity", 1)) <= 10:
                        raise _BadRequest("REQUEST_USERS_MAX_QUANTITY_INVALID")

    def _store_bot_message(
        self,
        params: dict[str, Any],
        *,
        kind: str,
        text: str | None,
        file_name: str | None = None,
        file_bytes: bytes | None = None,
    ) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = ChatMessage(
            chat_id=chat_id,
            message_id=next(self._message_ids[chat_id]),
            from_bot=True,
            kind=kind,
            text=text,
            parse_mode=params.get("parse_mode"),
            reply_markup=params.get("reply_markup"),
            file_name=file_name,
            file_bytes=file_bytes,
            date=int(time.time()),
        )
        self.chats[chat_id].append(message)
        self._cond.notify_all()
        return self._message_dict(message)

    def _message_dict(self, message: ChatMessage) -> dict[str, Any]:
        chat = self._chat_meta.get(message.chat_id, {"id": message.chat_id, "type": "private"})
        result: dict[str, Any] = {"message_id": message.message_id, "date": message.date, "chat": chat}
        if message.from_bot:
            result["from"] = self._api_getMe({})
        else:
            result["from"] = self.users.get(message.chat_id, {"id": message.chat_id, "is_bot": False})
        file_id = f"file{next(self._file_ids)}"
        if message.kind == "photo":
            result["photo"] = [{"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 600}]
        elif message.kind == "document":
            result["document"] = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": message.file_name,
            }
        if message.kind in {"photo", "document"}:
            if message.text:
                result["caption"] = message.text
        elif message.text is not None:
            result["text"] = message.plain_text if message.from_bot else message.text
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = message.reply_markup  # Telegram returns inline keyboards only
        return result


class _BadRequest(Exception):
    pass


def _update_chat_key(update: dict[str, Any]) -> object:
    """The chat (or user) an update belongs to, for Telegram's one-at-a-time delivery per chat."""
    payload: Any = next((value for key, value in update.items() if key != "update_id"), {})
    if not isinstance(payload, dict):
        return update["update_id"]
    chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
    if isinstance(chat, dict) and "id" in chat:
        return chat["id"]
    sender = payload.get("from")
    if isinstance(sender, dict) and "id" in sender:
        return sender["id"]
    return update["update_id"]


class Person:
    """A handle to act as one Telegram user in their private chat with the bot."""

    def __init__(self, standin: BotAPIStandIn, user_id: int) -> None:
        self.standin = standin
        self.user_id = user_id
        self._seen = 0

    @property
    def messages(self) -> list[ChatMessage]:
        """Everything the bot sent to this person, oldest first."""
        return self.standin.bot_messages(self.user_id)

    @property
    def last(self) -> ChatMessage:
        """The newest message from the bot."""
        messages = self.messages
        if not messages:
            raise LookupError(f"the bot sent nothing to {self.user_id}")
        return messages[-1]

    def send(self, text: str) -> int:
        """Send a text message (a leading /command gets the bot_command entity Telegram adds)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0] if text.split() else text
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        update_id, _ = self.standin.user_message(self.user_id, **content)
        return update_id

    def send_sticker(self) -> int:
        sticker: dict[str, Any] = {"file_id": "sticker1", "file_unique_id": "sticker1", "type": "regular"}
        sticker |= {"width": 512, "height": 512, "is_animated": False, "is_video": False}
        return self.standin.user_message(self.user_id, sticker=sticker)[0]

    def send_photo(self) -> int:
        photo = [{"file_id": "photo1", "file_unique_id": "photo1", "width": 90, "height": 90}]
        return self.standin.user_message(self.user_id, photo=photo)[0]

    def send_voice(self) -> int:
        voice = {"file_id": "voice1", "file_unique_id": "voice1", "duration": 2}
        return self.standin.user_message(self.user_id, voice=voice)[0]

    def send_location(self) -> int:
        return self.standin.user_message(self.user_id, location={"latitude": 52.04, "longitude": 5.66})[0]

    def press(self, label: str, message: ChatMessage | None = None) -> str:
        """Press the button whose label contains `label` on `message` (default: newest message having it)."""
        if message is None:
            message = next(
                (
                    m
                    for m in reversed(self.messages)
                    if any(label.lower() in t.lower() for t in m.button_texts)
                ),
                None,
            )
            if message is None:
                raise LookupError(f"no message to {self.user_id} has a button {label!r}")
        return self.standin.press(self.user_id, message, message.button(label)["callback_data"])

    def share_user(self, shared: int, label: str | None = None, *, request_id: int | None = None) -> int:
        """Pick the user `shared` with a reply keyboard's user-picker button, as Telegram's client does.

        The button is the newest one asking for users (whose label contains `label`, when given); Telegram
        then sends a `users_shared` message with the button's request_id and the user's id (and name and
        username when the button asked for them). `request_id` forges a different one.
        """
        button = None
        for message in reversed(self.messages):
            markup = message.reply_markup or {}
            for row in markup.get("keyboard", []) if isinstance(markup, dict) else []:
                for candidate in row:
                    if not isinstance(candidate, dict) or "request_users" not in candidate:
                        continue
                    if label is None or label.lower() in str(candidate.get("text", "")).lower():
                        button = candidate
                        break
                if button is not None:
                    break
            if button is not None:
                break
        if button is None and request_id is None:
            raise LookupError(f"no message to {self.user_id} has a user-picker button")
        request = button["request_users"] if button is not None else {}
        user = self.standin.users.get(shared, {"id": shared, "first_name": "?"})
        entry: dict[str, Any] = {"user_id": shared}
        if request.get("request_name"):
            entry["first_name"] = user.get("first_name")
            if user.get("last_name"):
                entry["last_name"] = user["last_name"]
        if request.get("request_username") and user.get("username"):
            entry["username"] = user["username"]
        chosen = request_id if request_id is not None else int(request["request_id"])
        users_shared = {"request_id": chosen, "users": [entry]}
        return self.standin.user_message(self.user_id, users_shared=users_shared)[0]

    def press_data(self, data: str, message: ChatMessage | None = None) -> str:
        """Press a button with arbitrary (possibly forged) callback data."""
        return self.standin.press(self.user_id, message or self.last, data)

    async def reply(self, timeout: float = 10.0) -> ChatMessage:
        """Wait for the next bot message this handle has not returned yet."""
        await self.standin.wait_until(
            lambda: len(self.messages) > self._seen, timeout, f"a reply to {self.user_id}"
        )
        message = self.messages[self._seen]
        self._seen += 1
        return message

    async def replies_until_idle(self, quiet: float = 0.3) -> list[ChatMessage]:
        """Every new bot message once the bot has gone quiet."""
        await self.standin.wait_idle(quiet)
        new = self.messages[self._seen :]
        self._seen += len(new)
        return new

    def skip(self) -> None:
        """Mark every message so far as seen."""
        self._seen = len(self.messages)


class _QuietServer(ThreadingHTTPServer):
    allow_reuse_address = True
    # The bot opens up to `concurrent_updates` connections at once; the default backlog of 5 drops the
    # rest of the SYNs and the client retries after a second.
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (the bot stopping a long poll) is normal, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    owner: BotAPIStandIn
    protocol_version = "HTTP/1.1"
    # Headers and body are written separately: without TCP_NODELAY, Nagle's algorithm and the client's
    # delayed ACK add ~40 ms to every answer on a kept-alive connection (Telegram's servers do not).
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.owner._cond:
            self.owner._connections.add(self.connection)

    def finish(self) -> None:
        with self.owner._cond:
            self.owner._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the stand-in does not print every request."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        prefix = f"/bot{self.owner.token}/"
        if not parts.path.startswith(prefix):
            self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        method = parts.path[len(prefix) :]
        try:
            params = self._params(parts.query)
        except ValueError as exc:
            self._reply(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"})
            return
        status, body = self.owner.handle(method, params)
        if status == DROP:
            self.close_connection = True  # hang up without a word, as a dying proxy or network would
            return
        self._reply(status, body)

    def _params(self, query: str) -> dict[str, Any]:
        raw: dict[str, Any] = dict(parse_qsl(query))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        if body and content_type.startswith("application/json"):
            return dict(json.loads(body))
        if body and content_type.startswith("multipart/form-data"):
            raw.update(_parse_multipart(content_type, body))
        elif body:
            raw.update(parse_qsl(body.decode(), keep_blank_values=True))
        return {key: _decode(key, value) for key, value in raw.items()}

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            fields[str(name)] = (filename, payload)
        else:
            fields[str(name)] = payload.decode()  # type: ignore[union-attr]  # bytes: decode=True
    # A file sent by attach:// reference is referenced from the named field.
    for key, value in list(fields.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            fields[key] = fields.get(value[len("attach://") :], value)
    return fields


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in OBJECT_FIELDS:
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"can't parse {key} JSON object") from exc
    if key in INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value
    if key in BOOL_FIELDS:
        return value.lower() == "true"
    return value
