"""The demo's world: a Bot API stand-in, a throwaway SQLite database, the sample community and the real bot.

Nothing here is special to the demo on the bot's side: the bot is built by `bot.app.build_application` and
run by `bot.runner.polling`, exactly as `koppelbot run` does, only pointed at the stand-in on loopback.
The settings are built from explicit values alone (no `.env`, no environment variables), so the demo runs
the same on every machine and never talks to Telegram.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource
from sqlalchemy.engine import Engine

from bot.app import KoppelApplication, build_application
from bot.clock import Clock
from bot.demo.community import COMMUNITY_CSV, Member, read_members
from bot.demo.features import import_community
from bot.logs import RedactingFilter
from bot.runner import polling
from bot.settings import Settings
from bot.standin import BotAPIStandIn
from storage import make_engine, upgrade

__all__ = ["ORGANISER_ID", "DemoWorld", "StoryError", "demo_settings", "demo_world"]

logger = logging.getLogger(__name__)

ORGANISER_ID = 9001
BOT_USERNAME = "koppelbot_demo_bot"


class StoryError(Exception):
    """A beat of the story did not happen: the bot did not answer as the story expects."""


class _ExplicitSettings(Settings):
    """The production Settings, filled from the given values only: no `.env` file, no environment."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        file_secret_settings: PydanticBaseSettingsSource,  # noqa: ARG003
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        del settings_cls
        return (init_settings,)


def demo_settings(standin: BotAPIStandIn, database_url: str, **overrides: Any) -> Settings:
    """Settings for the bot in the demo: the stand-in, the throwaway database, one organiser."""
    values: dict[str, Any] = {
        "telegram_bot_token": standin.token,
        "telegram_api_base_url": standin.base_url,
        "database_url": database_url,
        "organiser_ids": [ORGANISER_ID],
        "timezone": "Europe/Amsterdam",
        "default_language": "nl",
        "log_level": "WARNING",
        # The story happens on any day of the week and at any hour (also its first part, played at the real
        # time, where one side's "yes" sends the other side a card): no quiet hours in the demo.
        "quiet_days": [],
        "quiet_hours_start": "00:00",
        "quiet_hours_end": "00:00",
        # No weekly digest just because the demo happens to run on a Monday.
        "digest_grace_hours": 0,
    }
    values.update(overrides)
    return _ExplicitSettings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class DemoWorld:
    """Everything the story acts on."""

    folder: Path
    standin: BotAPIStandIn
    settings: Settings
    engine: Engine
    application: KoppelApplication
    members: list[Member]
    clock: Clock
    imported: int | None = None  # how many sample participants the import created (None: not available)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    def member(self, telegram_id: int) -> Member | None:
        return next((m for m in self.members if m.telegram_id == telegram_id), None)

    def days_later(self, days: int, *, hour: int = 10) -> dt.datetime:
        """Move the bot's clock to the first `hour` o'clock (local) at least `days` days from now."""
        now = self.clock.now()
        local = (now + dt.timedelta(days=days)).astimezone(self.settings.tz)
        when = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        if when < now + dt.timedelta(days=days):
            when += dt.timedelta(days=1)
        self.clock.set(when)
        return when

    def reactions(self) -> int:
        """How many Bot API calls the bot has made other than fetching updates."""
        return sum(1 for call in list(self.standin.calls) if call.method != "getUpdates")

    async def reacted(self, *, since: int, timeout: float = 20.0) -> None:
        """Wait until the bot did something after a person acted (answered, sent, edited)."""
        try:
            await self.standin.wait_until(lambda: self.reactions() > since, timeout, "the bot to react")
        except TimeoutError as exc:
            raise StoryError(f"the bot did not react within {timeout:.0f} s") from exc

    async def settle(self, quiet: float = 0.25, timeout: float = 20.0) -> None:
        """Wait until the bot has handled every update, delivered what its outbox had due, and gone quiet."""
        try:
            await self.standin.wait_idle(quiet=quiet, timeout=timeout)
            sender = self.application.bot_data.sender
            if sender is not None and sender.running:
                await sender.idle(timeout)
                await self.standin.wait_idle(quiet=quiet, timeout=timeout)
        except TimeoutError as exc:
            raise StoryError(f"the bot did not go quiet within {timeout:.0f} s") from exc


def _log_to_file(folder: Path, secret: str) -> logging.Handler:
    """The bot's log goes to a file in the demo folder (kept with --keep), never into the transcript."""
    handler = logging.FileHandler(folder / "koppelbot.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter((secret,)))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram.ext.ExtBot", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


@contextlib.asynccontextmanager
async def demo_world(*, keep: bool = False, community: Path = COMMUNITY_CSV) -> AsyncIterator[DemoWorld]:
    """Start the stand-in, build a fresh database with the sample community, run the bot; clean up after."""
    folder = Path(tempfile.mkdtemp(prefix="koppelbot-demo-"))
    handler: logging.Handler | None = None
    try:
        with BotAPIStandIn(bot_username=BOT_USERNAME) as standin:
            handler = _log_to_file(folder, standin.token)
            database_url = f"sqlite:///{folder / 'koppelbot.db'}"
            upgrade(database_url)
            engine = make_engine(database_url)
            settings = demo_settings(standin, database_url)
            members = read_members(community)
            for member in members:
                standin.person(member.telegram_id, member.first_name, language_code=member.language)
            imported = import_community(
                engine, community, invite_ttl=dt.timedelta(days=settings.invite_ttl_days)
            )
            # A clock the story can move forward (days pass in seconds); it starts at the real time.
            clock = Clock(dt.datetime.now(dt.UTC))
            application = build_application(settings, engine=engine, clock=clock)
            world = DemoWorld(folder, standin, settings, engine, application, members, clock, imported)
            async with polling(application, poll_timeout=1.0):
                yield world
    finally:
        if handler is not None:
            logging.getLogger().removeHandler(handler)
            handler.close()
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
