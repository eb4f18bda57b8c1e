"""Long polling survives what Telegram (or a stand-in) may send: an update PTB cannot read is skipped."""

from __future__ import annotations

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn


async def test_an_unreadable_update_is_skipped_and_polling_goes_on(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    anna = standin.person(1001, "Anna")
    me = standin._api_getMe({})
    # A chat member update missing a field PTB requires: PTB's get_updates would raise for the whole batch.
    standin.enqueue(
        "my_chat_member",
        {
            "chat": {"id": 1001, "type": "private"},
            "from": standin.users[1001],
            "date": 0,
            "old_chat_member": {"user": me, "status": "member"},
            "new_chat_member": {"user": me, "status": "kicked"},
        },
    )
    anna.send("/start")
    reply = await anna.reply()
    assert "Koppelbot" in reply.plain_text
    await standin.wait_idle()
    assert standin.pending_updates() == 0  # the unreadable one was confirmed too, not fetched forever
