"""Alembic, driven from code: `upgrade()` brings any database to the newest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from storage.db import normalise_url

__all__ = ["alembic_config", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url` using the migrations shipped inside this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    # Percent signs in passwords must be escaped for ConfigParser interpolation.
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(target: str | Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision` (default: the newest)."""
    if isinstance(target, Engine):
        config = alembic_config(target.url.render_as_string(hide_password=False))
        with target.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        return
    command.upgrade(alembic_config(target), revision)
