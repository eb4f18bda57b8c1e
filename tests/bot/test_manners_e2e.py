"""End to end over HTTP: Telegram manners (issue #13).

Answered questions keep no buttons, a press that cannot count is answered with a popup, /language and the
command menu, mistyped and Dutch commands, what organisers see, and the sender line of a broadcast.
"""

from __future__ import annotations

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from tests.bot.test_conversation_e2e import answered, participant, toast
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
