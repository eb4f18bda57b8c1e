"""Per-person queries read that person's rows by index, not the whole table (SQLite has no statistics).

SQLite plans without statistics unless ANALYZE ran, so an index on a column most rows share (such as
`suggestion.status`) can look as good as one on the participant and make `/matches` read every pending
suggestion. These tests run the real queries and ask SQLite for their plans.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from storage import make_engine, upgrade
from storage.suggestions import open_for


def _plans_of(sqlite_file: str, run: Any) -> list[str]:
    """The EXPLAIN QUERY PLAN lines of every SELECT that `run(session)` executes."""
    upgrade(sqlite_file)
    engine = make_engine(sqlite_file)
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    with Session(engine) as session:
        run(session)
    event.remove(engine, "before_cursor_execute", capture)
    lines: list[str] = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall():
                lines.append(str(row[-1]))
    engine.dispose()
    return lines


def test_open_suggestions_of_one_person_are_found_by_the_participant_indexes(sqlite_file: str) -> None:
    now = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    plans = _plans_of(sqlite_file, lambda session: open_for(session, participant_id=7, now=now, limit=3))
    assert not any("ix_suggestion_status" in line or line.startswith("SCAN") for line in plans), plans
    assert any("participant_b_id" in line for line in plans), plans  # the b side by its own index
    assert any("ix_suggestion_pair" in line for line in plans), plans  # the a side by the pair index
