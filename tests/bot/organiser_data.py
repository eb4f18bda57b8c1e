"""Test data for the organiser tests: participants, suggestions and introductions stored directly."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from storage import session_scope
from storage.models import Introduction, Participant, Suggestion
from tests.factories import participant

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


def person(
    engine: Engine,
    telegram_id: int,
    *,
    name: str = "Test",
    organisation: str = "Org",
    role: str = "school",
    region: str = "achterhoek",
    offers: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
    themes: tuple[str, ...] = (),
) -> int:
    """An active, consenting participant (a finished profile when it offers or needs something)."""
    return participant(
        engine, telegram_id, name, organisation=organisation, role=role, region=region, reach="anywhere",
        offers=offers, needs=needs, themes=themes, completed_at=NOW if offers or needs else None, now=NOW,
    )  # fmt: skip


def introduce(
    engine: Engine,
    a: int,
    b: int,
    *,
    contacted: bool = False,
    project: str | None = None,
) -> int:
    """A suggestion both accepted, and its introduction (optionally contacted / with a project)."""
    a, b = min(a, b), max(a, b)
    with session_scope(engine) as session:
        suggestion = Suggestion(
            participant_a_id=a,
            participant_b_id=b,
            score=0.8,
            status="introduced",
            answer_a="yes",
            answer_b="yes",
        )
        session.add(suggestion)
        session.flush()
        assert suggestion.id is not None
        introduction = Introduction(
            suggestion_id=suggestion.id,
            participant_a_id=a,
            participant_b_id=b,
            status="project" if project else ("contacted" if contacted else "introduced"),
            contacted_at=NOW if contacted or project else None,
            project_started_at=NOW if project else None,
            project_description=project,
        )
        session.add(introduction)
        session.flush()
        assert introduction.id is not None
        return introduction.id


def suggest(engine: Engine, a: int, b: int, *, answer_a: str | None = None) -> int:
    """A pending suggestion."""
    a, b = min(a, b), max(a, b)
    with session_scope(engine) as session:
        suggestion = Suggestion(participant_a_id=a, participant_b_id=b, score=0.5, answer_a=answer_a)
        session.add(suggestion)
        session.flush()
        assert suggestion.id is not None
        return suggestion.id


def delete(engine: Engine, participant_id: int) -> None:
    """Make a participant a tombstone."""
    with session_scope(engine) as session:
        row = session.get(Participant, participant_id)
        assert row is not None
        row.status = "deleted"
        row.name = None
        session.add(row)
