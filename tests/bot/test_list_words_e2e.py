"""End to end over HTTP: typed "klaar" and "n.v.t." at the offers/needs step; a too-long item (#12, #13)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.fields import list_signal, read_items
from bot.standin import BotAPIStandIn
from storage.models import ItemKind, Participant, ProfileItem
from tests.bot.test_onboarding_e2e import consent, said


@pytest.mark.parametrize(
    ("text", "signal"),
    [("klaar", "done"), ("Klaar!", "done"), (" KLAAR. ", "done"), ("done", "done"), ("Ready", "done"),
     ("n.v.t.", "nothing"), ("nvt", "nothing"), ("N.V.T", "nothing"), ("geen", "nothing"), ("-", "nothing"),
     ("none", "nothing"), ("n/a", "nothing"), ("N/A", "nothing"),
     ("klaarzetten van materiaal", None), ("geen idee wat ik zoek, maar stages", None), ("", None)],
)  # fmt: skip
def test_list_signal(text: str, signal: str | None) -> None:
    assert list_signal(text) == signal


def test_read_items_keeps_the_good_ones_and_names_the_long_one() -> None:
    long = "excursie " * 30
    items, too_long = read_items(f"gastlessen; {long}; n.v.t.; stageplekken")
    assert items == ["gastlessen", "stageplekken"]
    assert too_long == [long.strip()]


def items(engine, kind: ItemKind) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(ProfileItem.text).where(ProfileItem.kind == kind)).all())


async def test_klaar_and_nvt_are_answers_not_items_and_a_long_item_is_named(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne = standin.person(2101, "Sanne", last_name="de Vries", language_code="nl")
    await consent(sanne)
    sanne.press("Houden")
    await said(sanne, "organisatie")
    sanne.send("Het Streek")
    await said(sanne, "Wat past het best")
    sanne.press("vmbo / school")
    await said(sanne, "In welke regio")
    sanne.press("FoodValley")
    await said(sanne, "Hoe ver")
    sanne.press("buurregio")
    await said(sanne, "bieden")
    long = "een excursie naar ons techniekpaviljoen met " + "heel veel uitleg " * 12
    sanne.send(f"leerlingen voor een praktijkopdracht; {long}")
    await said(sanne, "• leerlingen voor een praktijkopdracht")
    warning = next(m.plain_text for m in sanne.messages if "te lang" in m.plain_text)
    assert "een excursie naar ons techniekpaviljoen" in warning and "niet bewaard" in warning
    assert items(engine, ItemKind.OFFER) == ["leerlingen voor een praktijkopdracht"]
    sanne.send("klaar")  # what the prompt says to press, typed
    await said(sanne, "zoek")
    assert items(engine, ItemKind.OFFER) == ["leerlingen voor een praktijkopdracht"]
    sanne.send("n.v.t.")  # nothing to ask for: no item "n.v.t."
    await said(sanne, "thema")
    sanne.send("Klaar")
    await said(sanne, "Zo ziet je profiel eruit")
    assert items(engine, ItemKind.NEED) == [] and items(engine, ItemKind.THEME) == []


async def test_done_and_none_in_english(standin: BotAPIStandIn, bot: KoppelApplication, engine) -> None:
    john = standin.person(2102, "John", last_name="Smith", language_code="en")
    john.send("/start")
    await said(john, "Which language")  # not Dutch: the language first
    john.press("English")
    await said(john, "Koppelbot")
    john.press("Agree")
    await said(john, "name")
    john.press("Keep")
    await said(john, "organisation")
    john.send("Smith Solar")
    await said(john, "describes")
    john.press("company")
    await said(john, "region")
    john.press("Achterhoek")
    await said(john, "How far")
    john.press("anywhere")
    await said(john, "offer")
    john.send("N/A")
    await said(john, "looking for")
    john.send("interns for solar installation")
    await said(john, "• interns for solar installation")
    john.send("done")
    await said(john, "themes")
    assert items(engine, ItemKind.OFFER) == [] and items(engine, ItemKind.NEED) == [
        "interns for solar installation"
    ]


async def test_cancel_while_editing_from_the_summary_returns_to_the_summary(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    eva = standin.person(2103, "Eva", language_code="nl")
    await consent(eva)
    eva.press("Houden")
    await said(eva, "organisatie")
    eva.send("ROC")
    await said(eva, "Wat past het best")
    eva.press("mbo")
    await said(eva, "In welke regio")
    eva.press("FoodValley")
    await said(eva, "Hoe ver")
    eva.press("buurregio")
    await said(eva, "bieden")
    eva.press("Sla over")  # no offers: skipped
    await said(eva, "zoek")
    eva.send("stageplekken installatietechniek")
    await said(eva, "• stageplekken installatietechniek")
    eva.press("Klaar")
    await said(eva, "thema")
    eva.press("Klaar")
    await said(eva, "Zo ziet je profiel eruit")
    eva.press("Organisatie")
    await said(eva, "Bij welke organisatie werk je")
    eva.send("/cancel")
    await said(eva, "Zo ziet je profiel eruit")  # the summary again, with working buttons
    assert any("ik laat het zoals het was" in m.plain_text.lower() for m in eva.messages[-2:])
    eva.send("/start")  # the summary, not the skipped offers question
    await said(eva, "Zo ziet je profiel eruit")
    eva.press("Klopt")
    await eva.standin.wait_idle()
    assert all("verlopen" not in m.plain_text for m in eva.messages)
    with Session(engine) as session:
        person = session.exec(select(Participant).where(Participant.telegram_id == 2103)).one()
        assert person.profile_completed_at is not None and person.organisation == "ROC"


async def test_hallo_with_an_unfinished_profile_points_to_the_open_question(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    piet = standin.person(2104, "Piet", language_code="nl")
    await consent(piet)
    piet.press("Houden")
    await said(piet, "Bij welke organisatie werk je")
    piet.send("/cancel")
    await said(piet, "Gestopt")
    piet.skip()
    piet.send("hallo?")
    await said(piet, "Bij welke organisatie werk je")
    texts = [m.plain_text for m in await piet.replies_until_idle()]
    assert any("Je profiel is nog niet af" in text for text in texts), texts
    assert all("/matches" not in text for text in texts), texts
    piet.send("Techniekpact")  # the next line answers the question it was pointed to
    await said(piet, "Wat past het best")
    with Session(engine) as session:
        row = session.exec(select(Participant).where(Participant.telegram_id == 2104)).one()
        assert row.organisation == "Techniekpact"
