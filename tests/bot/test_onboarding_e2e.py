"""End to end over HTTP: consent, the profile questions, the summary, editing, restarts, odd input."""

from __future__ import annotations

import asyncio

from sqlmodel import Session, func, select

from bot.app import KoppelApplication, build_application
from bot.commands import PARTICIPANT_COMMANDS
from bot.runner import polling
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from bot.standin.server import Person
from storage import session_scope
from storage.invitations import create_invitation, get_or_create_event
from storage.models import ItemKind, Participant, ProfileItem


async def said(person: Person, fragment: str, timeout: float = 10.0) -> None:
    """Wait until the bot's newest message to the person contains `fragment`."""
    await person.standin.wait_until(
        lambda: bool(person.messages) and fragment.lower() in person.last.plain_text.lower(),
        timeout,
        f"a message containing {fragment!r}",
    )


async def consent(person: Person) -> None:
    """/start and "Akkoord": the person is asked their name."""
    person.send("/start")
    await said(person, "Welkom bij Koppelbot")
    person.press("Akkoord")
    await said(person, "Hoe heet je")


async def onboard_nl(person: Person, *, name_keep: bool = True, organisation: str = "Het Streek") -> None:
    """Answer every question in Dutch, like a vmbo teacher in Ede."""
    await consent(person)
    if name_keep:
        person.press("Houden")
    else:
        person.send("Sanne de Vries")
    await said(person, "organisatie")
    person.send(organisation)
    await said(person, "Wat past het best")
    person.press("vmbo / school")
    await said(person, "In welke regio")
    person.press("FoodValley")
    await said(person, "Hoe ver")
    person.press("buurregio")
    await said(person, "bieden")
    person.send("leerlingen voor een praktijkopdracht; excursie naar ons techniekpaviljoen")
    await said(person, "• excursie naar ons techniekpaviljoen")
    person.press("Klaar")
    await said(person, "zoek")
    person.send("gastlessen over warmtepompen\nstageplekken installatietechniek")
    await said(person, "• stageplekken installatietechniek")
    person.press("Klaar")
    await said(person, "thema")
    person.press("energietransitie")
    await person.standin.wait_until(lambda: "✓ energietransitie" in person.last.button_texts)
    person.send("waterstof")
    await said(person, "waterstof")
    person.press("Klaar")
    await said(person, "Zo ziet je profiel eruit")


async def test_full_onboarding_in_dutch_then_first_suggestions(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne = standin.person(2001, "Sanne", last_name="de Vries", language_code="nl")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Participant)).one() == 0
    await onboard_nl(sanne)
    summary = sanne.last.plain_text
    for fragment in ("Sanne de Vries", "Het Streek", "vmbo / school", "FoodValley", "ook de buurregio's",
                     "gastlessen over warmtepompen", "energietransitie; waterstof"):  # fmt: skip
        assert fragment in summary
    sanne.press("Klopt")
    await said(sanne, "geen nieuwe suggesties")
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        assert person.telegram_id == 2001 and person.profile_completed_at is not None
        assert person.conversation_state is None
        assert (person.region, person.role, person.reach) == ("foodvalley", "school", "neighbours")
        kinds = [item.kind for item in session.exec(select(ProfileItem)).all()]
        assert kinds.count(ItemKind.OFFER) == 2 and kinds.count(ItemKind.NEED) == 2


async def test_nothing_is_stored_before_consent_and_a_no_stores_nothing(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    kees = standin.person(2002, "Kees", language_code="nl")
    kees.send("/start")
    await said(kees, "Welkom")
    kees.send("hallo?")
    await said(kees, "/start")
    kees.send_sticker()
    await standin.wait_idle()
    kees.press("Nee, liever niet")
    await standin.wait_until(lambda: any("niets van je bewaard" in m.plain_text for m in kees.messages))
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Participant)).one() == 0


async def test_full_onboarding_in_english(standin: BotAPIStandIn, bot: KoppelApplication, engine) -> None:
    john = standin.person(2003, "John", language_code="en")
    john.send("/start")
    await said(john, "Which language")  # not Dutch: the language first
    john.press("English")
    await said(john, "Welcome to Koppelbot")
    john.press("I agree")
    await said(john, "What is your name")
    john.send("John Smith")
    await said(john, "Which organisation")
    john.send("Smith Installations Ltd")
    await said(john, "describes you best")
    john.press("company")
    await said(john, "Which region")
    john.press("Arnhem-Nijmegen")
    await said(john, "How far")
    john.press("anywhere")
    await said(john, "What can you offer")
    john.send("guest lessons on heat pumps\ninternships")  # one per line, as the question asks
    await said(john, "• internships")
    john.press("Done")
    await said(john, "looking for")
    john.press("Skip")
    await said(john, "themes")
    john.press("Done")
    await said(john, "This is your profile")
    assert "Smith Installations Ltd" in john.last.plain_text
    john.press("Correct")
    await said(john, "no new suggestions")
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        assert person.language == "en" and person.name == "John Smith"


async def test_editing_from_the_summary_and_from_profile(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    sanne = standin.person(2004, "Sanne", language_code="nl")
    await onboard_nl(sanne)
    sanne.press("Organisatie")
    await said(sanne, "Bij welke organisatie")
    sanne.send("Het Streek Lyceum Ede")
    await said(sanne, "Zo ziet je profiel eruit")
    assert "Het Streek Lyceum Ede" in sanne.last.plain_text
    sanne.press("Klopt")
    await said(sanne, "suggesties")
    sanne.send("/profile")
    await said(sanne, "Tik op een onderdeel")
    assert "% compleet" in sanne.last.plain_text
    sanne.press("Regio")
    await said(sanne, "In welke regio")
    sanne.press("Achterhoek")
    await said(sanne, "Je profiel")
    assert "Achterhoek" in sanne.last.plain_text
    # Strike an offer out.
    sanne.press("Ik bied")
    await said(sanne, "Typ er nog meer bij")  # the offers question, with its items
    sanne.press("✕ excursie")
    await standin.wait_until(lambda: "excursie" not in sanne.last.plain_text)
    sanne.press("Klaar")
    await said(sanne, "Je profiel")
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        assert person.region == "achterhoek" and person.organisation == "Het Streek Lyceum Ede"
        offers = session.exec(select(ProfileItem.text).where(ProfileItem.kind == ItemKind.OFFER)).all()
        assert offers == ["leerlingen voor een praktijkopdracht"]


async def test_restart_mid_onboarding_continues_where_the_person_was(
    standin: BotAPIStandIn, settings, engine
) -> None:
    piet = standin.person(2005, "Piet", language_code="nl")
    first = build_application(settings, engine=engine)
    async with polling(first, poll_timeout=0.5):
        await consent(piet)
        piet.send("Piet Bakker")
        await said(piet, "organisatie")
        piet.send("Graafschap College")
        await said(piet, "Wat past het best")
    second = build_application(settings, engine=engine)
    async with polling(second, poll_timeout=0.5):
        piet.press_data("ob:role:mbo")  # a button from before the restart
        await said(piet, "In welke regio")
        piet.press("Achterhoek")
        await said(piet, "Hoe ver")
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        assert (person.name, person.organisation, person.role, person.region) == (
            "Piet Bakker", "Graafschap College", "mbo", "achterhoek"
        )  # fmt: skip
        assert person.conversation_state == "ob:reach"


async def test_odd_input_during_onboarding(standin: BotAPIStandIn, bot: KoppelApplication, engine) -> None:
    eva = standin.person(2006, "Eva", language_code="nl")
    await consent(eva)
    eva.send("x" * 10_000)
    await said(eva, "te lang")
    eva.send("   ")
    await said(eva, "geen tekst")
    eva.send_sticker()
    await said(eva, "Hoe heet je")
    eva.send_photo()
    await said(eva, "Hoe heet je")
    eva.send_voice()
    await said(eva, "Hoe heet je")
    eva.send_location()
    await said(eva, "Hoe heet je")
    eva.send("/matches")
    await said(eva, "Hoe heet je")
    eva.send("/onzin")
    await said(eva, "/help")
    eva.send("Eva")
    await said(eva, "organisatie")
    eva.send("ROC")
    await said(eva, "Wat past")
    eva.send("blablabla")
    await said(eva, "Wat past")
    eva.send("mbo")  # typed instead of pressed, and recognised
    await said(eva, "In welke regio")
    assert eva.last.plain_text.startswith("✓ Genoteerd: mbo")  # she sees what her word was read as
    for data in ("ob:role:hbo", "ob:region:atlantis"):  # an old button for an answered question; forged
        callback = eva.press_data(data)
        await standin.wait_until(lambda c=callback: c in standin.callback_answers)
        assert "eerdere vraag" in standin.callback_answers[callback]["text"]
        await said(eva, "In welke regio")  # the question of now keeps its buttons, nothing is re-sent
        assert "Achterhoek" in " ".join(eva.last.button_texts)
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        assert (person.name, person.organisation, person.role, person.region) == ("Eva", "ROC", "mbo", None)
    eva.send("/cancel")
    await said(eva, "Gestopt")
    eva.send("/start")
    await said(eva, "In welke regio")


async def test_invitation_link_prefills_and_ties_to_the_event(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    with session_scope(engine) as session:
        event = get_or_create_event(session, code="ede-2022", name="Netwerkmiddag Ede")
        invitation = create_invitation(
            session,
            event_id=event.id,
            name="Ruud Jansen",
            prefill={"organisation": "Jansen Installatietechniek", "role": "bedrijf", "region": "Ede"},
        )
        token = invitation.token
    ruud = standin.person(2007, "R", language_code="nl")
    ruud.send(f"/start {token}")
    await said(ruud, "Welkom")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Participant)).one() == 0
    ruud.press("Akkoord")
    await said(ruud, "Hoe heet je")
    assert any("Netwerkmiddag Ede" in m.plain_text for m in ruud.messages)
    assert "Houden: Ruud Jansen" in ruud.last.button_texts
    ruud.press("Houden")
    await said(ruud, "organisatie")
    assert "Houden: Jansen Installatietechniek" in ruud.last.button_texts
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        assert (person.name, person.role, person.region) == ("Ruud Jansen", "company", "foodvalley")

    # The same personal link used by someone else: a friendly explanation, then normal onboarding.
    other = standin.person(2008, "Ander", language_code="nl")
    other.send(f"/start {token}")
    await said(other, "Welkom")
    other.press("Akkoord")
    await said(other, "Hoe heet je")
    assert any("al door iemand anders gebruikt" in m.plain_text for m in other.messages)
    unknown = standin.person(2009, "Onbekend", language_code="nl")
    unknown.send("/start bestaat-niet")
    await said(unknown, "Welkom")
    unknown.press("Akkoord")
    await said(unknown, "Hoe heet je")
    assert any("ken ik niet" in m.plain_text for m in unknown.messages)


async def test_no_trace_of_the_person_before_consent(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    from storage.privacy import find_values

    ida = standin.person(2010, "Ida", last_name="Veldhuis", username="ida_veld", language_code="nl")
    ida.send("/start")
    await said(ida, "Welkom")
    ida.send("/language")
    await said(ida, "In welke taal")
    ida.press("English")
    await said(ida, "Welcome to Koppelbot")
    await standin.wait_idle()
    with Session(engine) as session:
        assert find_values(session, needles=[2010, "ida_veld", "Veldhuis"]) == []
    ida.press("I agree")
    await said(ida, "What is your name")
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        assert person.telegram_id == 2010 and person.language == "en" and person.username == "ida_veld"


async def test_help_language_and_privacy(standin: BotAPIStandIn, bot: KoppelApplication, engine) -> None:
    sanne = standin.person(2011, "Sanne", language_code="nl")
    await onboard_nl(sanne)
    sanne.press("Klopt")
    await said(sanne, "suggesties")
    sanne.send("/help")
    await said(sanne, "Wat kan ik voor je doen")
    lines = sanne.last.plain_text.splitlines()[1:]
    assert [line.split(" ")[0] for line in lines] == [f"/{c.name}" for c in PARTICIPANT_COMMANDS]
    sanne.send("/privacy")
    await said(sanne, "Wat ik bewaar")
    sanne.send("/language")
    await said(sanne, "In welke taal")
    sanne.press("English")
    await said(sanne, "I'll speak English")
    sanne.send("/profile")
    await said(sanne, "Your profile")
    sanne.send("/cancel")
    await said(sanne, "nothing to stop")
    # The English command menu has every participant command.
    english = next(c for c in standin.calls_to("setMyCommands") if c.params.get("language_code") == "en")
    assert [c["command"] for c in english.params["commands"]][: len(PARTICIPANT_COMMANDS)] == [
        c.name for c in PARTICIPANT_COMMANDS
    ]


async def test_an_answer_replayed_after_a_crash_is_not_read_as_the_next_answer(
    standin: BotAPIStandIn, settings: Settings, engine
) -> None:
    from sqlmodel import delete

    from storage.models import ProcessedUpdate

    piet = standin.person(2011, "Piet", language_code="nl")
    async with polling(build_application(settings, engine=engine), poll_timeout=1.0):
        await consent(piet)
        name_update = piet.send("Piet Bakker")
        await said(piet, "organisatie")
        await standin.wait_idle()
    # As if the bot died after storing the name but before recording the update as handled: after the
    # restart Telegram delivers the same message again.
    with session_scope(engine) as session:
        session.exec(delete(ProcessedUpdate).where(ProcessedUpdate.update_id == name_update))  # type: ignore[call-overload]
    before = len(piet.messages)
    await asyncio.sleep(1.2)  # (the stopped bot's last long poll ends on the stand-in's side first)
    async with polling(build_application(settings, engine=engine), poll_timeout=1.0):
        standin.replay(name_update)
        await standin.wait_until(lambda: len(piet.messages) > before)
        await standin.wait_idle()
        assert "organisatie" in piet.last.plain_text  # the question the person is on, asked again
        with Session(engine) as session:
            person = session.exec(select(Participant)).one()
            assert person.organisation is None and person.conversation_state == "ob:organisation"
        piet.send("Graafschap College")
        await said(piet, "Wat past het best")
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        assert (person.name, person.organisation) == ("Piet Bakker", "Graafschap College")
