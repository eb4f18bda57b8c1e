"""Settings: defaults, parsing, and one clear line naming a malformed setting."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "ORGANISER_IDS", "TIMEZONE", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.token is None
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.file_base_url == "https://api.telegram.org/file/bot"
    assert settings.database_url == "sqlite:///koppelbot.db"
    assert settings.timezone == "Europe/Amsterdam"
    assert settings.default_language == "nl"
    assert settings.organiser_ids == []
    assert settings.digest_day == "mon" and settings.digest_time == dt.time(9, 0)


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGANISER_IDS", "12, 34,56")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot/")
    monkeypatch.setenv("NUDGE_DAYS", "14,3")
    monkeypatch.setenv("QUIET_DAYS", "Sat,sun")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.organiser_ids == [12, 34, 56]
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.nudge_days == [3, 14]
    assert settings.quiet_days == ["sat", "sun"]
    assert settings.log_level == "DEBUG"


def test_values_from_a_dotenv_file(tmp_path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=42:abc\nDIGEST_TIME=10:30\n")
    settings = load_settings()
    assert settings.token == "42:abc"
    assert settings.digest_time == dt.time(10, 30)
    assert "42:abc" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORGANISER_IDS", "12,abc"),
        ("TIMEZONE", "Europe/Atlantis"),
        ("DEFAULT_LANGUAGE", "fr"),
        ("LOG_LEVEL", "LOUD"),
        ("DATABASE_URL", "mysql://x"),
        ("TELEGRAM_API_BASE_URL", "ftp://x"),
        ("WEBHOOK_PORT", "99999"),
        ("DIGEST_TIME", "25:00"),
        ("QUIET_DAYS", "funday"),
        ("NUDGE_DAYS", "3,-1"),
    ],
)
def test_a_malformed_setting_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(f"setting {name} is invalid")
    assert "\n" not in message


def test_settings_class_can_be_built_without_environment() -> None:
    settings = Settings(_env_file=None, telegram_bot_token="1:x")  # type: ignore[call-arg]
    assert settings.token == "1:x"
