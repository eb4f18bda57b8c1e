"""End to end over HTTP: Telegram manners (issue #13).

Answered questions keep no buttons, a press that cannot count is answered with a popup, /language and the
command menu, mistyped and Dutch commands, what organisers see, and the sender line of a broadcast.
"""

from __future__ import annotations

import json

from sqlmodel import select

from bot.app import KoppelApplication
from bot.reasons import plain
from bot.standin import BotAPIStandIn
from bot.standin.server import Person
from bot.texts import t
from storage import session_scope
from storage.invitations import create_invitation, get_or_create_event
from storage.models import Participant
from tests.bot import organiser_data
from tests.bot.test_broadcast_e2e import ORGANISER
from tests.bot.test_conversation_e2e import answered, participant, toast
from tests.bot.test_matches_e2e import seed
from tests.bot.test_onboarding_e2e import consent, said


# -- 1. a question answered by typing loses its buttons ---------------------------------------------------
async def test_a_question_answered_by_typing_loses_its_buttons(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    piet = standin.person(13001, "Piet", language_code="nl")
    await consent(piet)
    name_question = piet.last
    keep = name_question.button("Houden")["callback_data"]
    piet.send("Piet Bakker")  # typed instead of pressing "Houden"
    await said(piet, "organisatie")
    await standin.wait_until(lambda: not name_question.buttons, what="the name question without buttons")
    piet.send("Graafschap College")
    await said(piet, "Wat past het best")
    role_question = piet.last
    piet.send("mbo")  # typed instead of pressing a role
    await said(piet, "In welke regio")
    await standin.wait_until(lambda: not role_question.buttons, what="the role question without buttons")
    piet.press("Achterhoek")
    await said(piet, "Hoe ver")
    piet.press("buurregio")
    await said(piet, "bieden")
    offers_question = piet.last
    piet.send("stageplekken")
    await said(piet, "• stageplekken")
    first_list = piet.last
    await standin.wait_until(lambda: not offers_question.buttons, what='"Sla over" gone with the answer')
    piet.send("gastlessen")
    await said(piet, "• gastlessen")
    await standin.wait_until(lambda: not first_list.buttons, what="the first list without buttons")
    assert piet.last.buttons  # only the newest list can be pressed

    # An old press: a popup, nothing sent again, nothing changed.
    await standin.wait_idle()
    sent = len(piet.messages)
    callback = piet.press_data(keep, name_question)
    await answered(standin, callback)
    assert "eerdere vraag" in (toast(standin, callback) or "")
    await standin.wait_idle()
    assert len(piet.messages) == sent
    person = participant(engine, 13001)
    assert (person.name, person.role, person.conversation_state) == ("Piet Bakker", "mbo", "ob:offers")


# -- 2. refusals of a press are popups --------------------------------------------------------------------
async def _refused_with_popup(person: Person, data: str) -> str:
    """Press `data` on the person's newest message: a popup text, no new message. Returns the text."""
    standin = person.standin
    await standin.wait_idle()
    sent = len(person.messages)
    callback = person.press_data(data)
    await answered(standin, callback)
    await standin.wait_idle()
    text = toast(standin, callback)
    assert text, data
    assert len(person.messages) == sent, (data, person.last.plain_text)
    return text


async def test_refusals_of_a_press_are_popups_and_send_nothing(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    seed(engine, 13002, "Sanne de Vries", organisation="Het Streek", role="school", region="foodvalley",
         offers=("praktijkopdracht",), needs=("gastlessen",))  # fmt: skip
    sanne = standin.person(13002, "Sanne", language_code="nl")
    sanne.send("/help")
    await said(sanne, "/matches")
    # Forged, stale or somebody else's: one popup each, at a person's pace (the flood guard counts presses).
    for data in ("consent:a b", "pf:a b", "sg:999999:y", "sg:1:q", "relay:999999", "lang:xx", "del:a b"):
        await _refused_with_popup(sanne, data)
    kees = standin.person(13003, "Kees", language_code="nl")  # never started the bot
    kees.send("/help")
    await said(kees, "/start")
    assert "/start" in await _refused_with_popup(kees, "ob:name:x")
    assert "/start" in await _refused_with_popup(kees, "pf:back")
    for data in ("fu:1:zz", "fu:999999:yes", "del:yes"):
        await _refused_with_popup(kees, data)
    olga = standin.person(ORGANISER, "Olga", language_code="nl")
    olga.send("/help")
    await standin.wait_idle()
    for data in ("bc:go:999999", "bc:x y", "ud:999999", "org:zz", "st:zz"):
        await _refused_with_popup(olga, data)


# -- 3. /language and the chat's command menu --------------------------------------------------------------
def chat_menu(standin: BotAPIStandIn, chat_id: int, language_code: str = "") -> list[str]:
    """The descriptions of a chat's own command menu (scope chat) for one app language."""
    scope = json.dumps({"type": "chat", "chat_id": chat_id}, sort_keys=True)
    return [command["description"] for command in standin.commands.get((scope, language_code), [])]


async def test_language_first_for_other_languages_and_the_menu_follows_the_choice(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    anna = standin.person(13004, "Anna", language_code="de")  # neither Dutch nor English
    anna.send("/start")
    await said(anna, "Which language")  # the choice, in English, before any consent text
    assert anna.last.button_texts == ["Nederlands", "English"]
    assert not any("Welkom" in m.plain_text or "Welcome" in m.plain_text for m in anna.messages)
    anna.press("Nederlands")
    await said(anna, "Welkom bij Koppelbot")
    assert t("nl", "menu.matches") in chat_menu(standin, 13004)  # the menu in the chosen language
    assert chat_menu(standin, 13004) == chat_menu(standin, 13004, "en")  # whatever the app's language
    anna.press("Akkoord")
    await said(anna, "Hoe heet je")
    assert participant(engine, 13004).language == "nl"

    anna.send("/language")
    await said(anna, "Nu praat ik Nederlands met je")
    assert anna.last.button_texts == ["✓ Nederlands", "English"]
    anna.press("English", anna.last)
    await said(anna, "What is your name")  # the open question again, in English
    await standin.wait_until(lambda: t("en", "menu.matches") in chat_menu(standin, 13004))
    assert t("en", "menu.matches") in chat_menu(standin, 13004, "en")
    assert participant(engine, 13004).language == "en"
    anna.send("/language")
    await said(anna, "Right now I speak English")

    # A Dutch app goes straight to the consent text, as before.
    bram = standin.person(13005, "Bram", language_code="nl-BE")
    bram.send("/start")
    await said(bram, "Welkom bij Koppelbot")
    assert len(bram.messages) == 1


async def test_a_language_chosen_before_consent_stays_when_start_is_typed_again(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    # A Dutch phone, an English speaker: /language, English, then /start typed out of habit.
    mark = standin.person(13008, "Mark", language_code="nl")
    mark.send("/start")
    await said(mark, "Welkom bij Koppelbot")
    mark.send("/language")
    await said(mark, "Nu praat ik Nederlands met je")
    mark.press("English", mark.last)
    await said(mark, "Welcome to Koppelbot")
    mark.send("/start")
    await standin.wait_until(lambda: len(mark.messages) == 4, what="the welcome again")
    assert "Welcome to Koppelbot" in mark.last.plain_text  # not the Dutch welcome, nor the language question
    mark.send("/help")
    await standin.wait_until(lambda: len(mark.messages) == 5, what="the help")
    assert mark.last.plain_text.startswith(plain(t("en", "account.help_title")))
    mark.press("I agree", mark.messages[3])
    await said(mark, "What is your name")
    assert participant(engine, 13008).language == "en"


async def test_an_invitation_survives_the_language_choice(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede-2026", name="Techniekdag Ede")
        token = create_invitation(session, event_id=event.id, name="John Smith").token
    john = standin.person(13006, "John", language_code="en")
    john.send(f"/start {token}")
    await said(john, "Which language")
    john.press("English")
    await said(john, "Welcome to Koppelbot")
    john.press("I agree")
    await said(john, "What is your name")
    assert any("Techniekdag Ede" in m.plain_text for m in john.messages)  # the invitation was redeemed
    assert participant(engine, 13006).language == "en"


# -- 4. mistyped and Dutch commands ------------------------------------------------------------------------
async def test_dutch_commands_work_and_mistyped_ones_get_a_suggestion(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    seed(engine, 13007, "Sanne de Vries", organisation="Het Streek", role="school", region="foodvalley",
         offers=("praktijkopdracht",), needs=("gastlessen",))  # fmt: skip
    sanne = standin.person(13007, "Sanne", language_code="nl")
    for typed, fragment in (
        ("/profiel", "% compleet"),  # Dutch names are aliases
        ("/suggesties", "suggesties"),
        ("/hulp", "Wat kan ik voor je doen?"),
        ("/matchs", "Bedoel je /matches?"),  # mistyped: the likely command
        ("matches", "Bedoel je /matches?"),  # without the slash
        ("profiel", "Bedoel je /profile?"),
        ("/onzin", "Dat commando ken ik niet"),  # nothing like it: the friendly answer as before
        ("hallo daar", "Dat begrijp ik niet helemaal"),
    ):
        sanne.send(typed)
        await said(sanne, fragment)
        await standin.wait_idle()
    olga = standin.person(ORGANISER, "Olga", language_code="nl")
    olga.send("/stat")
    await said(olga, "Bedoel je /stats?")  # an organiser is pointed to their own commands
    sanne.send("/stat")
    await said(sanne, "Bedoel je /start?")


# -- 5. organisers ---------------------------------------------------------------------------------------
async def test_what_organisers_see_and_what_participants_are_told(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    olga = standin.person(ORGANISER, "Olga", language_code="nl")
    olga.send("/help")
    await said(olga, "Voor organisatoren")
    assert "/broadcast – " in olga.last.plain_text and "/digest_now – " in olga.last.plain_text
    olga.send("/start")  # an organiser who is not a participant: what they can do, not the consent text
    await said(olga, "Je bent organisator")
    assert "/stats – " in olga.last.plain_text and "Akkoord" not in " ".join(olga.last.button_texts)
    welcome = olga.last
    for send in (olga.send_sticker, lambda: olga.send("hallo")):  # no "Ik ken je nog niet" for her
        send()
        await said(olga, "Je bent organisator: typ /help")
        assert "Akkoord" not in olga.last.plain_text
    olga.press("Ook meedoen als deelnemer", welcome)
    await standin.wait_until(lambda: "Akkoord, ga verder" in olga.last.button_texts)  # the consent text
    olga.press("Akkoord")
    await said(olga, "Hoe heet je")
    assert participant(engine, ORGANISER).conversation_state == "ob:name"

    seed(engine, 13008, "Sanne de Vries", organisation="Het Streek", role="school", region="foodvalley",
         offers=("praktijkopdracht",), needs=("gastlessen",))  # fmt: skip
    sanne = standin.person(13008, "Sanne", language_code="nl")
    sanne.send("/stats")
    await said(sanne, "alleen voor organisatoren")
    assert "/start" not in sanne.last.plain_text  # she is registered: no "Typ /start"
    sanne.send("/help")
    await said(sanne, "Wat kan ik voor je doen")
    assert "/broadcast" not in sanne.last.plain_text
    kees = standin.person(13009, "Kees", language_code="nl")  # not registered: how to take part
    kees.send("/stats")
    await said(kees, "Typ /start")


# -- 6. broadcasts carry a sender line; the organiser keeps a copy ------------------------------------------
async def test_a_broadcast_names_its_sender_and_the_organiser_keeps_a_copy(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    for k in range(2):
        organiser_data.person(engine, 13100 + k, region="achterhoek")
        standin.person(13100 + k, f"Deelnemer {k}")
    olga = standin.person(ORGANISER, "Olga", last_name="de Boer", language_code="nl")
    olga.send("/broadcast")
    await said(olga, "Wat wil je versturen")
    olga.send("Netwerkmiddag op 10 maart in Doetinchem")
    await said(olga, "Naar wie")
    olga.press("Iedereen")
    await standin.wait_until(lambda: "Ontvangers" in olga.last.plain_text, what="the preview")
    preview = olga.last
    assert "Bericht van de organisatie · Olga de Boer" in preview.plain_text  # exactly what goes out
    olga.press("Versturen naar 2")
    await standin.wait_until(lambda: "Klaar" in olga.last.plain_text, 30, "the final report")
    assert "Verstuurd: 2 van 2" in olga.last.plain_text
    # The preview became the organiser's copy of the sent text (no buttons); the count has its own message.
    assert "Netwerkmiddag op 10 maart in Doetinchem" in preview.plain_text
    assert "Dit bericht heb ik verstuurd" in preview.plain_text and not preview.buttons
    assert olga.last.message_id != preview.message_id
    for k in range(2):
        (received,) = standin.bot_messages(13100 + k)
        assert received.plain_text.splitlines()[0] == "Bericht van de organisatie · Olga de Boer"
        assert received.plain_text.endswith("Netwerkmiddag op 10 maart in Doetinchem")


async def test_a_press_repeated_after_a_crash_still_shows_the_next_question(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    piet = standin.person(13010, "Piet", language_code="nl")
    await consent(piet)
    piet.send("Piet Bakker")
    await said(piet, "organisatie")
    piet.send("Graafschap College")
    await said(piet, "Wat past het best")
    role_question = piet.last
    await standin.wait_idle()
    # The role was stored, then the bot died before it showed the next question (as a restart leaves it).
    with session_scope(engine) as session:
        person = session.exec(select(Participant).where(Participant.telegram_id == 13010)).one()
        person.role, person.conversation_state = "mbo", "ob:region"
        session.add(person)
    callback = piet.press("mbo", role_question)  # Telegram delivers the press again
    await answered(standin, callback)
    await said(piet, "In welke regio")  # the question of now follows after all
    await standin.wait_until(lambda: not role_question.buttons, what="the role question without buttons")
    piet.press("Achterhoek")
    await said(piet, "Hoe ver")
