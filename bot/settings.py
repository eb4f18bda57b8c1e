"""The one place that reads the environment: every setting Koppelbot knows, validated.

Each field maps to an upper-case environment variable (or a line in `.env`); `.env.example` documents them.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings", "SettingsError", "load_settings"]

DEFAULT_DATABASE_URL = "sqlite:///koppelbot.db"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _parse_time(value: object) -> object:
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"expected a time like 09:00, got {value!r}") from exc
    return value


class Settings(BaseSettings):
    """Koppelbot's configuration (environment variables and `.env`)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Telegram
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str | None = None
    telegram_bot_username: str | None = None  # for invitation links; else asked with getMe

    # Storage
    database_url: str = DEFAULT_DATABASE_URL

    # People and language
    organiser_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Europe/Amsterdam"
    default_language: Literal["nl", "en"] = "nl"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object a line, for log collectors

    # Webhook mode (`koppelbot run --webhook`)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    # Health checks and metrics: /healthz and /metrics on HEALTH_LISTEN:HEALTH_PORT in every mode (off when
    # HEALTH_PORT is empty; 0 picks a free port). Unhealthy when no getUpdates succeeded for
    # HEALTH_UPDATES_MINUTES (polling), or the oldest due outbox message waited HEALTH_BACKLOG_MINUTES.
    health_port: int | None = Field(default=None, ge=0, le=65535)
    health_listen: str = "127.0.0.1"
    health_updates_minutes: float = Field(default=5.0, gt=0)
    health_backlog_minutes: float = Field(default=15.0, gt=0)

    # Updates of different people handled at the same time (one person's are always one at a time)
    concurrent_updates: int = Field(default=32, ge=1, le=1024)
    # Inbound flood control per person (bot/flood.py): a burst of updates, then this many a second; 0 = off
    flood_burst: int = Field(default=8, ge=0)
    flood_per_second: float = Field(default=1.0, gt=0)

    # Engagement schedule
    digest_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    digest_time: Annotated[dt.time, NoDecode] = dt.time(9, 0)
    digest_grace_hours: int = Field(default=48, ge=0)
    nudge_days: Annotated[list[int], NoDecode] = Field(default_factory=lambda: [3, 14, 30])
    long_check_days: int = Field(default=182, ge=1)
    quiet_hours_start: Annotated[dt.time, NoDecode] = dt.time(21, 0)
    quiet_hours_end: Annotated[dt.time, NoDecode] = dt.time(8, 0)
    quiet_days: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["sun"])

    # Matching and fair exposure
    suggestions_per_week: int = Field(default=3, ge=1, le=20)
    incoming_per_week: int = Field(default=5, ge=1, le=100)
    cross_region_bonus: float = Field(default=0.1, ge=0.0, le=1.0)
    # Days a suggestion stays open; unanswered after that it expires and the pair rests for the matcher's
    # cooldown before it may be suggested again
    suggestion_expiry_days: int = Field(default=28, ge=1)

    # Delivery at Telegram's pace: replies and the outbox (bot/limiter.py)
    send_rate_per_second: float = Field(default=30.0, gt=0)
    send_chat_interval_seconds: float = Field(default=1.0, ge=0)
    send_max_attempts: int = Field(default=8, ge=1)
    send_backoff_seconds: float = Field(default=2.0, gt=0)
    # Run the outbox sender and the scheduled jobs inside `koppelbot run` (off for extra webhook processes
    # when a separate `koppelbot worker` does that work).
    run_jobs: bool = True

    # Invitations
    invite_ttl_days: int = Field(default=60, ge=1)

    # Organisers: seconds between two edits of a broadcast's progress message (Telegram limits edits)
    broadcast_progress_seconds: float = Field(default=5.0, ge=0.1)

    # Privacy (AVG/GDPR): who is responsible and whom to ask, both shown in /privacy; months of inactivity
    # after which a person's data is erased (they are warned a month before)
    privacy_controller: str | None = None
    privacy_contact: str | None = None
    retention_months: int = Field(default=12, ge=2, le=120)

    @field_validator("organiser_ids", "quiet_days", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("health_port", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("nudge_days", mode="before")
    @classmethod
    def _nudge_days(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("nudge_days")
    @classmethod
    def _nudge_days_positive(cls, value: list[int]) -> list[int]:
        if any(day < 1 for day in value):
            raise ValueError("days must be positive whole numbers, e.g. 3,14,30")
        return sorted(value)

    @field_validator("digest_time", "quiet_hours_start", "quiet_hours_end", mode="before")
    @classmethod
    def _times(cls, value: object) -> object:
        return _parse_time(value)

    @field_validator("quiet_days")
    @classmethod
    def _weekdays(cls, value: list[str]) -> list[str]:
        days = [day.lower()[:3] for day in value]
        unknown = [day for day in days if day not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r}; use mon,tue,wed,thu,fri,sat,sun")
        return days

    @field_validator("telegram_bot_username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().removeprefix("@")
        if not value.replace("_", "").isalnum():
            raise ValueError("a bot username holds only letters, digits and _, e.g. koppelbot_bot")
        return value

    @field_validator("privacy_controller", "privacy_contact")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return " ".join(value.split()) or None if value is not None else None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}, e.g. Europe/Amsterdam") from exc
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        """The bot token in clear text, or None when not configured."""
        if self.telegram_bot_token is None:
            return None
        return self.telegram_bot_token.get_secret_value().strip() or None

    @property
    def file_base_url(self) -> str:
        """Where files are downloaded from: Telegram's convention is `.../file/bot`."""
        if self.telegram_api_file_url:
            return self.telegram_api_file_url.rstrip("/")
        if self.telegram_api_base_url.endswith("/bot"):
            return self.telegram_api_base_url[: -len("/bot")] + "/file/bot"
        return self.telegram_api_base_url + "/file"

    @property
    def log_level_number(self) -> int:
        """The log level as the logging module's number."""
        return int(logging.getLevelName(self.log_level))


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation failures into one clear line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error.get("loc") else "a setting"
        message = str(error.get("msg", "is invalid"))
        message = message.removeprefix("Value error, ")
        raise SettingsError(f"setting {name} is invalid: {message}") from None
