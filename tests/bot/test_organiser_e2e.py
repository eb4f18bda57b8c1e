"""End to end: organiser commands through the stand-in, refusals included, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.services.charts import PNG_SIGNATURE
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.invitations import get_or_create_event
from storage.models import Invitation, OutboxMessage, OutboxState
from storage.organisers import is_organiser
from tests.bot.organiser_data import introduce, person, suggest

ORGANISER = 900001
STRANGER = 1234

ORGANISER_COMMANDS = [
    "organisers", "broadcast", "broadcasts", "stats", "unmet", "export", "invite", "event", "outbox",
    "digest_now",
]  # fmt: skip


@pytest.mark.parametrize("command", ORGANISER_COMMANDS)
async def test_every_organiser_command_refuses_everybody_else(
    standin: BotAPIStandIn, bot: KoppelApplication, command: str
) -> None:
    stranger = standin.person(STRANGER, "Sanne")
    stranger.send(f"/{command}")
    reply = await stranger.reply()
    assert "alleen voor de organisatoren" in reply.plain_text
    assert reply.kind == "text" and not reply.buttons


@pytest.mark.parametrize("data", ["bc:go:1", "bc:halt:1", "st:unmet", "ud:1", "org:retry"])
async def test_organiser_buttons_refuse_everybody_else(
    standin: BotAPIStandIn, bot: KoppelApplication, data: str
) -> None:
    stranger = standin.person(STRANGER, "Sanne")
    stranger.send("/start")
    await stranger.reply()
    callback_id = stranger.press_data(data)
    await standin.wait_until(lambda: callback_id in standin.callback_answers, what="the refusal")
    answer = standin.callback_answers[callback_id]
    assert answer["show_alert"] is True and "organisatoren" in answer["text"]


async def test_organiser_menu_is_set_only_for_organisers(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    scoped = {
        (key[0], key[1]): [c["command"] for c in commands]
        for key, commands in standin.commands.items()
        if '"chat_id": 900001' in key[0]
    }
    assert len(scoped) == 2  # nl (default) and en
    for commands in scoped.values():
        assert {"start", "broadcast", "stats", "export", "invite", "organisers", "digest_now"} <= set(
            commands
        )
    default = [c["command"] for key, cs in standin.commands.items() if '"default"' in key[0] for c in cs]
    assert "stats" not in default and "start" in default


async def test_organisers_add_list_and_remove(standin: BotAPIStandIn, bot: KoppelApplication, engine) -> None:
    org = standin.person(ORGANISER, "Olga")
    standin.person(555, "Nieuwe")
    org.send("/organisers add 555")
    assert "is nu organisator" in (await org.reply()).plain_text
    assert any('"chat_id": 555' in key[0] for key in standin.commands)
    org.send("/organisers")
    listing = (await org.reply()).plain_text
    assert "900001: alle regio's en events, vast in ORGANISER_IDS" in listing and "• 555: alle" in listing
    org.send("/organisers add twaalf")
    refusal = (await org.reply()).plain_text
    assert "Ik ken de regio of het event twaalf niet" in refusal and "achterhoek, arnhem-nijmegen" in refusal
    org.send("/organisers delete 555")
    assert "Gebruik" in (await org.reply()).plain_text
    org.send("/organisers remove 900001")
    assert "ORGANISER_IDS" in (await org.reply()).plain_text
    org.send("/organisers remove 555")
    assert "geen organisator meer" in (await org.reply()).plain_text
    with Session(engine) as session:
        assert not is_organiser(session, telegram_id=555, configured=[ORGANISER])


async def test_stats_sends_the_funnel_chart_with_numbers_and_projects(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    a = person(engine, 11, organisation="Het Assink", region="achterhoek", needs=("gastlessen",))
    b = person(engine, 12, organisation="Bouwbedrijf <Oost>", role="company", region="cleantech")
    c = person(engine, 13, organisation="Graafschap College", role="mbo", region="achterhoek")
    introduce(engine, a, b, project="Gastlessen <b>warmtepompen</b> & excursie")
    introduce(engine, a, c, contacted=True)
    suggest(engine, b, c, answer_a="yes")
    org = standin.person(ORGANISER, "Olga")
    org.send("/stats")
    photo = await org.reply()
    assert photo.kind == "photo"
    assert photo.file_bytes is not None and photo.file_bytes.startswith(PNG_SIGNATURE)
    caption = photo.plain_text
    # People, not pairs: three people with three suggestions between them.
    assert "Deelnemers: 3\n" in caption and "Met een suggestie: 3 (100%)" in caption
    assert "Ja gezegd: 3 (100%)" in caption and "Met een kennismaking: 3 (100%)" in caption
    assert "Contact gehad: 3 (100%)" in caption and "Project gestart: 2 (67%)" in caption
    assert "Achterhoek: 2 · 2 · 2 · 1" in caption and "Cleantech Regio: 1 · 1 · 1 · 1" in caption
    projects = await org.reply()
    assert "Gastlessen <b>warmtepompen</b> & excursie" in projects.plain_text  # escaped, shown literally
    assert "Bouwbedrijf <Oost>" in projects.plain_text


async def test_invite_gives_an_event_link_and_a_qr_code(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    with session_scope(engine) as session:
        get_or_create_event(session, code="ede-2026")  # made with /event new
    org = standin.person(ORGANISER, "Olga")
    org.send("/invite ede-2026")
    photo = await org.reply()
    assert photo.kind == "photo" and photo.file_bytes.startswith(PNG_SIGNATURE)
    assert "https://t.me/koppelbot_test_bot?start=" in photo.plain_text
    org.send("/invite ede-2026")
    again = await org.reply()
    link = [w for w in photo.plain_text.split() if w.startswith("https://")][0]
    assert link in again.plain_text  # the same event link is reused while it is valid
    token = link.split("start=")[1]
    assert len(token) <= 64
    with Session(engine) as session:
        invitation = session.exec(select(Invitation).where(Invitation.token == token)).one()
        assert invitation.kind == "event" and invitation.event_id is not None
    org.send("/invite <script>")
    assert "letters, cijfers" in (await org.reply()).plain_text


async def test_outbox_shows_parked_messages_and_retries_them(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    from storage.outbox import enqueue

    with session_scope(engine) as session:
        row = enqueue(session, dedupe_key="digest:1:x", chat_id=77, kind="digest", text="hoi")
        assert row is not None
        row.state = OutboxState.PARKED
        row.attempts = 8
        row.last_error = "NetworkError"
        session.add(row)
    org = standin.person(ORGANISER, "Olga")
    org.send("/outbox")
    reply = await org.reply()
    assert "1 vastgelopen bericht (" in reply.plain_text and "NetworkError" in reply.plain_text
    assert "8 pogingen" in reply.plain_text
    # In words: what it was, to whom, and why; the raw error last.
    assert "weekoverzicht aan een chat zonder deelnemer, 8 pogingen. Telegram was niet bereikbaar." in (
        reply.plain_text
    )
    standin.person(77, "Eindelijk")  # the recipient can be reached now
    org.press("opnieuw")
    await standin.wait_until(lambda: "wachtrij" in org.last.plain_text, what="the retry")
    await standin.wait_until(lambda: [m.text for m in standin.bot_messages(77)] == ["hoi"], what="delivery")
    await standin.wait_until(lambda: _state(engine) == OutboxState.SENT, what="the row marked sent")
    org.press_data("org:retry", org.last)  # pressed again (an older list): nothing left, not "0 berichten"
    await standin.wait_until(lambda: "geen vastgelopen berichten" in org.last.plain_text, what="nothing left")


def _state(engine) -> str:
    with Session(engine) as session:
        return session.exec(select(OutboxMessage)).one().state


async def test_digest_now_runs_the_weekly_digest_at_once(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    for user_id, offers, needs in ((11, ("gastlessen warmtepompen",), ("stageplekken",)),
                                   (12, ("stageplekken installatietechniek",), ("gastlessen",))):  # fmt: skip
        standin.person(user_id, "Deelnemer")
        person(engine, user_id, organisation=f"Org {user_id}", offers=offers, needs=needs)
    org = standin.person(ORGANISER, "Olga")
    org.send("/digest_now")
    assert "Ik maak het weekoverzicht nu" in (await org.reply()).plain_text
    done = (await org.reply(timeout=30)).plain_text
    assert re.search(r"Weekoverzicht van week \d+ verstuurd naar 2 deelnemers: 1 nieuwe suggestie,", done)
    await standin.wait_until(lambda: bool(standin.bot_messages(11)) and bool(standin.bot_messages(12)))
    org.send("/digest_now")  # again: nobody gets a second digest this week
    await org.reply()
    assert "Al verstuurd deze week: 2 deelnemers." in (await org.reply(timeout=30)).plain_text
