"""End to end: imported personal invitations and /invite event links, used through /start <token>."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from bot.app import KoppelApplication
from bot.services.imports import import_profiles
from bot.standin import BotAPIStandIn, Person
from storage import session_scope
from storage.invitations import create_invitation, get_or_create_event
from storage.models import Invitation, Participant, ParticipantEvent, ProfileItem

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
    with session_scope(engine) as session:
        get_or_create_event(session, code="ede-2026")  # made with /event new
    org = standin.person(900001, "Olga")
    org.send("/invite ede-2026")
    photo = await org.reply()
    token = photo.plain_text.split("start=")[1].split()[0]
    for user_id in (2004, 2005):
        texts = await _accept(standin.person(user_id, "Gast"), token)
        assert any("via de uitnodiging voor ede-2026" in text for text in texts), texts


async def test_a_personal_invitation_is_its_owners_only(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    import_profiles(engine, CSV, invite_ttl=dt.timedelta(days=60))
    with Session(engine) as session:
        token = session.exec(select(Invitation.token)).one()
    # Someone already registered follows Anna's link: refused, nothing changes, the link stays hers.
    bob = standin.person(2101, "Bob")
    bob.send("/start")
    await bob.reply()
    bob.press("Akkoord")
    await bob.replies_until_idle()
    bob.send(f"/start {token}")
    replies = [m.plain_text for m in await bob.replies_until_idle()]
    assert any("al aangemeld" in text for text in replies), replies
    assert not any("gekoppeld" in text for text in replies), replies
    with Session(engine) as session:
        assert session.exec(select(Invitation)).one().used_at is None
        assert session.exec(select(ParticipantEvent)).all() == []
    # Anna uses it: her profile is prefilled and the link is used up.
    anna = standin.person(2001, "Anna")
    texts = await _accept(anna, token)
    assert any("via de uitnodiging voor ede-2022" in text for text in texts), texts
    anna.send(f"/start {token}")  # again, by its owner: nothing to do
    assert any("al aangemeld" in m.plain_text for m in await anna.replies_until_idle())
    # A new person with the same link: used, nothing prefilled.
    carl = standin.person(2102, "Carl")
    texts = await _accept(carl, token)
    assert any("al door iemand anders gebruikt" in text for text in texts), texts
    with Session(engine) as session:
        carl_row = session.exec(select(Participant).where(Participant.telegram_id == 2102)).one()
        assert carl_row.name is None and carl_row.email is None
        invitation = session.exec(select(Invitation)).one()
        anna_row = session.exec(select(Participant).where(Participant.telegram_id == 2001)).one()
        assert invitation.participant_id == anna_row.id
    # An event-wide link keeps working for anyone, the registered included.
    with session_scope(engine) as session:
        get_or_create_event(session, code="ede-2026")  # made with /event new
    org = standin.person(900001, "Olga")
    org.send("/invite ede-2026")
    event_token = (await org.reply()).plain_text.split("start=")[1].split()[0]
    bob.send(f"/start {event_token}")
    assert any("ede-2026" in m.plain_text for m in await bob.replies_until_idle())


async def test_an_invitation_for_a_known_telegram_id_works_only_for_that_person(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    csv = (
        "id,name,organisation,role,region,offers,needs,interests,telegram_id,consent\n"
        "d1,Dirk Bakker,Bakker Metaal,bedrijf,Achterhoek,lasrobot,stagiairs,techniek,2201,no\n"
    )
    report = import_profiles(engine, csv, invite_ttl=dt.timedelta(days=60))
    assert report.invitations_created == 1 and report.participants_created == 0
    with Session(engine) as session:
        token = session.exec(select(Invitation.token)).one()
    texts = await _accept(standin.person(2202, "Iemand"), token)
    assert any("voor iemand anders" in text for text in texts), texts
    texts = await _accept(standin.person(2201, "Dirk"), token)
    assert any("Wat de organisatie al van je wist" in text for text in texts), texts
    with Session(engine) as session:
        dirk = session.exec(select(Participant).where(Participant.telegram_id == 2201)).one()
        other = session.exec(select(Participant).where(Participant.telegram_id == 2202)).one()
    assert dirk.name == "Dirk Bakker" and other.name is None
