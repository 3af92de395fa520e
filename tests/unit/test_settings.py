"""Settings: production refuses unsafe defaults, development runs on them, database URLs are normalised."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from schemas.settings import DEV_SECRET_KEY, Settings

SAFE: dict[str, Any] = {
    "liaison_env": "production",
    "secret_key": "Vq3x9LmT2pR8sW1yB6nK4cZ7hJ0dF5gA-e_U",  # random-looking: weak_secret passes it
    "database_url": "postgresql://liaison@db.example.org/liaison",
    "redis_url": "rediss://redis.example.org:6380/0",
    "public_base_url": "https://liaison.example.org",
    "smtp_host": "send.nhs.net",
    "smtp_username": "liaison",
    "smtp_password": "pw",
    "smtp_starttls": True,
}


pytestmark = pytest.mark.usefixtures("clean_environment")


def make(**overrides: Any) -> Settings:
    return Settings(**{**SAFE, **overrides})


def test_a_safe_production_configuration_is_accepted() -> None:
    settings = make()
    assert settings.liaison_env == "production"
    assert settings.database_url == "postgresql+psycopg://liaison@db.example.org/liaison"


@pytest.mark.parametrize(
    ("unsafe", "named"),
    [
        ({"secret_key": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"secret_key": "short-but-not-default"}, "SECRET_KEY"),
        ({"secret_key": "a" * 32}, "SECRET_KEY"),  # long enough, but nobody's random value
        ({"secret_key": "abcd" * 10}, "SECRET_KEY"),
        ({"secret_key": "password" * 5}, "SECRET_KEY"),
        ({"database_url": "sqlite:///./liaison.db"}, "DATABASE_URL"),
        ({"redis_url": None}, "REDIS_URL"),
        ({"public_base_url": "http://liaison.example.org"}, "PUBLIC_BASE_URL"),
        ({"smtp_host": "localhost", "smtp_username": None}, "SMTP_HOST"),
        (
            {"telegram_bot_token": "123:abc", "telegram_api_base_url": "http://127.0.0.1:9999"},
            "TELEGRAM_API_BASE_URL",
        ),
    ],
)
def test_production_refuses_each_unsafe_default_by_name(unsafe: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError) as raised:
        make(**unsafe)
    message = str(raised.value)
    assert named in message
    assert "LIAISON_ENV=production" in message


LOOPBACK_SPELLINGS = [
    "localhost",
    "LOCALHOST",
    "localhost.",
    "mail.localhost",
    "localhost.localdomain",
    "ip6-localhost",
    "127.0.0.1",
    "127.0.0.2",
    "127.1",
    "0x7f.1",
    "2130706433",
    "017700000001",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
    "0.0.0.0",
    "::",
]


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_production_refuses_unauthenticated_smtp_on_every_spelling_of_this_machine(host: str) -> None:
    with pytest.raises(ValidationError, match="SMTP_HOST"):
        make(smtp_host=host, smtp_username=None, smtp_password=None)


@pytest.mark.parametrize("host", ["send.nhs.net", "10.0.0.5", "relay.example.org", "::ffff:10.0.0.5"])
def test_a_real_relay_is_not_taken_for_this_machine(host: str) -> None:
    assert make(smtp_host=host).smtp_host == host


def test_production_refuses_an_smtp_login_without_starttls() -> None:
    with pytest.raises(ValidationError, match="SMTP_STARTTLS"):
        make(smtp_starttls=False)


def test_production_with_every_default_names_every_fault() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(liaison_env="production")
    for named in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "SMTP_HOST"):
        assert named in str(raised.value)


def test_production_refusal_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIAISON_ENV", "production")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings()


def test_development_runs_on_the_defaults() -> None:
    settings = Settings()
    assert settings.liaison_env == "development"
    assert settings.is_sqlite
    assert settings.redis_url is None
    assert settings.secret_key.get_secret_value() == DEV_SECRET_KEY


def test_the_secret_never_appears_in_the_settings_repr() -> None:
    assert SAFE["secret_key"] not in repr(make())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u:p@h/d?sslmode=require", "postgresql+psycopg://u:p@h/d?sslmode=require"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///./x.db", "sqlite:///./x.db"),
    ],
)
def test_postgres_urls_are_normalised_to_psycopg(given: str, expected: str) -> None:
    assert Settings(database_url=given).database_url == expected


def test_database_url_from_the_environment_is_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/d")
    assert Settings().database_url == "postgresql+psycopg://u@h/d"


def test_workers_run_jobs_in_their_own_process_by_default_and_redrive_a_dead_ones_within_two_minutes() -> (
    None
):
    settings = Settings()
    assert settings.worker_mode == "simple"
    assert settings.delivery_job_timeout_seconds < settings.delivery_lease_seconds
    assert settings.delivery_lease_seconds + settings.sweep_interval_seconds <= 120


def test_worker_mode_is_simple_or_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_MODE", "fork")
    assert Settings().worker_mode == "fork"
    with pytest.raises(ValidationError, match="worker_mode"):
        Settings(worker_mode="thread")


def test_a_lease_no_longer_than_the_job_timeout_is_refused() -> None:
    with pytest.raises(ValidationError, match="DELIVERY_LEASE_SECONDS must be longer"):
        Settings(delivery_job_timeout_seconds=90, delivery_lease_seconds=90)


@pytest.mark.parametrize("seed", range(200))
def test_random_secrets_of_the_usual_makes_are_never_weak(seed: int) -> None:
    import secrets

    from schemas.settings import weak_secret

    assert not weak_secret(secrets.token_hex(16))  # 32 hex digits: 128 bits
    assert not weak_secret(secrets.token_urlsafe(32))
