"""End to end over HTTP: /stats counts people without a region as "nog geen regio" (issue #12)."""

from __future__ import annotations

from sqlmodel import Session

from bot.app import KoppelApplication
from bot.standin import BotAPIStandIn
from storage.stats import NO_REGION, funnel_report
from tests.bot.organiser_data import person
from tests.bot.test_organiser_e2e import ORGANISER
from tests.factories import participant


async def test_people_without_a_region_are_not_counted_outside_gelderland(
    standin: BotAPIStandIn, bot: KoppelApplication, engine
) -> None:
    person(engine, 11, region="achterhoek", needs=("gastlessen",))
    person(engine, 12, region="outside", role="company", offers=("gastlessen",))
    participant(engine, 13, "Nieuw")  # consented, still onboarding: no region yet
    participant(engine, 14, "Ook nieuw")
    with Session(engine) as session:
        report = funnel_report(session)
    assert report.by_region["outside"].participants == 1
    assert report.by_region[NO_REGION].participants == 2
    assert list(report.by_region)[-1] == NO_REGION  # listed last
    org = standin.person(ORGANISER, "Olga")
    org.send("/stats")
    caption = (await org.reply()).plain_text
    assert "buiten Gelderland: 1 ·" in caption
    assert "Nog geen regio: 2 ·" in caption
