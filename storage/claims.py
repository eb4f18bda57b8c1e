"""Claims of dead senders go back at once, instead of after the stale timeout.

A sender that is killed (`kill -9`, power loss) leaves its outbox rows in state `sending`. The stale timeout
(5 minutes) eventually frees them; this module frees them as soon as the death is known:

- SQLite: one Koppelbot process per database file (storage.locks.SingleProcessLock), so when a sender
  starts, every claim by another owner belongs to a process that is gone.
- PostgreSQL: every sender holds an advisory lock named after its owner id for as long as it lives (taken
  before its first claim). An owner with claims whose lock can be taken is dead; PostgreSQL released its
  lock when its connection died.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from storage.db import session_scope
from storage.locks import AdvisoryLocks, lock_key
from storage.models import OutboxMessage, OutboxState
from storage.outbox import release_claims

__all__ = ["ClaimOwners"]

logger = logging.getLogger(__name__)


class ClaimOwners:
    """This sender's liveness, and the release of claims whose owner died."""

    def __init__(self, engine: Engine, owner: str) -> None:
        self.engine = engine
        self.owner = owner
        self._locks = AdvisoryLocks(engine) if engine.dialect.name == "postgresql" else None

    def announce(self) -> None:
        """Take this owner's liveness lock (PostgreSQL); call before the first claim."""
        if self._locks is not None and not self._locks.try_lock(lock_key("outbox-owner", self.owner)):
            raise RuntimeError(f"outbox owner id {self.owner} is in use by another process")

    def release_dead(self) -> int:
        """Give the claims of dead owners back as pending; returns how many rows."""
        with session_scope(self.engine) as session:
            owners: list[str | None] = list(
                session.exec(
                    select(col(OutboxMessage.claimed_by))
                    .distinct()
                    .where(
                        col(OutboxMessage.state) == OutboxState.SENDING,
                        col(OutboxMessage.claimed_by).is_not(None),
                        col(OutboxMessage.claimed_by) != self.owner,
                    )
                ).all()
            )
        released = 0
        for owner in owners:
            if owner is None or not self._is_dead(owner):
                continue
            with session_scope(self.engine) as session:
                count = release_claims(session, owner=owner)
            if self._locks is not None:
                self._locks.unlock(lock_key("outbox-owner", owner))
            if count:
                logger.warning("gave back %d outbox messages claimed by a sender that died", count)
            released += count
        return released

    def _is_dead(self, owner: str) -> bool:
        if self._locks is None:
            return True  # SQLite: only one process per database file, and it is us
        return self._locks.try_lock(lock_key("outbox-owner", owner))

    def close(self) -> None:
        """Release the liveness lock (the connection closes)."""
        if self._locks is not None:
            self._locks.close()
