"""End to end: the organiser-data commands keep to a scoped organiser's region (issue #17).

/participant and /introduce find, pause, correct, erase and introduce only people in the scope (forged
buttons and numbers outside it are refused as stale); /broadcasts counts only the scope's recipients (and
the organiser's own broadcasts in full); the segment "niet actief sinds N weken" stays in the scope; the
unmet-demand broadcast reaches those who could offer anywhere, and its draft stays the organiser's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.broadcasts import create_draft, scope_segment, start_broadcast
from storage.models import Broadcast, OutboxMessage, Participant, ProfileItem, Suggestion
from storage.organisers import add_organiser
from storage.scope import Scope
from storage.types import utcnow
from tests.bot.organiser_data import person

ORGANISER = 900001  # in ORGANISER_IDS: global
REGIONAL = 700001  # added with region achterhoek
ACHTERHOEK = Scope(region="achterhoek")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """An organiser at work presses faster than the flood guard's burst for strangers allows."""
    return settings.model_copy(update={"flood_burst": 40})


def _world(engine: Engine, standin: BotAPIStandIn) -> dict[str, int]:
    """Anna and Aart in the Achterhoek, Fenna and Floor in the Foodvalley; Ria organises the Achterhoek."""
    people = {
        "anna": person(engine, 11, name="Anna", region="achterhoek", organisation="Assink",
                       needs=("gastlessen",)),
        "aart": person(engine, 12, name="Aart", region="achterhoek", organisation="Graafschap"),
        "fenna": person(engine, 21, name="Fenna", region="foodvalley", organisation="Foodbedrijf",
                        role="company"),
        "floor": person(engine, 22, name="Floor", region="foodvalley", organisation="Ede College"),
    }  # fmt: skip
    for telegram_id in (11, 12, 21, 22):
        standin.person(telegram_id, f"P{telegram_id}")
    with session_scope(engine) as session:
        add_organiser(session, telegram_id=REGIONAL, added_by=ORGANISER, scope=ACHTERHOEK, name="Ria")
    return people


def _row(engine: Engine, participant_id: int) -> Participant:
    with Session(engine) as session:
        row = session.get(Participant, participant_id)
        assert row is not None
        return row


async def test_a_regional_organiser_moderates_only_their_region(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    people = _world(engine, standin)
    fenna = people["fenna"]
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/participant Fenna")
    # Fenna exists, in FoodValley: Ria is told she looked only within her region, not that nobody exists.
    assert (await regional.reply()).plain_text == (
        "Niemand gevonden voor „Fenna”. Je zoekt alleen binnen jouw deel van het netwerk: regio Achterhoek."
    )
    regional.send(f"/participant {fenna}")
    assert "Niemand gevonden" in (await regional.reply()).plain_text
    regional.send("/participant Anna")
    card = await regional.reply()
    assert f"Anna (nr {people['anna']})" in card.plain_text
    for data in (
        f"pp:show:{fenna}",
        f"pp:pause:{fenna}",
        f"pp:fix:{fenna}",
        f"pp:f:{fenna}:region",
        f"pp:set:{fenna}:region:achterhoek",
        f"pp:del:{fenna}",
        f"pp:delok:{fenna}",
    ):  # forged: Fenna's number on Ria's buttons
        callback_id = regional.press_data(data, card)
        await standin.wait_until(lambda cid=callback_id: cid in standin.callback_answers, what=data)
        answer = standin.callback_answers[callback_id]
        assert answer["show_alert"] is True and "verlopen" in answer["text"], data
    regional.send(f"/participant {fenna} naam Iemand Anders")
    assert "Niemand gevonden" in (await regional.reply()).plain_text
    row = _row(engine, fenna)
    assert (row.status, row.region, row.name) == ("active", "foodvalley", "Fenna")

    regional.send(f"/introduce {people['anna']} {fenna}")
    assert "Niemand gevonden" in (await regional.reply()).plain_text
    regional.send("/introduce Anna Fenna")
    assert "binnen jouw deel van het netwerk: regio Achterhoek" in (await regional.reply()).plain_text
    with Session(engine) as session:
        assert session.exec(select(Suggestion)).all() == []
    regional.send("/introduce Anna Aart")  # both in the Achterhoek
    assert "Verstuurd. Anna en Aart" in (await regional.reply()).plain_text
    # Correcting Anna's region to another one would take her out of Ria's reach: refused, with the reason.
    callback_id = regional.press_data(f"pp:set:{people['anna']}:region:foodvalley", card)
    await standin.wait_until(lambda: callback_id in standin.callback_answers, what="the refusal")
    assert "buiten jouw regio" in standin.callback_answers[callback_id]["text"]
    assert _row(engine, people["anna"]).region == "achterhoek"
    org = standin.person(ORGANISER, "Olga")
    org.send("/participant Fenna")  # the global organiser finds her
    assert f"Fenna (nr {fenna})" in (await org.reply()).plain_text


def _broadcast(engine: Engine, *, by: int, text: str, segment: dict[str, object]) -> None:
    with session_scope(engine) as session:
        draft = create_draft(session, created_by=by, text=text, segment=segment)
        start_broadcast(session, broadcast=draft)


async def test_broadcast_history_of_a_regional_organiser_counts_their_region_and_their_own(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    _world(engine, standin)
    _broadcast(engine, by=ORGANISER, text="Voor iedereen", segment={})
    _broadcast(engine, by=ORGANISER, text="Alleen de Foodvalley", segment={"region": "foodvalley"})
    could_offer = {"could_offer": {"roles": ["company"], "terms": [], "askers": [], "need": "gastlessen"}}
    _broadcast(
        engine,
        by=REGIONAL,
        text="Wie geeft gastlessen?",
        segment={**scope_segment(ACHTERHOEK), **could_offer},
    )
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/broadcasts")
    history = (await regional.reply()).plain_text
    assert "Alleen de Foodvalley" not in history  # reached nobody in the Achterhoek
    everyone = history[history.index("Voor iedereen") :]
    assert everyone.split("\n")[1].startswith("Ontvangers: 2 ")  # of 4: only the Achterhoek's are counted
    own = history[history.index("Wie geeft gastlessen?") :]
    assert own.split("\n")[1].startswith("Ontvangers: 1 ")  # Fenna in the Foodvalley: their own, in full
    org = standin.person(ORGANISER, "Olga")
    org.send("/broadcasts")
    assert "Alleen de Foodvalley" in (await org.reply()).plain_text


async def test_the_inactive_segment_of_a_regional_organiser_stays_in_their_region(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    people = _world(engine, standin)
    now = utcnow()
    with session_scope(engine) as session:
        for name, weeks in (("anna", 6), ("aart", 0.1), ("fenna", 6), ("floor", 6)):
            row = session.get(Participant, people[name])
            assert row is not None
            row.last_seen_at, row.created_at = now - dt.timedelta(weeks=weeks), now - dt.timedelta(weeks=20)
            session.add(row)
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/broadcast")
    await regional.reply()
    regional.send("We missen je!")
    assert "Naar wie" in (await regional.reply()).plain_text
    regional.press("Niet actief sinds …")
    await standin.wait_until(lambda: "hoeveel weken" in regional.last.plain_text, what="the week buttons")
    regional.press("4 weken")
    await standin.wait_until(lambda: "Ontvangers" in regional.last.plain_text, what="the preview")
    assert "Ontvangers: 1" in regional.last.plain_text  # Anna; Fenna and Floor are in the Foodvalley
    regional.press("Versturen naar 1")
    await standin.wait_until(lambda: bool(standin.bot_messages(11)), what="Anna's copy")
    await regional.replies_until_idle()
    assert not standin.bot_messages(21) and not standin.bot_messages(22)


async def test_the_unmet_broadcast_of_a_regional_organiser_reaches_anywhere_and_stays_theirs(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    people = _world(engine, standin)
    with Session(engine) as session:
        need = session.exec(select(ProfileItem).where(ProfileItem.participant_id == people["anna"])).one()
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/unmet")
    assert "gastlessen" in (await regional.reply()).plain_text
    regional.press_data(f"ud:{need.id}")
    preview = await regional.reply()
    assert "Ontvangers: 1" in preview.plain_text  # Fenna, a company in the Foodvalley: anywhere is the point
    with Session(engine) as session:
        draft = session.exec(select(Broadcast)).one()
    assert draft.created_by == REGIONAL and draft.segment["scope"] == {
        "region": "achterhoek",
        "event_code": None,
    }

    org = standin.person(ORGANISER, "Olga")  # the draft is Ria's: another organiser cannot send it
    org.send("/broadcasts")
    await org.reply()
    callback_id = org.press_data(f"bc:go:{draft.id}")
    await standin.wait_until(lambda: callback_id in standin.callback_answers, what="the refusal")
    assert "bestaat niet meer" in standin.callback_answers[callback_id]["text"]
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []

    regional.press("Andere groep kiezen", preview)  # another segment: the scope applies again
    await standin.wait_until(lambda: "Iedereen" in " ".join(preview.button_texts), what="the segments")
    regional.press("Iedereen", preview)
    await standin.wait_until(lambda: "Ontvangers" in preview.plain_text, what="the new preview")
    assert "Ontvangers: 2" in preview.plain_text  # Anna and Aart, not the Foodvalley
