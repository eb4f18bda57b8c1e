"""End to end: scoped organisers (a region and/or an event) through the stand-in, on SQLite and PostgreSQL.

How organisers are added (@username, the Telegram user picker, an id) and that a scoped organiser's commands
and buttons cover only their scope, forged button data included.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage import session_scope
from storage.invitations import get_or_create_event
from storage.organisers import add_organiser, organiser_scope
from storage.scope import Scope
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
    assert "regio Foodvalley · event ede-2022" in prompt.plain_text
    button = prompt.reply_markup["keyboard"][0][0]
    assert button["request_users"]["user_is_bot"] is False and button["request_users"]["max_quantity"] == 1
    org.share_user(556)
    added = await org.reply()
    assert "Gert Bos (@gertbos) is nu organisator voor: regio Foodvalley · event ede-2022" in added.plain_text
    assert added.reply_markup == {"remove_keyboard": True}
    with Session(engine) as session:
        assert organiser_scope(session, telegram_id=556, configured=[ORGANISER]) == Scope(
            region="foodvalley", event_code="ede-2022"
        )
    org.share_user(557, request_id=2**30)  # forged: an event id that does not exist
    assert "Dat mag niet" in (await org.reply()).plain_text
    with Session(engine) as session:
        assert organiser_scope(session, telegram_id=557, configured=[ORGANISER]) is None


async def test_a_scoped_organiser_adds_only_within_their_scope(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    _scoped(engine, region="achterhoek")
    regional = standin.person(REGIONAL, "Ria")
    regional.send("/organisers add 558 foodvalley")
    assert "Dat mag niet" in (await regional.reply()).plain_text
    regional.send("/organisers add 558")  # no region named: their own
    assert "558 is nu organisator voor: regio Achterhoek" in (await regional.reply()).plain_text
    regional.send("/organisers add")
    await regional.reply()
    regional.share_user(559, request_id=3)  # forged: region foodvalley (the third region, no event)
    assert "Dat mag niet" in (await regional.reply()).plain_text
    with Session(engine) as session:
        assert organiser_scope(session, telegram_id=558, configured=[ORGANISER]) == Scope(region="achterhoek")
        assert organiser_scope(session, telegram_id=559, configured=[ORGANISER]) is None
