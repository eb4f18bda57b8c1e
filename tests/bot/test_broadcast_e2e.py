"""End to end: /broadcast from text to final report, cancelling, and the unmet-demand shortcut."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.settings import Settings
from bot.standin import BotAPIStandIn, Fault
from storage.models import Broadcast, OutboxMessage
from tests.bot.organiser_data import delete, person

ORGANISER = 900001


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Progress edits every 0.3 s instead of 5 s, so the tests stay fast."""
    return settings.model_copy(update={"broadcast_progress_seconds": 0.3})


async def test_broadcast_to_a_region_with_progress_and_true_final_counts(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    for k in range(5):
        person(engine, 100 + k, region="achterhoek")
        standin.person(100 + k, f"Deelnemer {k}")
    person(engine, 200, region="foodvalley")
    gone = person(engine, 201, region="achterhoek")
    delete(engine, gone)
    standin.block(103)
    standin.fault = lambda call: (
        Fault(400, "Bad Request: message is too long") if call.params.get("chat_id") == 104 else None
    )
    org = standin.person(ORGANISER, "Olga")
    org.send("/broadcast")
    assert "Wat wil je versturen" in (await org.reply()).plain_text
    standin.user_message(
        ORGANISER,
        text="Netwerkmiddag op 10 maart, meld je aan",
        entities=[
            {"type": "bold", "offset": 0, "length": 13},
            {"type": "text_link", "offset": 27, "length": 11, "url": "https://example.org/aanmelden"},
        ],
    )
    assert "Naar wie" in (await org.reply()).plain_text
    org.press("Per regio")
    await standin.wait_until(lambda: "Welke regio" in org.last.plain_text, what="the region buttons")
    org.press("Achterhoek")
    await standin.wait_until(lambda: "Ontvangers" in org.last.plain_text, what="the preview")
    preview = org.last
    assert "<b>Netwerkmiddag</b>" in preview.text and 'href="https://example.org/aanmelden"' in preview.text
    assert "regio Achterhoek" in preview.plain_text and "Ontvangers: 5" in preview.plain_text
    org.press("Versturen naar 5 mensen")
    await standin.wait_until(lambda: "Verstuurd" in org.last.plain_text, what="the progress message")
    progress = org.last
    await standin.wait_until(lambda: "Klaar" in progress.plain_text, what="the final report")
    assert "Verstuurd: 3 van 5 · geblokkeerd: 1 · mislukt: 1" in progress.plain_text
    assert not progress.buttons
    for k in (0, 1, 2):
        received = standin.bot_messages(100 + k)
        assert [m.text for m in received] == [
            "<i>Bericht van de organisatie · Olga</i>\n\n"
            '<b>Netwerkmiddag</b> op 10 maart, <a href="https://example.org/aanmelden">meld je aan</a>'
        ]
    with Session(engine) as session:
        done = session.exec(select(Broadcast)).one()
        keys = sorted(r.dedupe_key for r in session.exec(select(OutboxMessage)).all())
    assert done.status == "done" and done.finished_at is not None
    assert len(keys) == 5 and all(key.startswith(f"broadcast:{done.id}:") for key in keys)
    # Progress edits: only when the counts changed, and spaced by the interval (0.3 s here, 5 s by default).
    shown = [e for e in [*progress.edits, progress.text] if "Verstuurd" in e and "Voorbeeld" not in e]
    assert len(shown) == len(set(shown))
    moments = [
        call.at
        for call in standin.calls_to("editMessageText")
        if call.params.get("message_id") == progress.message_id and "Verstuurd" in call.params["text"]
    ]
    assert all(later - earlier >= 0.2 for earlier, later in zip(moments[1:], moments[2:], strict=False))


async def test_a_running_broadcast_can_be_cancelled(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    for k in range(3):
        person(engine, 100 + k, role="company")
        standin.person(100 + k, f"Bedrijf {k}")
    # Everyone but the first is held up by Telegram's flood control for their chat, so their messages stay
    # queued. (Two chats: three refused at once read as a possible flood of the whole bot and hold every
    # send once, the organiser's reply too, so the cancel could race sends already released after the hold.)
    standin.fault = lambda call: (
        Fault(429, retry_after=1) if call.params.get("chat_id") in {101, 102} else None
    )
    org = standin.person(ORGANISER, "Olga")
    org.send("/broadcast")
    await org.reply()
    org.send("Gezocht: gastsprekers")
    await org.reply()
    org.press("Per rol")
    await standin.wait_until(lambda: "Welke rol" in org.last.plain_text)
    org.press("bedrijf")
    await standin.wait_until(lambda: "Ontvangers: 3" in org.last.plain_text)
    org.press("Versturen")
    await standin.wait_until(lambda: "Verstuurd" in org.last.plain_text)
    progress = org.last
    await standin.wait_until(lambda: bool(standin.bot_messages(100)), what="the first delivery")
    org.press("Stoppen", progress)
    await standin.wait_until(  # any message: the final report may already have come after it
        lambda: any("worden niet meer verstuurd" in m.plain_text for m in org.messages)
    )
    await standin.wait_until(lambda: "Gestopt." in progress.plain_text, what="the final report")
    assert "Verstuurd: 1 van 3" in progress.plain_text and "niet verstuurd: 2" in progress.plain_text
    with Session(engine) as session:
        states = [r.state for r in session.exec(select(OutboxMessage)).all()]
        assert session.exec(select(Broadcast)).one().status == "cancelled"
    assert sorted(states) == ["cancelled", "cancelled", "sent"]
    assert all(not standin.bot_messages(chat) for chat in (101, 102))


async def test_theme_keyword_segment_and_discarding_a_draft(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    person(engine, 100, themes=("Waterstof",))
    person(engine, 101, offers=("lessen over waterstoftechniek",))
    person(engine, 102, themes=("zonne-energie",))
    org = standin.person(ORGANISER, "Olga")
    org.send("/broadcast")
    await org.reply()
    org.send("Wie doet mee aan de waterstofdag?")
    await org.reply()
    org.press("Op thema")
    await standin.wait_until(lambda: "trefwoord" in org.last.plain_text)
    org.send("waterstof")
    await standin.wait_until(lambda: "Ontvangers" in org.last.plain_text)
    # The theme and the compound "waterstoftechniek" in an offer both match (the matcher splits compounds).
    assert "thema „waterstof”" in org.last.plain_text and "Ontvangers: 2" in org.last.plain_text
    org.press("Annuleren")
    await standin.wait_until(lambda: "weggegooid" in org.last.plain_text)
    with Session(engine) as session:
        assert session.exec(select(Broadcast)).all() == []
        assert session.exec(select(OutboxMessage)).all() == []


async def test_unmet_demand_report_starts_a_targeted_broadcast(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    for k in range(3):
        person(
            engine, 100 + k, organisation=f"School {k}", role="school", region="achterhoek",
            needs=("gastlessen over robotica",),
        )  # fmt: skip
    person(
        engine, 110, organisation="Assink", role="school", region="achterhoek",
        needs=("stageplekken installatietechniek",),
    )  # fmt: skip
    person(
        engine, 111, organisation="Jansen BV", role="company", region="cleantech",
        offers=("stageplekken in de installatietechniek",),
    )  # fmt: skip
    person(engine, 112, organisation="ROC", role="mbo", region="rivierenland")  # could give guest lessons
    person(engine, 113, organisation="Lyceum", role="school", region="achterhoek")  # a school like them
    org = standin.person(ORGANISER, "Olga")
    org.send("/unmet")
    report = await org.reply()
    assert "1. 3 scholen in de Achterhoek zoeken: gastlessen over robotica" in report.plain_text
    assert "stageplekken" not in report.plain_text  # answered by an offer
    org.press("1. Vraag het netwerk")
    await standin.wait_until(lambda: "Ontvangers" in org.last.plain_text, what="the preview")
    preview = org.last.plain_text
    # To those who could offer it (company 111, mbo 112), in every region; not to the askers' region.
    assert "Wie kan helpen?" in preview and "regio Achterhoek" not in preview
    assert (
        "wie „gastlessen over robotica” kan bieden: mbo-instelling, bedrijf" in preview
        and "Ontvangers: 2" in preview
    )
