"""The weekly digest as a service, on SQLite and PostgreSQL, with a controlled clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, col, select

from bot.services import digest
from bot.services import matchmaking as mm
from bot.settings import Settings
from storage import session_scope
from storage.models import (
    JobRun,
    OutboxMessage,
    ParticipantStatus,
    Suggestion,
    SuggestionStatus,
)
from tests.factories import QUIET_NIGHTS, add_participant

MONDAY_9 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # 09:00 in Amsterdam, ISO week 2026-W48
WEEK = "2026-W48"


def make_person(session, telegram_id, name, *, organisation, role, region, offers=(), needs=(), themes=(),
                completed=MONDAY_9 - dt.timedelta(days=60), status=ParticipantStatus.ACTIVE,
                reach="anywhere") -> int:  # fmt: skip
    return add_participant(
        session, telegram_id, name, organisation=organisation, role=role, region=region, reach=reach,
        offers=offers, needs=needs, themes=themes, completed_at=completed, status=status, now=completed,
    ).id  # fmt: skip


def community(engine) -> dict[str, int]:
    """A school and an installer who fit; a paused and a blocked look-alike; a loner nobody fits."""
    with session_scope(engine) as session:
        school = {
            "organisation": "Het Streek",
            "role": "school",
            "region": "foodvalley",
            "offers": ("leerlingen voor een praktijkopdracht",),
            "needs": ("gastlessen over warmtepompen",),
            "themes": ("energietransitie",),
        }
        company = {
            "organisation": "Jansen Installatietechniek",
            "role": "company",
            "region": "achterhoek",
            "offers": ("gastlessen warmtepomp-installatie",),
            "needs": ("stagiairs installatietechniek",),
            "themes": ("energietransitie",),
        }
        return {
            "sanne": make_person(session, 11, "Sanne", **school),
            "ruud": make_person(session, 12, "Ruud", **company),
            "paused": make_person(session, 13, "Pauline", status=ParticipantStatus.PAUSED, **company),
            "blocked": make_person(session, 14, "Bram", status=ParticipantStatus.BLOCKED, **company),
            "loner": make_person(
                session,
                15,
                "Lone",
                organisation="Museum",
                role="other",
                region="arnhem",
                offers=("oude stoommachines",),
                needs=(),
                reach="own_region",
            ),  # fmt: skip
        }


@pytest.fixture
def tuned(settings: Settings) -> Settings:
    return settings.model_copy(update={"suggestions_per_week": 3, "digest_grace_hours": 48, **QUIET_NIGHTS})


def outbox(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all())


def test_digest_content_and_once_per_week(engine, tuned) -> None:
    ids = community(engine)
    report = digest.run_digest(engine, settings=tuned, now=MONDAY_9)
    assert report.ran and report.week == WEEK
    assert report.recipients == 2 and report.new_suggestions == 1
    rows = outbox(engine)
    by_person = {
        pid: [r for r in rows if r.participant_id == pid and r.kind == "digest"] for pid in ids.values()
    }
    with Session(engine) as session:
        suggestion_id = session.exec(select(Suggestion)).one().id
    for name in ("sanne", "ruud"):
        (header,) = by_person[ids[name]]  # one message: the list, a button per suggestion
        assert header.dedupe_key == f"digest:{ids[name]}:{WEEK}"
        assert "weekoverzicht" in header.payload["text"]
        assert "1 nieuwe suggestie</b>" in header.payload["text"]
        assert header.not_before is None  # Monday 09:00 is not quiet
        buttons = [
            b["callback_data"] for row in header.payload["reply_markup"]["inline_keyboard"] for b in row
        ]
        assert buttons == [f"dg:o:{suggestion_id}:{WEEK}"]
    assert "Ruud" in by_person[ids["sanne"]][0].payload["text"]
    assert "Jansen Installatietechniek" in by_person[ids["sanne"]][0].payload["text"]
    for name in ("paused", "blocked"):
        assert by_person[ids[name]] == []
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
        assert (suggestion.source, suggestion.week) == ("digest", WEEK)
        assert suggestion.shown_a_at is not None and suggestion.shown_b_at is not None
        run = session.exec(select(JobRun)).one()
        assert run.key == f"digest:{WEEK}" and run.finished_at is not None and run.details["recipients"] == 2
    before = len(outbox(engine))
    again = digest.run_digest(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(hours=3))
    assert not again.ran and len(outbox(engine)) == before
    forced = digest.run_digest(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(hours=4), force=True)
    assert forced.ran and forced.already_had_digest == 2 and forced.recipients == 0
    assert len(outbox(engine)) == before


def test_nobody_gets_an_empty_digest_and_the_silent_hear_why_monthly(engine, tuned) -> None:
    ids = community(engine)
    digest.run_digest(engine, settings=tuned, now=MONDAY_9)
    loner = [r for r in outbox(engine) if r.participant_id == ids["loner"]]
    assert [r.kind for r in loner] == ["silence"]
    text = loner[0].payload["text"]
    assert "geen goede suggestie" in text and "breder" in text and "aanbieden" in text
    # A week later: no second note within the month, and still no empty digest.
    digest.run_digest(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(days=7))
    assert len([r for r in outbox(engine) if r.participant_id == ids["loner"]]) == 1
    digest.run_digest(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(days=35))
    assert len([r for r in outbox(engine) if r.participant_id == ids["loner"]]) == 2


def test_next_week_reminds_of_waiting_answers(engine, tuned) -> None:
    ids = community(engine)
    digest.run_digest(engine, settings=tuned, now=MONDAY_9)
    with session_scope(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
        # Ruud said yes; Sanne has not answered.
        if suggestion.participant_a_id == ids["ruud"]:
            suggestion.answer_a = "yes"
        else:
            suggestion.answer_b = "yes"
        session.add(suggestion)
    report = digest.run_digest(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(days=7))
    assert report.ran and report.reminders == 1 and report.recipients == 1
    week49 = [r for r in outbox(engine) if r.dedupe_key.startswith(f"digest:{ids['sanne']}:2026-W49")]
    (header,) = week49
    assert "Ruud (Jansen Installatietechniek)" in header.payload["text"]
    assert "Ruud" in header.payload["reply_markup"]["inline_keyboard"][0][0]["text"]


def test_digest_suggestions_expire_and_rest_until_the_cooldown(engine, tuned) -> None:
    community(engine)
    digest.run_digest(engine, settings=tuned, now=MONDAY_9)
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
        assert suggestion.expires_at == MONDAY_9 + dt.timedelta(days=tuned.suggestion_expiry_days)
    # Five weeks on, nobody answered: the row is closed as expired, not reminded of, not paired again.
    report = digest.run_digest(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(days=35))
    assert report.new_suggestions == 0 and report.reminders == 0
    with Session(engine) as session:
        suggestion = session.exec(select(Suggestion)).one()
        assert suggestion.status == SuggestionStatus.EXPIRED
        assert suggestion.closed_at == suggestion.expires_at


def test_quiet_hours_make_the_digest_wait_but_force_sends_now(engine, tuned) -> None:
    community(engine)
    sunday_noon = dt.datetime(2026, 11, 29, 11, 0, tzinfo=dt.UTC)
    digest.run_digest(engine, settings=tuned, now=sunday_noon)
    rows = [r for r in outbox(engine) if r.kind == "digest"]
    assert rows and all(r.not_before == dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC) for r in rows)


def test_forced_digest_ignores_quiet_hours(engine, tuned) -> None:
    community(engine)
    sunday_night = dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.UTC)
    report = digest.run_digest(engine, settings=tuned, now=sunday_night, force=True)
    rows = outbox(engine)
    assert report.ran and rows and all(r.not_before is None for r in rows)


def test_a_missed_digest_is_due_within_the_grace_period(engine, tuned) -> None:
    community(engine)
    assert digest.digest_due(engine, settings=tuned, now=MONDAY_9 - dt.timedelta(minutes=1)) is None
    assert digest.digest_due(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(hours=20)) == WEEK
    assert digest.digest_due(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(hours=49)) is None
    report = digest.run_digest_if_due(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(hours=20))
    assert report is not None and report.week == WEEK and report.messages > 0
    assert digest.digest_due(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(hours=21)) is None
    assert digest.run_digest_if_due(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(hours=22)) is None


def test_a_crashed_run_is_taken_over(engine, tuned) -> None:
    community(engine)
    with session_scope(engine) as session:
        session.add(JobRun(key=f"digest:{WEEK}", claimed_by="dead", started_at=MONDAY_9))
    assert digest.digest_due(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(minutes=10)) is None
    report = digest.run_digest_if_due(engine, settings=tuned, now=MONDAY_9 + dt.timedelta(hours=1))
    assert report is not None and report.recipients == 2


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC), dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)),
        (dt.datetime(2026, 11, 23, 7, 59, tzinfo=dt.UTC), dt.datetime(2026, 11, 16, 8, 0, tzinfo=dt.UTC)),
        (dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC), dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)),
    ],
)
def test_scheduled_moment(now, expected) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert digest.scheduled_moment(now, settings) == expected


def test_the_digest_pairs_with_the_one_matcher_of_the_process(engine, tuned) -> None:
    """The bot's one matcher (settings' MatchConfig) serves the digest; people who had theirs sit it out."""
    ids = community(engine)
    tuned = tuned.model_copy(update={"cross_region_bonus": 0.37})
    matcher = mm.MatcherCache(mm.match_config(tuned))
    assert matcher.config.cross_region_bonus == 0.37 and matcher.config.weekly_new_per_person == 3
    with session_scope(engine) as session:
        matcher.get(session, for_id=ids["sanne"])  # /matches built it earlier
    report = digest.run_digest(engine, settings=tuned, now=MONDAY_9, matcher=matcher)
    assert report.new_suggestions == 1 and matcher.builds == 1  # the same index, not a second one
    forced = digest.run_digest(engine, settings=tuned, now=MONDAY_9, force=True, matcher=matcher)
    assert forced.already_had_digest == 2 and forced.new_suggestions == 0 and matcher.builds == 1
