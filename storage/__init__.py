"""Koppelbot's storage: the SQLModel schema, Alembic migrations, engines, sessions and every query.

This package is the only code that talks SQL; it never imports `telegram`.
"""

from storage.db import make_engine, session_scope
from storage.migrate import upgrade

__all__ = ["make_engine", "session_scope", "upgrade"]
