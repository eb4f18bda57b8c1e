"""End to end over HTTP: a suggestion card shows its answer in place, and every live copy of it follows."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.app import KoppelApplication, build_application
from bot.clock import Clock
from bot.runner import polling
from bot.services import digest
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from bot.standin.server import ChatMessage, Person
from storage.models import Introduction, NeverSuggest, OutboxMessage, Suggestion, SuggestionStatus
from tests.bot.test_matches_e2e import card_for, school_and_installer, seed

ORGANISER = 900001
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def sends_to(standin: BotAPIStandIn, chat_id: int) -> int:
    return sum(1 for call in standin.calls_to("sendMessage") if call.params.get("chat_id") == chat_id)


async def only_card(person: Person, name: str) -> ChatMessage:
    await card_for(person, name)
    return next(m for m in person.messages if name in m.plain_text and m.buttons)


async def test_an_answer_edits_the_card_and_undo_restores_that_card(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    ruud = standin.person(3002, "Ruud", language_code="nl")
    ruud.send("/matches")
    card = await only_card(ruud, "Sanne de Vries")
    await standin.wait_idle()
    sent = sends_to(standin, 3002)
    ruud.press("Nee, bedankt", card)
    await standin.wait_until(
        lambda: "hoort hier niets over" in card.plain_text, what="the answer on the card"
    )
    assert "Sanne de Vries" in card.plain_text and "Het Streek" in card.plain_text  # still the card
    assert "Wil je kennismaken?" not in card.plain_text
    assert card.button_texts == ["Ongedaan maken"]
    ruud.press("Ongedaan maken", card)
    await standin.wait_until(lambda: "Ja, stel me voor" in card.button_texts, what="the card restored")
    assert "Wil je kennismaken?" in card.plain_text and "hoort hier niets over" not in card.plain_text
    ruud.press("Later", card)
    await standin.wait_until(lambda: "bewaar" in card.plain_text, what="later on the card")
    assert "Ja, stel me voor" in card.button_texts  # one can still answer it
    await standin.wait_idle()
    # No confirmation message, no list sent again: the one card changed.
    assert sends_to(standin, 3002) == sent


async def test_yes_edits_the_card_to_say_who_we_wait_for(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    sanne.send("/matches")
    card = await only_card(sanne, "Ruud Jansen")
    await standin.wait_idle()
    sent = sends_to(standin, 3001)
    sanne.press("Ja, stel me voor", card)
    await standin.wait_until(lambda: "Zodra Ruud Jansen ook ja zegt" in card.plain_text)
    assert card.button_texts == []
    await standin.wait_idle()
    assert sends_to(standin, 3001) == sent


async def test_every_live_copy_follows_and_never_is_not_reopened_by_an_older_copy(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    sanne.send("/matches")
    sanne.press("Ja, stel me voor", await only_card(sanne, "Ruud Jansen"))
    # Ruud's first copy arrives through the outbox, a second one answers his /matches.
    asked = await only_card(ruud, "Nieuwe suggestie voor je: Sanne de Vries")
    ruud.send("/matches")
    await standin.wait_until(lambda: len([m for m in ruud.messages if m.buttons]) == 2, what="a second copy")
    listed = [m for m in ruud.messages if m.buttons][-1]
    assert listed is not asked and "Sanne de Vries" in listed.plain_text
    ruud.press("Nooit meer voorstellen", listed)
    for copy in (listed, asked):
        await standin.wait_until(
            lambda copy=copy: "nooit meer" in copy.plain_text, what="every copy answered"
        )
        assert copy.button_texts == ["Ongedaan maken"]
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
    # "Ja" pressed on an older copy (its buttons as they were) does not reopen a "never": a popup says so.
    query = ruud.press_data(f"sg:{suggestion.id}:y", asked)
    await standin.wait_until(lambda: query in standin.callback_answers, what="the popup")
    assert "Nooit meer voorstellen" in standin.callback_answers[query].get("text", "")
    await standin.wait_idle()
    with Session(engine) as session:
        assert session.exec(select(Suggestion)).one().status == SuggestionStatus.DECLINED
        assert len(session.exec(select(NeverSuggest)).all()) == 1
        assert session.exec(select(Introduction)).all() == []
    # Undo on one copy restores every copy.
    ruud.press("Ongedaan maken", asked)
    for copy in (listed, asked):
        await standin.wait_until(lambda copy=copy: "Ja, stel me voor" in copy.button_texts, what="restored")
    with Session(engine) as session:
        assert session.exec(select(NeverSuggest)).all() == []


async def both_get_the_digest(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> tuple[Person, Person]:
    """Sanne (school) and Ruud (installer), suggested to each other by this week's digest, which both got."""
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    settings = bot.bot_data.settings
    await asyncio.to_thread(
        digest.run_digest, engine, settings=settings, now=dt.datetime.now(dt.UTC), force=True
    )
    for person in (sanne, ruud):
        await standin.wait_until(lambda person=person: bool(person.messages), what="the digest")
    return sanne, ruud


async def test_the_digest_is_one_message_whose_names_open_their_cards_in_place(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne, ruud = await both_get_the_digest(standin, bot, engine)
    await standin.wait_idle()
    assert len(ruud.messages) == 1 and len(sanne.messages) == 1  # the digest is one message
    # Sanne opens her card in the digest and answers a /matches copy: the digest message follows.
    digest_message = sanne.last
    sanne.press("Ruud Jansen", digest_message)
    await standin.wait_until(lambda: "Wil je kennismaken?" in digest_message.plain_text, what="her card")
    sanne.send("/matches")
    await standin.wait_until(lambda: len(sanne.messages) == 2, what="a /matches copy")
    sanne.press("Ja, stel me voor", sanne.last)
    await standin.wait_until(lambda: "Zodra Ruud Jansen ook ja zegt" in digest_message.plain_text)
    assert digest_message.button_texts == ["« Terug naar het overzicht"]
    message = ruud.last
    assert "weekoverzicht" in message.plain_text and "Sanne de Vries" in message.plain_text
    assert message.button_texts == ["🆕 Sanne de Vries"]
    ruud.press("Sanne de Vries", message)
    await standin.wait_until(lambda: "Wil je kennismaken?" in message.plain_text, what="the card in place")
    assert "Het Streek" in message.plain_text
    assert message.button_texts[-1] == "« Terug naar het overzicht"
    ruud.press("Nee, bedankt", message)
    await standin.wait_until(lambda: "hoort hier niets over" in message.plain_text, what="the answer")
    assert message.button_texts == ["Ongedaan maken", "« Terug naar het overzicht"]
    ruud.press("Terug", message)
    await standin.wait_until(lambda: "weekoverzicht" in message.plain_text, what="back to the list")
    assert message.button_texts == ["✓ Sanne de Vries"]
    await standin.wait_idle()
    assert len(ruud.messages) == 1 and len(sanne.messages) == 2
    # A forged digest button (someone else's suggestion) is a popup, nothing changes.
    query = ruud.press_data(f"dg:o:{999999}:2026-W01", message)
    await standin.wait_until(lambda: query in standin.callback_answers, what="the popup")
    assert "niet van jou" in standin.callback_answers[query].get("text", "")


async def test_the_digest_list_follows_answers_and_undo_like_every_live_copy(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne, ruud = await both_get_the_digest(standin, bot, engine)
    listed = ruud.last
    sannes_list = (sanne.last.plain_text, sanne.last.button_texts)
    ruud.send("/matches")  # a second copy of the card, outside the digest
    card = await only_card(ruud, "Wil je kennismaken?")
    assert card is not listed
    # Undo on the card opened in the digest, then back: the list as it stands now (no tick).
    ruud.press("Sanne de Vries", listed)
    await standin.wait_until(lambda: "Wil je kennismaken?" in listed.plain_text, what="the card in place")
    ruud.press("Nee, bedankt", listed)
    await standin.wait_until(lambda: "hoort hier niets over" in card.plain_text, what="the copy follows")
    ruud.press("Ongedaan maken", listed)
    await standin.wait_until(lambda: "Ja, stel me voor" in card.button_texts, what="the copy restored")
    ruud.press("Terug", listed)
    await standin.wait_until(lambda: "weekoverzicht" in listed.plain_text, what="back to the list")
    assert listed.button_texts == ["🆕 Sanne de Vries"]
    await standin.wait_idle()
    sent = sends_to(standin, 3002)
    # The list on screen follows an answer on another copy, and its undo, like a card copy does.
    ruud.press("Nee, bedankt", card)
    await standin.wait_until(lambda: listed.button_texts == ["✓ Sanne de Vries"], what="the list ticked")
    assert "weekoverzicht" in listed.plain_text
    ruud.press("Ongedaan maken", card)
    await standin.wait_until(lambda: listed.button_texts == ["🆕 Sanne de Vries"], what="the tick undone")
    ruud.press("Later", card)  # nothing the list shows changes: it is not edited
    await standin.wait_until(lambda: "bewaar" in card.plain_text, what="later on the card")
    await standin.wait_idle()
    assert sends_to(standin, 3002) == sent  # edits only, nothing sent
    edits = [
        c for c in standin.calls_to("editMessageText") if c.params.get("message_id") == listed.message_id
    ]
    assert len(edits) == 6  # card, answer, undo, back, tick, tick undone; not for "Later"
    # Sanne's digest never moved: Ruud's answers are not told to her.
    assert (sanne.last.plain_text, sanne.last.button_texts) == sannes_list and len(sanne.messages) == 1


async def test_the_digest_says_someone_waits_only_when_they_said_yes(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    settings, moment = bot.bot_data.settings, dt.datetime.now(dt.UTC)

    async def week(days: int, count: int) -> None:
        when = moment + dt.timedelta(days=days)
        await asyncio.to_thread(digest.run_digest, engine, settings=settings, now=when, force=True)
        await standin.wait_until(lambda: len(ruud.messages) == count, what=f"digest {count}")

    await week(0, 1)
    first = ruud.last.plain_text
    assert (
        "1 nieuwe suggestie " in first and "kennismaking" not in first
    )  # a suggestion, not yet an introduction
    # A week later nobody answered: listed as not answered, nothing said about Sanne.
    await week(7, 2)
    second = ruud.last.plain_text
    assert "Nog zonder antwoord van jou" in second and "Sanne de Vries" in second
    assert "wacht" not in second and "⏳" not in second and "kennismaking" not in second
    # Sanne says yes: now, and only now, Ruud reads that she waits for his answer.
    await standin.wait_until(lambda: len(sanne.messages) == 2, what="Sanne's digests")
    sanne.send("/matches")
    await standin.wait_until(lambda: len(sanne.messages) == 3, what="Sanne's card")
    sanne.press("Ja, stel me voor", sanne.last)
    await standin.wait_until(lambda: "Zodra Ruud Jansen ook ja zegt" in sanne.last.plain_text)
    await week(14, 3)
    third = ruud.last
    assert "⏳ Sanne de Vries (Het Streek) zei ja en wacht op je antwoord" in third.plain_text
    assert third.button_texts == ["⏳ Sanne de Vries"]


async def test_both_yes_says_so_before_the_introduction_and_a_second_yes_is_a_popup(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    school_and_installer(engine, installer_username=None)  # neither has a username: the relay is the way
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    sanne.send("/matches")
    sannes_card = await only_card(sanne, "Ruud Jansen")
    sanne.press("Ja, stel me voor", sannes_card)
    card = await only_card(ruud, "Nieuwe suggestie voor je: Sanne de Vries")
    ruud.press("Ja, stel me voor", card)
    await standin.wait_until(
        lambda: "Kennismaking: Sanne de Vries" in card.plain_text, what="the introduction"
    )
    text = card.plain_text
    # The news first, then the introduction itself, in the card he pressed; what it offers is the relay.
    assert text.startswith("Jullie willen allebei!")
    assert text.index("Jullie willen allebei") < text.index("Kennismaking: Sanne de Vries")
    assert text.count("allebei") == 1  # said once, under the news, not repeated in the introduction
    assert (
        "geen Telegram-gebruikersnaam" in text and "Stuur Sanne de Vries een bericht" in card.button_texts[0]
    )
    await standin.wait_until(lambda: any("Kennismaking: Ruud Jansen" in m.plain_text for m in sanne.messages))
    # Sanne's card no longer says it waits for Ruud: it follows the introduction.
    await standin.wait_until(lambda: "Ruud Jansen zei ook ja" in sannes_card.plain_text, what="her card")
    assert "Zodra" not in sannes_card.plain_text and not sannes_card.buttons
    await standin.wait_idle()
    assert [m for m in ruud.messages if "Kennismaking" in m.plain_text] == [card]  # no second introduction
    # Nothing promises "gegevens" that are not sent.
    for message in [*sanne.messages, *ruud.messages]:
        assert "gegevens" not in message.plain_text
    # "Ja" again on the introduced card (its old buttons): a popup, nothing sent or repeated.
    count = len(ruud.messages)
    with Session(engine) as session:
        suggestion_id = session.exec(select(Suggestion)).one().id
    query = ruud.press_data(f"sg:{suggestion_id}:y", card)
    await standin.wait_until(lambda: query in standin.callback_answers, what="the popup")
    assert "al geregeld" in standin.callback_answers[query].get("text", "")
    await standin.wait_idle()
    assert len(ruud.messages) == count
    assert all("Ik stuur jullie nu" not in m.plain_text for m in ruud.messages)


def previews_off(standin: BotAPIStandIn, chat_ids: set[int]) -> list[bool]:
    """Per message the bot sent or edited in these chats: whether link previews were turned off."""
    calls = [*standin.calls_to("sendMessage"), *standin.calls_to("editMessageText")]
    return [
        (call.params.get("link_preview_options") or {}).get("is_disabled") is True
        for call in calls
        if call.params.get("chat_id") in chat_ids
    ]


async def test_cards_introductions_and_broadcasts_never_preview_links(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    seed(engine, 3001, "Sanne https://example.org/sanne", organisation="Het Streek www.example.org",
         role="school", region="foodvalley", offers=("leerlingen voor een praktijkopdracht",),
         needs=("gastlessen over warmtepompen",))  # fmt: skip
    seed(engine, 3002, "Ruud Jansen", organisation="https://example.com/jansen", role="company",
         region="achterhoek", offers=("gastlessen warmtepomp-installatie",),
         needs=("stagiairs installatietechniek",), username="ruud_installeert")  # fmt: skip
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    sanne.send("/matches")  # a direct reply
    sanne.press("Ja, stel me voor", await only_card(sanne, "Ruud Jansen"))  # an edit
    card = await only_card(ruud, "Sanne https://example.org/sanne")  # through the outbox
    ruud.press("Ja, stel me voor", card)
    await standin.wait_until(lambda: any("Kennismaking" in m.plain_text for m in sanne.messages))
    organiser = standin.person(ORGANISER, "Olga")
    organiser.send("/broadcast")
    await standin.wait_until(lambda: bool(organiser.messages), what="the broadcast question")
    organiser.send("Aanmelden voor de netwerkmiddag: https://example.org/aanmelden")
    await standin.wait_until(lambda: "Iedereen" in organiser.last.button_texts, what="the audience")
    organiser.press("Iedereen")
    await standin.wait_until(lambda: any("Versturen" in b for b in organiser.last.button_texts))
    organiser.press("Versturen")
    for person in (sanne, ruud):
        await standin.wait_until(
            lambda person=person: any("netwerkmiddag" in m.plain_text for m in person.messages),
            what="the broadcast",
        )
    await standin.wait_idle()
    flags = previews_off(standin, {3001, 3002, ORGANISER})
    assert len(flags) >= 8 and all(flags), flags


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AMSTERDAM).astimezone(dt.UTC)


async def test_at_night_the_other_side_hears_in_the_morning_and_the_one_acting_at_once(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    school_and_installer(engine)
    sanne = standin.person(3001, "Sanne", language_code="nl")
    ruud = standin.person(3002, "Ruud", language_code="nl")
    quiet = settings.model_copy(
        update={"quiet_days": ["sun"], "quiet_hours_start": dt.time(21), "quiet_hours_end": dt.time(8)}
    )
    day = dt.datetime.now(AMSTERDAM).date() + dt.timedelta(days=1)
    while day.weekday() not in (1, 2, 3):  # a Tuesday to Thursday night, followed by a working morning
        day += dt.timedelta(days=1)
    clock = Clock(_local(day, 23))
    async with polling(build_application(quiet, engine=engine, clock=clock), poll_timeout=0.5):
        sanne.send("/matches")
        card = await only_card(sanne, "Ruud Jansen")  # her own request: at once, also at night
        sanne.press("Ja, stel me voor", card)
        await standin.wait_until(lambda: "Zodra Ruud Jansen ook ja zegt" in card.plain_text)
        await standin.wait_idle()
        assert ruud.messages == []  # the card for Ruud waits for the morning
        with Session(engine) as session:
            (row,) = session.exec(select(OutboxMessage)).all()
            assert row.kind == "suggestion" and row.not_before == _local(day + dt.timedelta(days=1), 8)
        clock.set(_local(day + dt.timedelta(days=1), 8, 5))
        asked = await only_card(ruud, "Nieuwe suggestie voor je: Sanne de Vries")
        # The next night Ruud says yes: his card becomes the introduction at once, Sanne's waits.
        clock.set(_local(day + dt.timedelta(days=1), 22, 30))
        ruud.press("Ja, stel me voor", asked)
        await standin.wait_until(lambda: "Kennismaking: Sanne de Vries" in asked.plain_text)
        await standin.wait_idle()
        assert all("Kennismaking" not in m.plain_text for m in sanne.messages)
        clock.set(_local(day + dt.timedelta(days=2), 8, 5))
        await standin.wait_until(
            lambda: any("Kennismaking: Ruud Jansen" in m.plain_text for m in sanne.messages),
            what="Sanne's introduction in the morning",
        )
