"""End to end: imported personal invitations and /invite event links, used through /start <token>."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.services.imports import import_profiles
from bot.standin import BotAPIStandIn, Person
from storage import session_scope
from storage.invitations import create_invitation
from storage.models import Invitation, Participant, ProfileItem

CSV = (
    "id,name,organisation,role,region,offers,needs,interests,email,event\n"
    'a1,Anna de Vries,Het Assink Lyceum,vmbo,Achterhoek,,"gastlessen;bedrijfsbezoek",techniek,'
    "anna@example.org,ede-2022\n"
)


async def _accept(person: Person, token: str) -> list[str]:
    person.send(f"/start {token}")
    await person.reply()
    person.press("Akkoord")
    return [m.plain_text for m in await person.replies_until_idle()]


async def test_a_personal_invitation_prefills_and_works_once(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    report = import_profiles(engine, CSV, invite_ttl=dt.timedelta(days=60))
    assert report.invitations_created == 1
    with Session(engine) as session:
        token = session.exec(select(Invitation.token)).one()
    anna = standin.person(2001, "Anna")
    texts = await _accept(anna, token)
    assert any("via de uitnodiging voor ede-2022" in text for text in texts), texts
    with Session(engine) as session:
        participant = session.exec(select(Participant).where(Participant.telegram_id == 2001)).one()
        needs = session.exec(
            select(ProfileItem.text).where(ProfileItem.participant_id == participant.id)
        ).all()
    assert participant.name == "Anna de Vries" and participant.email == "anna@example.org"
    assert {"gastlessen", "bedrijfsbezoek"} <= set(needs)
    someone = standin.person(2002, "Iemand")
    texts = await _accept(someone, token)
    assert any("al door iemand anders gebruikt" in text for text in texts), texts


async def test_an_expired_invitation_is_refused_kindly(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=61)
    with session_scope(engine) as session:
        token = create_invitation(session, name="Bert", ttl=dt.timedelta(days=60), now=long_ago).token
    bert = standin.person(2003, "Bert")
    texts = await _accept(bert, token)
    assert any("verlopen" in text for text in texts), texts


async def test_an_event_link_from_invite_works_for_everyone(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    org = standin.person(900001, "Olga")
    org.send("/invite ede-2026")
    photo = await org.reply()
    token = photo.plain_text.split("start=")[1].split()[0]
    for user_id in (2004, 2005):
        texts = await _accept(standin.person(user_id, "Gast"), token)
        assert any("via de uitnodiging voor ede-2026" in text for text in texts), texts
