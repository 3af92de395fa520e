"""The settings of each part of liaison other than the chase (`schemas/settings_chase.py`), one class a
concern: HL7 intake, the channels, the bot, the worker, the domains' thresholds and clinical defaults, the
audit trail. They only read and type values (env var names are the field names, upper-cased)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from schemas.attendance_rules import DEFAULT_RULES, RepeatRule

PUBLIC_TELEGRAM_API = "https://api.telegram.org"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(value: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks (`10.20.0.0/16,192.0.2.7`); ValueError for one that is not."""
    entries = (e.strip() for e in value.split(","))
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries if e)


def address_in(address: str, networks: tuple[Network, ...]) -> bool:
    """Whether `address` (as a socket reports it; an IPv4-mapped IPv6 one counts as IPv4) is in one of
    `networks`. Not an address at all: no."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class IntakeSettings(BaseModel):
    """HL7_*: the MLLP listener and the largest message taken."""

    hl7_mllp_host: str = "127.0.0.1"
    hl7_mllp_port: int = 2575
    hl7_mllp_allowed_facilities: str = Field(
        default="",
        description=(
            "Sending facilities (MSH-4, ODS codes) the MLLP listener accepts, comma-separated: RBT,RJN. "
            "Empty: any facility (development only; `liaison mllp` refuses to start so in production)."
        ),
    )
    hl7_mllp_idle_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="An MLLP connection silent for this long (between messages) is closed.",
    )
    hl7_mllp_read_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description=(
            "A message begun (0x0B received) must arrive whole within this, and its ACK be taken by the "
            "sender within it again; else the connection is closed (a slow sender holds nothing for long)."
        ),
    )
    hl7_mllp_max_connections: int = Field(
        default=64,
        ge=1,
        description="MLLP connections served at once; one more is closed at once (and logged), others go on.",
    )
    hl7_mllp_max_connections_per_peer: int = Field(
        default=8,
        ge=1,
        description="MLLP connections one peer address holds at once; one more from it is closed at once, "
        "so idle connections from one host never lock the others out.",
    )
    hl7_mllp_allowed_peers: str = Field(
        default="",
        description="Addresses or networks that may connect to the MLLP listener, comma-separated: "
        "10.20.0.0/16,192.0.2.7. Others are closed at once. Empty: any (production then requires TLS "
        "client certificates).",
    )
    hl7_mllp_tls_cert_file: str | None = Field(
        default=None, description="PEM certificate (chain) the MLLP listener serves TLS with."
    )
    hl7_mllp_tls_key_file: str | None = Field(default=None, description="PEM private key for it.")
    hl7_mllp_tls_client_ca_file: str | None = Field(
        default=None,
        description="PEM CA certificate(s) that sign the senders' client certificates: when set, a sender "
        "without a valid client certificate is refused in the TLS handshake.",
    )
    hl7_mllp_tls_facilities: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Which sending facilities (MSH-4) each client certificate may send for, by the "
        'certificate\'s subject common name, as JSON: {"edis.rbt.nhs.uk": ["RBT"]}. Set, a sender whose '
        "certificate is not listed is refused, and a message naming another facility gets AR.",
    )
    hl7_mllp_shutdown_grace_seconds: float = Field(
        default=10.0,
        ge=0,
        description=(
            "On SIGTERM the MLLP listener stops accepting and gives messages already begun this long to be "
            "received, handled and acknowledged; then it closes every connection and exits. Keep it under "
            "the 15 s `liaison run` waits for its children."
        ),
    )
    hl7_max_message_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest HL7 v2 message taken over MLLP or HTTP."
    )

    @field_validator("hl7_mllp_allowed_peers")
    @classmethod
    def _peers_parse(cls, value: str) -> str:
        _networks(value)  # ValueError names the bad entry
        return value

    @property
    def mllp_allowed_peers(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The networks HL7_MLLP_ALLOWED_PEERS names; empty means any address."""
        return _networks(self.hl7_mllp_allowed_peers)

    @property
    def mllp_client_auth(self) -> bool:
        """Whether the MLLP listener serves TLS and asks every sender for a certificate its CA signed."""
        return bool(
            self.hl7_mllp_tls_cert_file and self.hl7_mllp_tls_key_file and self.hl7_mllp_tls_client_ca_file
        )

    @property
    def mllp_allowed_facilities(self) -> frozenset[str]:
        """The facilities named in HL7_MLLP_ALLOWED_FACILITIES; empty means any."""
        return frozenset(f.strip().upper() for f in self.hl7_mllp_allowed_facilities.split(",") if f.strip())


class ChannelSettings(BaseModel):
    """SMTP_*, EMAIL_FROM, TELEGRAM_*, WEBHOOK_*: how alerts leave."""

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    email_from: str = "liaison@localhost"
    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = PUBLIC_TELEGRAM_API
    webhook_timeout_seconds: float = 10.0
    webhook_max_in_flight_per_receiver: int = Field(
        default=2,
        ge=1,
        description=(
            "Webhook sends in flight at once to one receiving system (scheme, host, port) across every "
            "worker; past it a send waits a second without holding a worker, so one slow receiver cannot "
            "stall the others' alerts. Keep it below WORKER_PROCESSES."
        ),
    )
    telegram_max_per_second: int = Field(
        default=30, ge=1, description="Messages a second across every worker process (Bot API: about 30)."
    )
    telegram_max_per_chat_per_second: int = Field(
        default=1, ge=1, description="Messages a second to one chat across every worker (Bot API: about 1)."
    )


class BotSettings(BaseModel):
    """BOT_*, CHAT_DETAIL, LINK_CODE_TTL_HOURS: the Telegram bot's credential and what it may say."""

    bot_api_key: SecretStr | None = Field(
        default=None,
        description=(
            "The bot's credential for the HTTP API (`Authorization: Bot <key>`). Unset in development: "
            "derived from SECRET_KEY, so every process of `liaison run` agrees. Required in production "
            "when TELEGRAM_BOT_TOKEN is set."
        ),
    )
    bot_api_url: str | None = Field(
        default=None, description="Where the bot reaches the HTTP API. Unset: http://HOST:PORT."
    )
    bot_api_allowed_peers: str = Field(
        default="",
        description="Addresses or networks the bot's calls come from, comma-separated (10.0.5.0/24). Set, "
        "the bot key is refused (401) from anywhere else, so a key that leaks is of no use off the bot's "
        "host. Empty: any address.",
    )

    @field_validator("bot_api_allowed_peers")
    @classmethod
    def _bot_peers_parse(cls, value: str) -> str:
        _networks(value)
        return value

    @property
    def bot_allowed_peers(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The networks BOT_API_ALLOWED_PEERS names; empty means any address."""
        return _networks(self.bot_api_allowed_peers)

    chat_detail: Literal["minimal", "named"] = Field(
        default="minimal",
        description=(
            "What the bot may put in an answer to a linked user's own query. minimal: ref, counts, statuses "
            "and levels only. named: also the young person's name in /case and /plan. Neither shows clinical "
            "free text (a safety plan's content, a miss's reason)."
        ),
    )
    link_code_ttl_hours: int = Field(default=72, ge=1)


class TokenSettings(BaseModel):
    """API_TOKEN_DAYS, INTEGRATION_TOKEN_DAYS: how long a bearer token lives (it can be revoked sooner)."""

    api_token_days: int = Field(
        default=90,
        ge=1,
        le=366,
        description="A person's API token expires this many days after it is issued.",
    )
    integration_token_days: int = Field(
        default=365,
        ge=1,
        le=731,
        description="An integration account's token (one per sending system, named) lives this long.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="The bearer token a Prometheus scraper sends to `/metrics`. Unset: `/metrics` is open in "
        "development and not served in production.",
    )


class ThrottleSettings(BaseModel):
    """AUTH_FAILURES_PER_MINUTE, LINK_CODE_FAILURES_PER_HOUR: how many wrong guesses are answered."""

    auth_failures_per_minute: int = Field(
        default=20,
        ge=1,
        description="Bad bearer tokens (unknown, expired or revoked) one client address may present in a "
        "minute; past it every bearer call from that address is 429 until the minute has moved on.",
    )
    link_code_failures_per_hour: int = Field(
        default=10,
        ge=1,
        description="Wrong or expired Telegram link codes one chat may send in an hour (and one client "
        "address, ten times that: the bot relays every chat); past it redeeming is 429.",
    )


class WorkerSettings(BaseModel):
    """WORKER_*, DELIVERY_*, SWEEP_INTERVAL_SECONDS: the delivery workers and the sweeper."""

    worker_processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description=(
            "rq workers `liaison worker` runs (rq's WorkerPool when more than one; it starts a new worker "
            "if one dies). See docs/performance.md for what each drains on two shared cores."
        ),
    )
    worker_mode: Literal["simple", "fork"] = Field(
        default="simple",
        description=(
            "simple: each worker runs its jobs in its own warmed process (rq's SimpleWorker), keeping its "
            "database and Redis connections and compiled SQL; a job over DELIVERY_JOB_TIMEOUT_SECONDS is "
            "interrupted, and the job of a worker that dies is re-driven by the sweeper after "
            "DELIVERY_LEASE_SECONDS. fork: rq forks a work horse per job (a crash ends only that job), "
            "at about twice the CPU a delivery. See docs/performance.md."
        ),
    )
    delivery_max_attempts: int = Field(
        default=500,
        ge=1,
        le=5000,
        description="A cap on tries per channel; the retry budget (DELIVERY_RETRY_BUDGET_HOURS) ends first.",
    )
    delivery_retry_budget_hours: float = Field(
        default=24.0,
        gt=0,
        description=(
            "A channel is tried again (backing off to DELIVERY_RETRY_MAX_SECONDS) until this long after the "
            "alert was made: a receiver down for hours still gets its alerts. Long before that, after "
            "DELIVERY_UNREACHED_AFTER_MINUTES, the chase treats the recipient as unreachable."
        ),
    )
    delivery_unreached_after_minutes: int = Field(
        default=15,
        ge=1,
        description=(
            "An alert none of whose channels got through for this long (all still retrying) counts as "
            "not reached: its team manager and the duty team are told at once, while the retries go on."
        ),
    )
    delivery_retry_base_seconds: int = Field(default=10, ge=1)
    delivery_retry_max_seconds: int = Field(default=900, ge=1)
    delivery_job_timeout_seconds: int = Field(
        default=30,
        ge=1,
        description=(
            "rq interrupts a delivery job running longer than this (each channel's own timeout is 10 s). "
            "Shorter than DELIVERY_LEASE_SECONDS, so a claim is never re-driven while its job may still send."
        ),
    )
    delivery_lease_seconds: int = Field(
        default=45,
        ge=2,
        description=(
            "A claimed delivery not finished by then (its worker died) is re-driven by the next sweep: a "
            "dead worker's alert goes again within DELIVERY_LEASE_SECONDS + SWEEP_INTERVAL_SECONDS "
            "(under a minute)."
        ),
    )
    sweep_interval_seconds: int = Field(
        default=10,
        ge=1,
        description=(
            "How often `liaison scheduler` sweeps for deliveries the database says are due whose job is not "
            "waiting in Redis (and gives those of a queued job their grace). With DELIVERY_LEASE_SECONDS, "
            "the bound on a killed worker's alert going again."
        ),
    )

    @model_validator(mode="after")
    def _lease_outlasts_the_job(self) -> WorkerSettings:
        if self.delivery_lease_seconds <= self.delivery_job_timeout_seconds:
            raise ValueError(
                "DELIVERY_LEASE_SECONDS must be longer than DELIVERY_JOB_TIMEOUT_SECONDS: a claim released "
                "while its job may still be sending would send the alert twice"
            )
        return self


class DomainSettings(BaseModel):
    """The domains' thresholds and schedules: assessments, repeat attendances, plans, missed appointments,
    closures, transfers; the audit trail's sealing; the recommendations wording of each band."""

    gateway_chairs: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Gateway (Level 1) chairs by local authority, as JSON: {"CEC": ["username"]}.',
    )
    assessment_rescore_after_days: int = Field(
        default=90, ge=1, description="Prompt a re-score when the last completed assessment is older."
    )
    assessment_check_interval_seconds: int = Field(
        default=3600, ge=60, description="How often the scheduler looks for overdue needs and old scores."
    )
    repeat_attendance_rules: list[RepeatRule] = Field(
        default_factory=lambda: list(DEFAULT_RULES),
        description="The frequent-attender rule, as JSON: "
        '[{"name": "...", "min_count": 2, "window_days": 84, "reasons": ["self_harm", "overdose"]}]. '
        "Each deployment should have its thresholds signed off clinically.",
    )
    discharge_first_contact_hours: Literal[48, 72] = Field(
        default=72,
        description="Default target for the first community contact after discharge (72 h; 48 h option).",
    )
    plan_check_interval_seconds: int = Field(
        default=3600, ge=60, description="How often the scheduler looks for care plans due a review."
    )
    missed_appointments_threshold: int = Field(
        default=2,
        ge=1,
        le=20,
        description="This many missed appointments (was not brought or did not attend) within the window "
        "tell the GP, the services whose appointments were missed and the safeguarding lead.",
    )
    missed_appointments_window_days: int = Field(
        default=90, ge=1, le=730, description="The window the missed-appointment threshold counts in."
    )
    appointment_owner_teams: dict[str, str] = Field(
        default_factory=dict,
        description="Which team owns the appointments a hospital or clinic system sends (HL7 SIU, FHIR "
        "Appointment), by sending facility (MSH-4, or the ODS code of the Appointment's participant), as "
        'JSON: {"RBT": "CEC-CAMHS"}. Unmapped: no owning team; the care coordinator and the safeguarding '
        "lead are told in its place.",
    )
    alert_access_hours: int = Field(
        default=168,
        ge=1,
        le=2160,
        description="How long being alerted about a young person (a duty team told of an attendance) lets "
        "someone who is not on the care team read the record: this many hours from the alert, each new "
        "alert a new window; an alert withdrawn (its attendance cancelled) grants nothing. Care-team "
        "membership, not an alert, is how lasting access is given (docs/access.md).",
    )
    closure_consultation_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="How long the care team is consulted before a service may close its involvement.",
    )
    transfer_accept_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="A transfer between local authorities not accepted within this many working days "
        "(WORKING_DAYS, not bank holidays) is chased: both local authorities' safeguarding leads are told, "
        "once each such period.",
    )
    transfer_check_interval_seconds: int = Field(
        default=3600, ge=60, description="How often the scheduler looks for transfers not accepted in time."
    )
    audit_seal_interval_seconds: int = Field(
        default=60,
        ge=5,
        description="How often the scheduler seals new audit events into the audit trail's hash chain "
        "(docs/audit.md).",
    )
    audit_seal_grace_seconds: int = Field(
        default=900,
        ge=60,
        description="`liaison audit verify` reports an audit event still unsealed this long after it was "
        "recorded: a sealer that has stopped, or evidence held back. Several AUDIT_SEAL_INTERVAL_SECONDS.",
    )
    recommendations_high: str = Field(
        default=(
            "Take to the multi-agency meeting and to the place-based Gateway (Level 1) meeting; consider a "
            "Care, Education and Treatment Review if autism or a learning disability is recorded; first "
            "confirm the MEDIUM and LOW recommendations are done."
        )
    )
    recommendations_medium: str = Field(
        default=(
            "Share the assessment with the care team, agree a lead professional, make a multi-agency plan "
            "for each unmet need and review it within four weeks; also do the LOW recommendations."
        )
    )
    recommendations_low: str = Field(
        default=(
            "Share the assessment with the young person, family and care team, make sure each unmet need "
            "has an owner, and re-score on any new attendance or change of home."
        )
    )

    def owner_team_for(self, facility: str | None) -> str | None:
        """The team code APPOINTMENT_OWNER_TEAMS maps a sending facility to (case-insensitive), if any."""
        if not facility:
            return None
        mapped = {key.strip().upper(): code for key, code in self.appointment_owner_teams.items()}
        return mapped.get(facility.strip().upper())


class WebSettings(BaseModel):
    """WEB_*, SIGN_IN_*, ACK_LINK_HOURS: the web front end's sign-in, sessions and email links
    (docs/web.md)."""

    web_assets_dir: Path | None = Field(
        default=None,
        description="The node_modules folder `npm ci` filled (NHS.UK frontend, htmx). Unset: the checkout's.",
    )

    web_session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="A web session ends after this long without a request."
    )
    web_session_max_hours: int = Field(
        default=12, ge=1, le=7 * 24, description="A web session ends this long after sign-in, however used."
    )
    sign_in_link_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="An emailed sign-in link works once, for this long."
    )
    sign_in_per_address: str = Field(
        default="5/15 minutes",
        description="Sign-in links one address may ask for (a `limits` rate: '5/15 minutes').",
    )
    sign_in_per_client: str = Field(
        default="20/hour", description="Sign-in requests one client address may make (a `limits` rate)."
    )
    ack_link_hours: int = Field(
        default=72,
        ge=1,
        le=14 * 24,
        description="An alert email's Acknowledge link works this long (it names one recipient and alert).",
    )
    oidc_discovery_url: str | None = Field(
        default=None,
        description="Single sign-on: the OpenID Connect provider's discovery document "
        "(https://.../.well-known/openid-configuration). Unset (the default): no single sign-on.",
    )
    oidc_client_id: str | None = Field(default=None, description="liaison's client id at that provider.")
    oidc_client_secret: SecretStr | None = Field(default=None, description="liaison's client secret there.")
    oidc_scopes: str = Field(default="openid email profile", description="Scopes asked for.")
    oidc_email_claim: str = Field(
        default="email", description="The ID token claim holding the work email address a user is found by."
    )
    oidc_label: str = Field(
        default="single sign-on", description="What the sign-in button calls it ('NHS CIS2')."
    )

    def oidc_enabled(self) -> bool:
        return bool(self.oidc_discovery_url and self.oidc_client_id)
