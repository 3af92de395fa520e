"""The one settings class for every liaison process (API, worker, scheduler, MLLP listener, bot), made of
one class a concern (`schemas/settings_parts.py`, `schemas/settings_chase.py`). Settings read and type
values; rules decide (the chase: `schemas/chasing.py`). Production refuses unsafe defaults here."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import socket
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.settings_chase import BANK_HOLIDAY_SUBDIVISIONS as BANK_HOLIDAY_SUBDIVISIONS
from schemas.settings_chase import ChaseSettings, WorkingTimeSettings
from schemas.settings_parts import PUBLIC_TELEGRAM_API as PUBLIC_TELEGRAM_API
from schemas.settings_parts import (
    BotSettings,
    ChannelSettings,
    DomainSettings,
    IntakeSettings,
    ThrottleSettings,
    TokenSettings,
    WebSettings,
    WorkerSettings,
)
from schemas.settings_retention import RetentionSettings

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused in production
SECRET_MIN_LENGTH = 32
SECRET_MIN_DISTINCT = 8
SECRET_MIN_BITS = 80  # what the characters' spread holds (`openssl rand -hex 16` gives ~110: never refused)


def weak_secret(value: str) -> bool:
    """Too short, or too uniform to have been made at random: `'a' * 32`, `'abcd' * 8`, a word repeated.
    A floor against values typed by hand, not a measure of randomness: make secrets with
    `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."""
    if len(value) < SECRET_MIN_LENGTH:
        return True
    counts = Counter(value)
    bits = -sum(n * math.log2(n / len(value)) for n in counts.values())
    return len(counts) < SECRET_MIN_DISTINCT or bits < SECRET_MIN_BITS


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def loopback_host(host: str) -> bool:
    """Whether `host` names this machine, however it is spelt: `localhost` (any case, a trailing dot,
    any `*.localhost`), 127.0.0.0/8 in every form the resolver takes (`127.1`, `0x7f.1`, `2130706433`),
    `::1` (bracketed or written out), an IPv4-mapped `::ffff:127.0.0.1`, and the unspecified `0.0.0.0`
    and `::`, which connect to this machine too. Pure: nothing is resolved."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name in LOOPBACK_NAMES or name.endswith(".localhost") or name == "":
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        try:  # the shorthand and numeric forms inet_aton (and so connect) accepts
            address = ipaddress.ip_address(socket.inet_aton(name))
        except OSError:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


class Settings(
    IntakeSettings,
    ChannelSettings,
    BotSettings,
    TokenSettings,
    ThrottleSettings,
    WorkerSettings,
    WebSettings,
    ChaseSettings,
    WorkingTimeSettings,
    DomainSettings,
    RetentionSettings,
    BaseSettings,
):
    """Read from the environment (and an optional `.env`); secrets never have safe defaults in production.
    Where it runs (environment, stores, addresses, the secret) is here; every other concern is a base."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    liaison_env: Literal["development", "production"] = "development"
    database_url: str = Field(
        default="sqlite:///./liaison.db",
        description="SQLAlchemy URL. Default: a SQLite file in the working folder.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL. Unset: `liaison run` starts an embedded Redis server and sets it.",
    )
    data_dir: Path = Field(default=Path(".liaison"), description="Where the embedded Redis keeps its files.")
    host: str = "127.0.0.1"
    port: int = 8000
    api_max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body the API reads (HL7 v2: HL7_MAX_MESSAGE_BYTES); larger is 413.",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description=(
            "Where people reach the service; used in links inside alerts. Unset, it is where the API "
            "listens: http://HOST:PORT (127.0.0.1 for a wildcard HOST)."
        ),
    )
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY),
        description="Signs acknowledgement links and webhook bodies. Required in production.",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver (psycopg 3).
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _public_url_follows_port(self) -> Settings:
        if "public_base_url" not in self.model_fields_set:  # unset: the API's own address, PORT included
            self.public_base_url = self.api_base_url(own=True)
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.liaison_env != "production":
            return self
        faults: list[str] = []
        secret = self.secret_key.get_secret_value()
        if secret == DEV_SECRET_KEY or weak_secret(secret):
            faults.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.database_url.startswith("sqlite"):
            faults.append("DATABASE_URL must point at PostgreSQL, not the embedded SQLite file")
        if not self.redis_url:
            faults.append("REDIS_URL must point at a managed Redis, not the embedded one")
        if self.telegram_bot_token is not None and not self.telegram_api_base_url.startswith("https://"):
            faults.append("TELEGRAM_API_BASE_URL must use https")
        bot_key = self.bot_api_key.get_secret_value() if self.bot_api_key else None
        if bot_key is not None and (weak_secret(bot_key) or bot_key == secret):
            faults.append("BOT_API_KEY must be a random value of at least 32 characters, not SECRET_KEY")
        if self.telegram_bot_token is not None and bot_key is None:
            faults.append("BOT_API_KEY must be set when TELEGRAM_BOT_TOKEN is")
        if not self.public_base_url.startswith("https://"):
            faults.append("PUBLIC_BASE_URL must use https")
        if loopback_host(self.smtp_host) and self.smtp_username is None:
            faults.append("SMTP_HOST must name a real relay (with SMTP_USERNAME and SMTP_PASSWORD)")
        if self.smtp_username is not None and not self.smtp_starttls:
            faults.append("SMTP_STARTTLS must be on when SMTP_USERNAME is set: no login in clear text")
        if faults:
            raise ValueError("unsafe settings for LIAISON_ENV=production: " + "; ".join(faults))
        return self

    def mllp_faults(self) -> list[str]:
        """Why the MLLP listener must not start here. It has no bearer token and MSH-4 is whatever the
        sender writes, so in production it serves only the sending facilities listed, and only senders it
        can tell apart: TLS with client certificates, or an allow-list of peer addresses (or both)."""
        faults: list[str] = []
        if bool(self.hl7_mllp_tls_cert_file) != bool(self.hl7_mllp_tls_key_file):
            faults.append("HL7_MLLP_TLS_CERT_FILE and HL7_MLLP_TLS_KEY_FILE go together")
        if self.hl7_mllp_tls_client_ca_file and not self.hl7_mllp_tls_cert_file:
            faults.append(
                "HL7_MLLP_TLS_CLIENT_CA_FILE needs HL7_MLLP_TLS_CERT_FILE and HL7_MLLP_TLS_KEY_FILE"
            )
        if self.liaison_env != "production":
            return faults
        if not self.mllp_allowed_facilities:
            faults.append(
                "HL7_MLLP_ALLOWED_FACILITIES must list the sending facilities the MLLP listener accepts"
            )
        if not self.mllp_client_auth and not self.mllp_allowed_peers:
            faults.append(
                "the MLLP listener needs TLS client certificates (HL7_MLLP_TLS_CERT_FILE, "
                "HL7_MLLP_TLS_KEY_FILE, HL7_MLLP_TLS_CLIENT_CA_FILE) or HL7_MLLP_ALLOWED_PEERS"
            )
        return faults

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def bot_key(self) -> str | None:
        """The bot's API credential: BOT_API_KEY, else (development only) one derived from SECRET_KEY.

        None in production without BOT_API_KEY: the API then accepts no bot calls at all.
        """
        if self.bot_api_key is not None:
            return self.bot_api_key.get_secret_value()
        if self.liaison_env == "production":
            return None
        secret = self.secret_key.get_secret_value().encode()
        return hmac.new(secret, b"liaison bot api key v1", hashlib.sha256).hexdigest()

    def api_base_url(self, *, own: bool = False) -> str:
        """Where the bot reaches the HTTP API (`own`: where the API itself listens, BOT_API_URL aside)."""
        if self.bot_api_url and not own:
            return self.bot_api_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104 - a comparison
        return f"http://{host}:{self.port}"


class SettingsRefused(ValueError):
    """The environment does not make a usable configuration. The message names the settings and what is
    wrong with them, never their values (pydantic's own message repeats every input, secrets included)."""


def _describe(exc: ValidationError) -> str:
    return "; ".join(
        f"{str(error['loc'][0]).upper() if error['loc'] else 'settings'}: {error['msg']}"
        for error in exc.errors()
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsRefused(_describe(exc)) from None
