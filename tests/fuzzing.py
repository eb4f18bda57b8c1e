"""Hypothesis strategies for hostile Telegram updates, shared by the fuzz test and bench/fuzz.py.

Each drawn item is an `Action` the stand-in can play: a message (any text, command, sticker, photo, voice,
location, contact), a callback press with any data (forged, random, someone else's), an edited message,
a group or channel post, a block/unblock, or a replay of an earlier update. Names carry HTML and Markdown
that would break the bot's HTML if a value reached a message unescaped.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

PEOPLE = list(range(880_001, 880_041))  # 40 people, so conversations get somewhere
ORGANISER = 880_001
INJECTIONS = [
    "<b>", "</b>", "<i>x</i>", "<script>alert(1)</script>", "&amp;", "&", "<", ">", "&lt;", "<a href='x'>",
    "*bold*", "_it_", "`code`", "[link](http://x)", "</", "<tg-spoiler>", "\u202e", "\u0000", "\x1b[31m",
    "Jan & Piet <BV>", "O'Neill \"de\" Vries", "😀", "\u200b", "ï̈", "\ufeff",
]  # fmt: skip
COMMANDS = [
    "/start", "/start abc", "/start " + "x" * 70, "/help", "/matches", "/profile", "/delete", "/pause",
    "/resume", "/cancel", "/menu", "/stats", "/broadcast", "/export", "/invites", "/organisers", "/start@bot",
    "/unknowncommand", "/", "//", "/start\u0000",
]  # fmt: skip
CALLBACK_PREFIXES = [
    "consent", "ob", "th", "pf", "sg", "relay", "lang", "del", "fu", "intro", "menu", "bc", "org", "dg",
    "region", "pause", "x",
]  # fmt: skip
ANSWERS = ["Akkoord", "Ja", "Nee", "Later", "Overslaan", "Klaar", "Verder", "Stop", "Wis", "Annuleer"]

# Telegram never sends lone surrogates (they cannot be UTF-8); everything else is fair game.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
hostile_text = st.one_of(
    any_text,
    st.lists(st.one_of(st.sampled_from(INJECTIONS), any_text), max_size=8).map("".join),
    st.sampled_from(COMMANDS),
    st.builds(lambda c, t: f"{c} {t}", st.sampled_from(COMMANDS), any_text),
    st.sampled_from(ANSWERS),
    st.integers(min_value=1, max_value=6).map(lambda n: "x" * (2000 * n)),
    st.just(""),
    st.just(" \n\t "),
)
name_text = st.one_of(
    st.lists(st.one_of(st.sampled_from(INJECTIONS), any_text), min_size=1, max_size=5).map("".join),
    any_text,
)


def _data_bytes(text: str) -> str:
    while len(text.encode()) > 64:
        text = text[:-1]
    return text


callback_data = st.one_of(
    st.builds(
        lambda prefix, args: ":".join([prefix, *args]),
        st.sampled_from(CALLBACK_PREFIXES),
        st.lists(
            st.one_of(st.integers(-5, 10**12).map(str), st.sampled_from(["yes", "no", "later", "never"])),
            max_size=4,
        ),
    ).map(_data_bytes),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=64).map(_data_bytes),
    st.binary(min_size=1, max_size=64).map(lambda b: _data_bytes(b.decode("latin-1"))),
).filter(lambda d: 1 <= len(d.encode()) <= 64)


@dataclass(frozen=True)
class Action:
    """One thing a person (or a group, or Telegram) does."""

    kind: str
    user: int
    payload: Any = None


actions = st.one_of(
    st.builds(Action, st.just("text"), st.sampled_from(PEOPLE), hostile_text),
    st.builds(Action, st.just("text"), st.sampled_from(PEOPLE), st.sampled_from(COMMANDS + ANSWERS)),
    st.builds(Action, st.just("press"), st.sampled_from(PEOPLE), st.sampled_from(ANSWERS)),
    st.builds(Action, st.just("callback"), st.sampled_from(PEOPLE), callback_data),
    st.builds(Action, st.just("media"), st.sampled_from(PEOPLE),
              st.sampled_from(["sticker", "photo", "voice", "location", "contact", "document", "dice"])),
    st.builds(Action, st.just("rename"), st.sampled_from(PEOPLE),
              st.tuples(name_text, st.one_of(st.none(), name_text),
                        st.one_of(st.none(), st.text(max_size=40)),
                        st.sampled_from(["nl", "en", "de", "en-GB", "", "xx-invalid"]))),
    st.builds(Action, st.just("edited"), st.sampled_from(PEOPLE), hostile_text),
    st.builds(Action, st.just("group"), st.sampled_from(PEOPLE), hostile_text),
    st.builds(Action, st.just("channel"), st.sampled_from(PEOPLE), hostile_text),
    st.builds(Action, st.just("block"), st.sampled_from(PEOPLE), st.booleans()),
    st.builds(Action, st.just("replay"), st.sampled_from(PEOPLE)),
)  # fmt: skip


class Player:
    """Plays actions on a stand-in (thread-safe; the bot may run in another thread or process)."""

    def __init__(self, standin: Any) -> None:
        self.standin = standin
        self.last_update: dict[int, int] = {}
        self.last_text: dict[int, tuple[int, str]] = {}
        self.played = 0
        for user in PEOPLE:
            standin.person(user, f"Persoon {user}", language_code="nl")

    def play(self, action: Action) -> None:
        standin, user = self.standin, action.user
        person = _Handle(standin, user)
        update_id: int | None = None
        if action.kind == "text":
            text = str(action.payload)[:4096]
            update_id = person.send(text) if text.strip() else self._fallback(user)
        elif action.kind == "press":
            messages = standin.bot_messages(user)
            target = next(
                (
                    m
                    for m in reversed(messages)
                    if any(action.payload.lower() in b.lower() for b in m.button_texts)
                ),
                None,
            )
            data = target.button(action.payload).get("callback_data") if target is not None else None
            if target is None or not data:
                update_id = self._fallback(user)
            else:
                standin.press(user, target, data)
        elif action.kind == "callback":
            messages = standin.bot_messages(user)
            if not messages:
                update_id = self._fallback(user)
            else:
                standin.press(user, messages[-1], action.payload)
        elif action.kind == "media":
            update_id = standin.user_message(user, **MEDIA[action.payload])[0]
        elif action.kind == "rename":
            first, last, username, language = action.payload
            standin.person(
                user, first.strip() or "?", last_name=last, username=username, language_code=language or None
            )
        elif action.kind == "edited":
            if user not in self.last_text:
                self._fallback(user)
                self.played += 1
                return
            message_id, _ = self.last_text[user]
            payload = {
                "message_id": message_id,
                "from": standin.users[user],
                "chat": {"id": user, "type": "private", "first_name": standin.users[user]["first_name"]},
                "date": 0,
                "edit_date": 1,
                "text": str(action.payload)[:4096] or "x",
            }
            update_id = standin.enqueue("edited_message", payload)
        elif action.kind == "group":
            group = {"id": -(10_000 + user % 7), "type": "supergroup", "title": "Techniekpact <b>"}
            payload = {"message_id": 1, "from": standin.users[user], "chat": group, "date": 0,
                       "text": str(action.payload)[:4096] or "hoi"}  # fmt: skip
            standin.enqueue("message", payload)
        elif action.kind == "channel":
            channel = {"id": -(100_000 + user % 3), "type": "channel", "title": "Kanaal"}
            standin.enqueue("channel_post", {"message_id": 1, "chat": channel, "date": 0,
                                             "text": str(action.payload)[:4096] or "hoi"})  # fmt: skip
        elif action.kind == "block":
            with standin._cond:
                if action.payload:
                    standin.blocked.add(user)
                else:
                    standin.blocked.discard(user)
            me = standin._api_getMe({})
            standin.enqueue(
                "my_chat_member",
                {
                    "chat": {"id": user, "type": "private", "first_name": standin.users[user]["first_name"]},
                    "from": standin.users[user],
                    "date": 0,
                    "old_chat_member": _member(me, not action.payload),
                    "new_chat_member": _member(me, bool(action.payload)),
                },
            )
        elif action.kind == "replay":
            if user in self.last_update:
                with contextlib.suppress(LookupError):  # not fetched yet: nothing to replay
                    standin.replay(self.last_update[user])
        if update_id is not None:
            self.last_update[user] = update_id
            if action.kind == "text":
                self.last_text[user] = (standin.chats[user][-1].message_id, str(action.payload))
        self.played += 1

    def _fallback(self, user: int) -> int:
        return int(self.standin.user_message(user, **MEDIA["sticker"])[0])


class _Handle:
    def __init__(self, standin: Any, user: int) -> None:
        self.standin, self.user = standin, user

    def send(self, text: str) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0] if text.split() else text
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return int(self.standin.user_message(self.user, **content)[0])


MEDIA: dict[str, dict[str, Any]] = {
    "sticker": {"sticker": {"file_id": "s1", "file_unique_id": "s1", "type": "regular", "width": 512,
                            "height": 512, "is_animated": False, "is_video": False}},
    "photo": {"photo": [{"file_id": "p1", "file_unique_id": "p1", "width": 90, "height": 90}],
              "caption": "<b>kijk</b> & zie"},
    "voice": {"voice": {"file_id": "v1", "file_unique_id": "v1", "duration": 2}},
    "location": {"location": {"latitude": 52.04, "longitude": 5.66}},
    "contact": {"contact": {"phone_number": "+31612345678", "first_name": "Eve <i>"}},
    "document": {"document": {"file_id": "d1", "file_unique_id": "d1", "file_name": "<plan>.pdf"}},
    "dice": {"dice": {"emoji": "🎲", "value": 3}},
}  # fmt: skip


def _member(user: dict[str, Any], kicked: bool) -> dict[str, Any]:
    if kicked:
        return {"user": user, "status": "kicked", "until_date": 0}
    return {"user": user, "status": "member"}
