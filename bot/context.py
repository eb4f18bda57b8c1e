"""The typed context every callback receives: settings and the database engine, no loose dict keys."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.services.matchmaking import MatcherCache, match_config
from bot.settings import Settings

__all__ = ["BotData", "KoppelContext"]


@dataclass
class BotData:
    """Long-lived objects created at start-up and shared by all handlers and jobs."""

    settings: Settings
    engine: Engine
    clock: Clock = field(default_factory=Clock)  # scheduled work reads the time here; tests may set it
    sender: Any = None  # the running bot.jobs.sender.OutboxSender, when this process delivers the outbox
    matcher: MatcherCache = field(init=False)  # the one matcher of the process: /matches, digest, follow-ups
    # One worker thread for the matcher's work: rebuilds never run twice at once, glibc keeps one arena.
    match_executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="matches")
    )
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.matcher = MatcherCache(match_config(self.settings))


class KoppelContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with typed access to Koppelbot's long-lived objects."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)

    @property
    def settings(self) -> Settings:
        return self.bot_data.settings

    @property
    def engine(self) -> Engine:
        return self.bot_data.engine

    @property
    def clock(self) -> Clock:
        return self.bot_data.clock
