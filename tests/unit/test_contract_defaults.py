"""The defaults the integration contract names: a fresh machine with nothing configured runs the API on
127.0.0.1:8000 and MLLP on 127.0.0.1:2575, on a SQLite file in the working folder and an embedded Redis,
talking to the public Bot API, in development."""

from __future__ import annotations

import pytest

from schemas.settings import Settings, SettingsRefused, get_settings

CONTRACT_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "HOST",
    "PORT",
    "HL7_MLLP_HOST",
    "HL7_MLLP_PORT",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "SMTP_HOST",
    "SMTP_PORT",
    "LIAISON_ENV",
)


def test_nothing_configured_means_the_contract_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CONTRACT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert (settings.hl7_mllp_host, settings.hl7_mllp_port) == ("127.0.0.1", 2575)
    assert settings.database_url == "sqlite:///./liaison.db"
    assert settings.redis_url is None  # `liaison run` starts the embedded Redis
    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert settings.telegram_bot_token is None
    assert settings.liaison_env == "development"


def test_port_and_hl7_mllp_port_say_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "18080")
    monkeypatch.setenv("HL7_MLLP_PORT", "12575")
    monkeypatch.setenv("SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("SMTP_PORT", "2525")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.port, settings.hl7_mllp_port) == (18080, 12575)
    assert (settings.smtp_host, settings.smtp_port) == ("mail.example.org", 2525)


def test_production_refuses_unsafe_defaults_naming_settings_never_their_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in CONTRACT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LIAISON_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-short-but-secret-value")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:a-real-looking-bot-token")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsRefused) as refused:
            get_settings()
    finally:
        get_settings.cache_clear()
    message = str(refused.value)
    for named in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BOT_API_KEY", "PUBLIC_BASE_URL", "SMTP_HOST"):
        assert named in message
    assert "a-short-but-secret-value" not in message and "a-real-looking-bot-token" not in message
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
