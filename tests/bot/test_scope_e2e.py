"""End to end: scoped organisers (a region and/or an event) through the stand-in, on SQLite and PostgreSQL.

How organisers are added (@username, the Telegram user picker, an id) and that a scoped organiser's commands
and buttons cover only their scope, forged button data included.
"""

from __future__ import annotations

import io

import openpyxl
from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.broadcasts import create_draft, start_broadcast
from storage.imports import link_event
from storage.invitations import get_or_create_event
from storage.models import Broadcast, OutboxMessage, OutboxState, ProfileItem
from storage.organisers import add_organiser, organiser_scope
from storage.outbox import enqueue
from storage.scope import Scope
from tests.bot.organiser_data import introduce, person
from tests.factories import participant

ORGANISER = 900001  # in ORGANISER_IDS: global
REGIONAL = 700001  # added with region achterhoek


def _scoped(engine, telegram_id: int = REGIONAL, **scope: str) -> None:
    with session_scope(engine) as session:
        add_organiser(session, telegram_id=telegram_id, added_by=ORGANISER, scope=Scope(**scope), name="Ria")


# -- item 2: adding organisers ------------------------------------------------------------------------------
async def test_organisers_add_by_username_with_a_region_and_listed_with_names(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    participant(engine, 555, "Ria Jansen", username="RiaJ", region="achterhoek")
    standin.person(555, "Ria", username="RiaJ")
    org = standin.person(ORGANISER, "Olga")
    org.send("/organisers add @riaj achterhoek")
    added = (await org.reply()).plain_text
    assert "Ria Jansen (@RiaJ) is nu organisator voor: regio Achterhoek" in added
    with Session(engine) as session:
        assert organiser_scope(session, telegram_id=555, configured=[ORGANISER]) == Scope(region="achterhoek")
    org.send("/organisers")
    listing = (await org.reply()).plain_text
    assert "Ria Jansen (@RiaJ) (555): regio Achterhoek" in listing
    assert "• 900001: alle regio's en events, vast in ORGANISER_IDS" in listing
    org.send("/organisers add @nobody")
    assert "Ik ken @nobody nog niet" in (await org.reply()).plain_text
    org.send("/organisers add @riaj atlantis")
    assert "Ik ken de regio of het event" in (await org.reply()).plain_text


async def test_organisers_add_with_the_user_picker_and_an_event_scope(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    with session_scope(engine) as session:
        get_or_create_event(session, code="ede-2022", name="Netwerkmiddag Ede")
    standin.person(556, "Gert", last_name="Bos", username="gertbos")  # never talked to the bot: no profile
    org = standin.person(ORGANISER, "Olga")
    org.send("/organisers add foodvalley ede-2022")
    prompt = await org.reply()
    assert "regio FoodValley · event ede-2022" in prompt.plain_text
    button = prompt.reply_markup["keyboard"][0][0]
    assert button["request_users"]["user_is_bot"] is False and button["request_users"]["max_quantity"] == 1
    org.share_user(556)
    added = await org.reply()
    assert "Gert Bos (@gertbos) is nu organisator voor: regio FoodValley · event ede-2022" in added.plain_text
    assert added.reply_markup == {"remove_keyboard": True}
    with Session(engine) as session:
        assert organiser_scope(session, telegram_id=556, configured=[ORGANISER]) == Scope(
            region="foodvalley", event_code="ede-2022"
        )
    org.share_user(557, request_id=2**30)  # forged: an event id that does not exist
    assert "Dat mag niet" in (await org.reply()).plain_text
    with Session(engine) as session:
        assert organiser_scope(session, telegram_id=557, configured=[ORGANISER]) is None


async def test_only_a_global_organiser_adds_organisers_and_the_new_one_is_told(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    _scoped(engine, region="achterhoek")
    participant(engine, 558, "Hanna Hol", username="hannah", region="foodvalley")
    hanna = standin.person(558, "Hanna", username="hannah")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/organisers add @hannah")  # a regional coordinator cannot hand out access to data
    assert "kan alleen een organisator voor alle regio's" in (await regional.reply()).plain_text
    regional.send("/organisers add")
    assert "kan alleen een organisator voor alle regio's" in (await regional.reply()).plain_text
    regional.send(f"/organisers remove {REGIONAL}")
    assert "kan alleen een organisator voor alle regio's" in (await regional.reply()).plain_text
    with Session(engine) as session:
        assert organiser_scope(session, telegram_id=558, configured=[ORGANISER]) is None
    org = standin.person(ORGANISER, "Olga")
    org.send("/organisers add @hannah achterhoek")
    assert "Hanna Hol (@hannah) is nu organisator voor: regio Achterhoek" in (await org.reply()).plain_text
    told = await hanna.reply()  # the new organiser hears it in their own chat
    assert "Je bent nu organisator bij Koppelbot voor: regio Achterhoek" in told.plain_text


# -- item 3: every organiser command within the scope -------------------------------------------------------
def _two_regions(engine) -> dict[str, int]:
    """Two participants in the Achterhoek, two in the Foodvalley, each side with a need nobody offers."""
    return {
        "anna": person(engine, 11, region="achterhoek", organisation="Assink", needs=("gastlessen",)),
        "aart": person(engine, 12, region="achterhoek", organisation="Graafschap"),
        "fenna": person(engine, 21, region="foodvalley", organisation="Foodbedrijf", needs=("stageplekken",)),
        "floor": person(engine, 22, region="foodvalley", organisation="Ede College"),
    }


def _item(engine, participant_id: int) -> int:
    with Session(engine) as session:
        item = session.exec(select(ProfileItem).where(ProfileItem.participant_id == participant_id)).first()
        assert item is not None and item.id is not None
        return item.id


async def test_stats_of_a_regional_organiser_count_only_their_region(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    people = _two_regions(engine)
    introduce(engine, people["anna"], people["aart"], project="Gastles")
    introduce(engine, people["fenna"], people["floor"], project="Stage bij Foodbedrijf")
    _scoped(engine, region="achterhoek")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/stats")
    photo = await regional.reply()
    assert "Deelnemers: 2" in photo.plain_text and "FoodValley" not in photo.plain_text
    projects = (await regional.reply()).plain_text
    assert "Gastles" in projects and "Foodbedrijf" not in projects
    org = standin.person(ORGANISER, "Olga")
    org.send("/stats")
    assert "Deelnemers: 4" in (await org.reply()).plain_text


async def test_unmet_of_a_regional_organiser_and_a_forged_need_outside_it(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    people = _two_regions(engine)
    _scoped(engine, region="achterhoek")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/unmet")
    report = await regional.reply()
    assert "gastlessen" in report.plain_text and "stageplekken" not in report.plain_text
    callback_id = regional.press_data(f"ud:{_item(engine, people['fenna'])}")  # forged: a Foodvalley need
    await standin.wait_until(lambda: callback_id in standin.callback_answers, what="the stale answer")
    assert standin.callback_answers[callback_id]["show_alert"] is True
    with Session(engine) as session:
        assert session.exec(select(Broadcast)).all() == []  # no draft to the other region


async def test_broadcast_of_a_regional_organiser_reaches_only_their_region(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    people = _two_regions(engine)
    _scoped(engine, region="achterhoek")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/broadcast")
    await regional.reply()
    regional.send("Gastlessen gezocht!")
    await regional.reply()
    regional.press("Per regio")
    await standin.wait_until(lambda: "Welke regio" in regional.last.plain_text, what="the region buttons")
    regions = [label for label in regional.last.button_texts if label != "« Terug"]
    assert "Achterhoek" in regions and "FoodValley" not in regions
    with Session(engine) as session:
        draft = session.exec(select(Broadcast)).one()
    callback_id = regional.press_data(f"bc:set:{draft.id}:region:foodvalley")  # forged: another region
    await standin.wait_until(lambda: callback_id in standin.callback_answers, what="the stale answer")
    assert standin.callback_answers[callback_id]["show_alert"] is True
    regional.press("Terug")
    await standin.wait_until(lambda: "Iedereen" in " ".join(regional.last.button_texts), what="segments")
    regional.press("Iedereen")
    await standin.wait_until(lambda: "Ontvangers" in regional.last.plain_text, what="the preview")
    assert "regio Achterhoek" in regional.last.plain_text and "Ontvangers: 2" in regional.last.plain_text
    regional.press("Versturen naar 2")
    await standin.wait_until(
        lambda: _outbox_participants(engine) == {people["anna"], people["aart"]}, what="rows"
    )


async def test_events_of_a_regional_organiser_are_those_with_their_people_counted_in_their_region(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    people = _two_regions(engine)
    with session_scope(engine) as session:
        ede = get_or_create_event(session, code="ede-2022", name="Netwerkmiddag Ede")  # Foodvalley people
        doetinchem = get_or_create_event(session, code="doetinchem-2026", name="Techniekmiddag Doetinchem")
        assert ede.id is not None and doetinchem.id is not None
        ede_id, doetinchem_id = ede.id, doetinchem.id
        for name in ("fenna", "floor"):
            link_event(session, participant_id=people[name], event_id=ede_id)
        for name in ("anna", "fenna"):
            link_event(session, participant_id=people[name], event_id=doetinchem_id)
    _scoped(engine, region="achterhoek")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/event")
    listing = (await regional.reply()).plain_text
    assert "Techniekmiddag Doetinchem, — · doetinchem-2026 · 1 deelnemer" in listing  # Anna, not Fenna
    assert "Netwerkmiddag Ede" not in listing and "regio Achterhoek" in listing
    regional.send("/broadcast")
    await regional.reply()
    regional.send("Dank voor jullie komst!")
    await regional.reply()
    regional.press("Per bijeenkomst")
    await standin.wait_until(lambda: "Welke bijeenkomst" in regional.last.plain_text, what="event buttons")
    events = [label for label in regional.last.button_texts if label != "« Terug"]
    assert events == ["Techniekmiddag Doetinchem (1)"]
    with Session(engine) as session:
        draft = session.exec(select(Broadcast)).one()
    callback_id = regional.press_data(f"bc:set:{draft.id}:event:{ede_id}")  # forged: an event not theirs
    await standin.wait_until(lambda: callback_id in standin.callback_answers, what="the stale answer")
    assert standin.callback_answers[callback_id]["show_alert"] is True
    org = standin.person(ORGANISER, "Olga")  # a global organiser still sees every event, counted in full
    org.send("/event")
    listing = (await org.reply()).plain_text
    assert "doetinchem-2026 · 2 deelnemers" in listing and "ede-2022 · 2 deelnemers" in listing


def _outbox_participants(engine) -> set[int | None]:
    with Session(engine) as session:
        return {row.participant_id for row in session.exec(select(OutboxMessage)).all()}


async def test_export_of_an_event_organiser_holds_only_their_event(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    people = _two_regions(engine)
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede-2022", name="Netwerkmiddag Ede")
        assert event.id is not None
        link_event(session, participant_id=people["fenna"], event_id=event.id)
    introduce(engine, people["fenna"], people["anna"])
    _scoped(engine, event_code="ede-2022")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/export")
    document = await regional.reply()
    assert document.file_name is not None and document.file_name.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(document.file_bytes))
    assert [row[0].value for row in book["Deelnemers"].iter_rows(min_row=2)] == [people["fenna"]]
    header = [cell.value for cell in book["Kennismakingen"][1]]
    (introduction,) = [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in book["Kennismakingen"].iter_rows(min_row=2)
    ]
    names = {introduction["Naam A"], introduction["Naam B"]}
    assert "Test" in names and None in names  # Anna, outside the event, by id only
    regional.send("/export achterhoek-dag")  # not their event: refused
    assert "Er is geen event" in (await regional.reply()).plain_text


async def test_outbox_of_a_regional_organiser_shows_and_retries_only_their_region(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    people = _two_regions(engine)
    with session_scope(engine) as session:
        for name in ("anna", "fenna"):
            row = enqueue(
                session, dedupe_key=f"d:{name}", chat_id=people[name], kind="digest", text="hoi",
                participant_id=people[name],
            )  # fmt: skip
            assert row is not None
            row.state, row.attempts, row.last_error = OutboxState.PARKED, 8, "NetworkError"
            session.add(row)
    _scoped(engine, region="foodvalley")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/outbox")
    listed = (await regional.reply()).plain_text
    assert "1 vastgelopen bericht " in listed
    assert listed.count("weekoverzicht aan Test,") == 1  # the one in the region, by name
    regional.press_data("org:retry")  # even pressed on any message: only their region's
    await standin.wait_until(lambda: "wachtrij" in regional.last.plain_text, what="the retry")
    assert "1 bericht staat weer" in regional.last.plain_text
    with Session(engine) as session:
        states = {row.participant_id: row.state for row in session.exec(select(OutboxMessage)).all()}
    assert states[people["anna"]] == OutboxState.PARKED


# -- item 6: /privacy says what organisers see ---------------------------------------------------------------
async def test_privacy_says_what_scoped_organisers_see(
    standin: BotAPIStandIn, bot: KoppelApplication
) -> None:
    sanne = standin.person(1234, "Sanne")
    sanne.send("/privacy")
    text = (await sanne.reply()).plain_text
    assert "Organisatoren per regio of event" in text
    assert "zien alleen de mensen uit hun regio of van hun event" in text
    assert "de organisatoren van jouw regio (of anders de organisatie)" in text


async def test_digest_now_is_for_global_organisers_only(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    _scoped(engine, region="achterhoek")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/digest_now")
    assert "alleen een organisator voor alle regio's" in (await regional.reply()).plain_text
    with Session(engine) as session:
        assert session.exec(select(OutboxMessage)).all() == []


async def test_unmet_of_a_regional_organiser_counts_offers_from_everywhere(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    person(engine, 11, region="achterhoek", needs=("excursie techniek",))
    person(engine, 12, region="achterhoek", needs=("gastlessen",))
    person(
        engine,
        21,
        organisation="Techniek BV",
        region="foodvalley",
        role="company",
        offers=("excursie techniek",),
    )
    _scoped(engine, region="achterhoek")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/unmet")
    report = (await regional.reply()).plain_text
    assert "gastlessen" in report and "excursie" not in report  # the Foodvalley offers that one


async def test_a_regional_organiser_cannot_halt_a_global_broadcast_with_forged_data(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    _two_regions(engine)
    with session_scope(engine) as session:
        broadcast = create_draft(session, created_by=ORGANISER, text="Voor iedereen")
        start_broadcast(session, broadcast=broadcast)
        broadcast_id = broadcast.id
    _scoped(engine, region="achterhoek")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/stats")
    await regional.reply()
    query = regional.press_data(f"bc:halt:{broadcast_id}")
    await standin.wait_until(lambda: query in standin.callback_answers, what="the refusal")
    assert "bestaat niet meer" in standin.callback_answers[query].get("text", "")  # a popup, as refusals are
    with Session(engine) as session:
        assert session.get(Broadcast, broadcast_id).status != "cancelled"


async def test_an_event_organiser_invites_to_their_own_event_only(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    with session_scope(engine) as session:
        get_or_create_event(session, code="ede-2026", name="Netwerkmiddag Ede")
        get_or_create_event(session, code="doetinchem-2026", name="Techniekmiddag Doetinchem")
    _scoped(engine, telegram_id=700002, event_code="ede-2026")
    edwin = standin.person(700002, "Edwin")
    edwin.send("/invite doetinchem-2026")
    assert "Jij organiseert event ede-2026" in (await edwin.reply()).plain_text
    edwin.send("/invite")  # no code: their own event
    assert "Netwerkmiddag Ede" in (await edwin.reply()).plain_text
