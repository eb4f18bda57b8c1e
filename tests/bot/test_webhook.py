"""Webhook mode: the real bot behind its own HTTP server; the stand-in POSTs updates like Telegram does."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine

from bot.app import KoppelApplication, build_application
from bot.runner import webhook
from bot.settings import Settings
from bot.standin import BotAPIStandIn

SECRET = "s3cret-Token_for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def webhook_bot(settings: Settings, engine: Engine) -> AsyncIterator[tuple[KoppelApplication, str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    application = build_application(settings, engine=engine)
    async with webhook(application, url=url, listen="127.0.0.1", port=port, secret=SECRET):
        yield application, url


def post(url: str, body: object, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Mallory", "language_code": "nl"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "from": user,
            "chat": {"id": user_id, "type": "private", "first_name": "Mallory"},
            "date": 0,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_the_bot_registers_its_webhook_with_the_secret(standin: BotAPIStandIn, webhook_bot) -> None:
    _, url = webhook_bot
    assert standin.webhook["url"] == url
    assert standin.webhook["secret_token"] == SECRET


async def test_posts_without_the_right_secret_are_refused(standin: BotAPIStandIn, webhook_bot) -> None:
    _, url = webhook_bot
    standin.person(4242, "Mallory")
    json_type = {"Content-Type": "application/json"}
    assert await await_post(url, start_update(900, 4242), json_type) == 403
    wrong = json_type | {"X-Telegram-Bot-Api-Secret-Token": "guess"}
    assert await await_post(url, start_update(901, 4242), wrong) == 403
    await standin.wait_idle(quiet=0.3)
    assert standin.bot_messages(4242) == []  # nothing was handled
    right = json_type | {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert await await_post(url, {"not": "an update"}, right) in {200, 400}
    assert await await_post(url, start_update(902, 4242), right | {"Content-Type": "text/plain"}) == 403
    assert await await_post(url, start_update(903, 4242), right) == 200
    # Answered only after it was handled: the reply is there when the POST returns.
    assert len(standin.bot_messages(4242)) == 1


async def await_post(url: str, body: object, headers: dict[str, str]) -> int:
    """POST from a thread: the bot's server runs on this test's event loop."""
    return await asyncio.to_thread(post, url, body, headers)


async def test_people_are_served_through_the_webhook(standin: BotAPIStandIn, webhook_bot) -> None:
    anna = standin.person(1001, "Anna")
    anna.send("/start")
    reply = await anna.reply()
    assert "Welkom bij Koppelbot" in reply.plain_text
    await standin.wait_until(lambda: standin.pending_updates() == 0, what="the POST to be answered")
    assert [status for _, _, status in standin.webhook_posts] == [200]


async def test_getupdates_is_refused_while_a_webhook_is_set(standin: BotAPIStandIn, webhook_bot) -> None:
    status, body = standin.handle("getUpdates", {})
    assert status == 409 and "webhook is active" in body["description"]


async def test_a_health_check_answers_for_the_reverse_proxy(webhook_bot) -> None:
    _, url = webhook_bot
    health = url.rsplit("/", 1)[0] + "/healthz"

    def get() -> bytes:
        with urllib.request.urlopen(health, timeout=5) as response:
            return bytes(response.read())

    assert await asyncio.to_thread(get) == b"ok"


@pytest.mark.parametrize("weak", [None, "", "kort-geheim", "spaties in een geheim!!"])
async def test_a_webhook_without_a_strong_secret_is_never_served(
    settings: Settings, engine: Engine, weak: str | None
) -> None:
    port = free_port()
    application = build_application(settings, engine=engine)
    with pytest.raises(ValueError, match="at least 16 characters"):
        async with webhook(application, url=f"http://127.0.0.1:{port}/t", port=port, secret=weak):
            pass
    with socket.socket() as sock:  # nothing listens on the port
        assert sock.connect_ex(("127.0.0.1", port)) != 0
