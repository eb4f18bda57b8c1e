"""Invitation tokens (single use, expiry, event-wide) and organiser membership."""

from __future__ import annotations

import datetime as dt
import re

from storage import session_scope
from storage.invitations import (
    InvitationKind,
    RedemptionProblem,
    create_invitation,
    deep_link,
    get_or_create_event,
    redeem_invitation,
)
from storage.models import Participant
from storage.organisers import add_organiser, is_organiser, organiser_ids, remove_organiser

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def _people(session, count: int) -> list[int]:
    people = [Participant(telegram_id=500 + i) for i in range(count)]
    session.add_all(people)
    session.flush()
    return [person.id for person in people]


def test_personal_invitation_is_single_use_and_expires(engine) -> None:
    with session_scope(engine) as session:
        alice, bob = _people(session, 2)
        event = get_or_create_event(session, code="ede-2022", name="Netwerkmiddag Ede")
        invitation = create_invitation(
            session, event_id=event.id, name="Alice", prefill={"organisation": "Graafschap College"}, now=NOW
        )
        token = invitation.token
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
        assert len(deep_link("koppelbot", token)) < 100
        used = redeem_invitation(session, token=token, participant_id=alice, now=NOW)
        assert used.problem is None and used.event_id == event.id
        assert used.prefill == {"organisation": "Graafschap College", "name": "Alice"}
        assert redeem_invitation(session, token=token, participant_id=alice, now=NOW).problem is None
        assert (
            redeem_invitation(session, token=token, participant_id=bob, now=NOW).problem
            == RedemptionProblem.USED
        )
        late = create_invitation(session, name="Late", ttl=dt.timedelta(days=1), now=NOW)
        expired = redeem_invitation(
            session, token=late.token, participant_id=bob, now=NOW + dt.timedelta(days=2)
        )
        assert expired.problem == RedemptionProblem.EXPIRED
        assert (
            redeem_invitation(session, token="forged", participant_id=bob).problem
            == RedemptionProblem.UNKNOWN
        )


def test_event_invitation_serves_many_and_import_is_idempotent(engine) -> None:
    with session_scope(engine) as session:
        alice, bob = _people(session, 2)
        link = create_invitation(session, kind=InvitationKind.EVENT, now=NOW)
        assert redeem_invitation(session, token=link.token, participant_id=alice, now=NOW).problem is None
        assert redeem_invitation(session, token=link.token, participant_id=bob, now=NOW).problem is None
        first = create_invitation(session, source_key="import:alice@example.org", now=NOW)
        again = create_invitation(session, source_key="import:alice@example.org", now=NOW)
        assert first.id == again.id


def test_organisers_configured_and_added(engine) -> None:
    with session_scope(engine) as session:
        assert is_organiser(session, telegram_id=1, configured=[1])
        assert not is_organiser(session, telegram_id=2, configured=[1])
        assert add_organiser(session, telegram_id=2, added_by=1)
        assert not add_organiser(session, telegram_id=2, added_by=1)
        assert is_organiser(session, telegram_id=2, configured=[1])
        assert organiser_ids(session, configured=[1]) == [1, 2]
        assert remove_organiser(session, telegram_id=2)
        assert not is_organiser(session, telegram_id=2, configured=[1])
