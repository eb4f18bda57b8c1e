"""End to end over HTTP: /mydata is complete (reports about you, what an introduction recorded) and readable
(relayed texts without HTML tags); /privacy is true for whoever asks (before consent too) and says that
"X reageerde niet" reports lower how often you are suggested."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage.models import Introduction, Participant
from storage.types import utcnow
from tests.bot.test_matches_e2e import card_for, introduced
from tests.bot.test_onboarding_e2e import consent, said


async def test_privacy_says_consent_only_to_who_gave_it_and_names_unresponsive_reports(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    newcomer = standin.person(3301, "Nieuw", language_code="nl")
    newcomer.send("/privacy")
    await said(newcomer, "Wat ik bewaar")
    before = newcomer.last.plain_text
    assert "Je gaf daarvoor toestemming" not in before
    assert "Ik bewaar pas iets als je daarvoor toestemming geeft" in before
    assert "minder vaak voorstel" in before
    await consent(newcomer)
    newcomer.send("/privacy")
    await standin.wait_until(lambda: "Je gaf daarvoor toestemming" in newcomer.last.plain_text)
    english = standin.person(3302, "New", language_code="en")
    english.send("/privacy")
    await said(english, "What I store")
    text = english.last.plain_text
    assert "how far you want to work" not in text and "the area you want to work in" in text
    assert "suggest you less often" in text and "You gave your consent" not in text


async def test_mydata_has_unresponsive_reports_introduction_details_and_plain_relayed_texts(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne, ruud = await introduced(standin, engine)
    await card_for(sanne, "Kennismaking: Ruud Jansen")  # delivered before she blocks the bot
    now = utcnow()
    with Session(engine) as session:
        me = session.exec(select(Participant).where(Participant.telegram_id == 3002)).one()
        me.unresponsive_reports = 2
        intro = session.exec(select(Introduction)).one()
        intro.contacted_at = now
        intro.flagged_for_coordinator_at = now
        session.add_all([me, intro])
        session.commit()
    standin.block(3001)  # the relay stays undelivered, so its text is kept and shown
    intro_card = next(m for m in ruud.messages if "Kennismaking" in m.plain_text)
    ruud.press("Stuur Sanne de Vries een bericht", intro_card)
    await standin.wait_until(lambda: "Typ je bericht" in ruud.last.plain_text)
    ruud.send("Bel <me> & mail")
    await standin.wait_until(  # any message: the outbox's notice may overtake the handler's own reply
        lambda: any("kon ik niet bezorgen" in m.plain_text for m in ruud.messages),
        timeout=30,  # relay, 403, notice: two outbox rounds at Ruud's pace (a busy CI run took over 10 s)
        what="the notice",
    )
    await standin.wait_idle()
    ruud.send("/mydata")
    await standin.wait_until(lambda: ruud.last.kind == "document")
    data = json.loads(ruud.last.file_bytes or b"{}")
    assert data["participant"]["unresponsive_reports"] == 2
    (introduction,) = data["introductions"]
    assert introduction["contacted_at"] == now.isoformat()
    assert introduction["flagged_for_coordinator_at"] == now.isoformat()
    (relayed,) = data["relayed_messages"]
    assert "Bel <me> & mail" in relayed["text"] and "Bericht van Ruud Jansen" in relayed["text"]
    assert "<b>" not in relayed["text"] and "&amp;" not in relayed["text"]
