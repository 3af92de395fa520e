"""The one settings class for every liaison process (API, worker, scheduler, MLLP listener, bot)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.attendance_rules import DEFAULT_RULES, RepeatRule
from schemas.enums import NotificationKind

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused in production
PUBLIC_TELEGRAM_API = "https://api.telegram.org"

# Chasing unacknowledged notifications (docs/escalation.md). A ladder is the minutes after a notification
# was made at which its three steps fall due: a reminder to the recipient, their team manager (and the duty
# team while nobody told of the event has acknowledged it), the responsible local authority's safeguarding
# lead. `urgent` is always ESCALATION_REMINDER/MANAGER/LEAD_MINUTES; ESCALATION_LADDERS adds or changes the
# others. Each deployment should have these signed off by its safeguarding partnership.
URGENT_LADDER = "urgent"
NEVER = "never"
DEFAULT_ESCALATION_LADDERS: dict[str, list[int]] = {
    "same_day": [4 * 60, 24 * 60, 2 * 24 * 60],  # a reminder after 4 hours, manager after 1 day, lead after 2
    "daily": [24 * 60, 2 * 24 * 60, 3 * 24 * 60],  # after 1, 2 and 3 days
}
# Which kinds are chased, on which ladder (every kind not listed is never chased). Why, kind by kind, is in
# docs/escalation.md; ESCALATION_KINDS overrides any of these.
DEFAULT_ESCALATION_KINDS: dict[NotificationKind, str] = {
    NotificationKind.attendance: URGENT_LADDER,  # a crisis now: the care team must know today
    NotificationKind.was_not_brought: "same_day",  # act until satisfied the child is safe
    NotificationKind.missed_appointments: "same_day",  # the threshold is met: a multi-agency discussion
    NotificationKind.did_not_attend: "daily",  # the young person's own choice: re-offer, explore barriers
    NotificationKind.gateway: "daily",  # HIGH: the care team prepares for the Gateway meeting
    NotificationKind.resolution: "daily",
    NotificationKind.repeat_attendance: "daily",  # the pattern the review found nobody saw
    NotificationKind.transfer_opened: "daily",  # a move between authorities: nobody may drop the case
    NotificationKind.transfer_overdue: "daily",
    NotificationKind.closure_proposed: "daily",  # the consultation must be answered before closing
    NotificationKind.rescore: "daily",
    NotificationKind.plan_issued: "daily",  # NICE QS159: everyone named in the plan has it
}
# Which clock each chased kind's ladder counts (docs/escalation.md says why): `wall` is 24/7, `working`
# counts only working time (WORKING_HOURS_START/END on WORKING_DAYS, not bank holidays), each day of the
# ladder a working day. A kind not listed counts working time; ESCALATION_CLOCKS overrides any of these.
WALL_CLOCK = "wall"
WORKING_CLOCK = "working"
DEFAULT_ESCALATION_CLOCKS: dict[NotificationKind, str] = {
    NotificationKind.attendance: WALL_CLOCK,  # in an acute setting now: discharge does not wait for Monday
    NotificationKind.plan_issued: WALL_CLOCK,  # the 72 h (or 48 h) first contact after discharge runs 24/7
}
BANK_HOLIDAY_SUBDIVISIONS = ("ENG", "WLS", "SCT", "NIR")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Kinds that are never chased whatever is configured: the chasers themselves.
UNCHASEABLE = frozenset({NotificationKind.reminder, NotificationKind.escalation})


class Settings(BaseSettings):
    """Read from the environment (and an optional `.env`); secrets never have safe defaults in production."""

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

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    email_from: str = "liaison@localhost"

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = PUBLIC_TELEGRAM_API

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
    chat_detail: Literal["minimal", "named"] = Field(
        default="minimal",
        description=(
            "What the bot may put in an answer to a linked user's own query. minimal: ref, counts, statuses "
            "and levels only. named: also the young person's name in /case and /plan. Neither shows clinical "
            "free text (a safety plan's content, a miss's reason)."
        ),
    )

    webhook_timeout_seconds: float = 10.0

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
    delivery_max_attempts: int = Field(default=6, ge=1, le=50)
    delivery_retry_base_seconds: int = Field(default=10, ge=1)
    delivery_retry_max_seconds: int = Field(default=900, ge=1)
    delivery_job_timeout_seconds: int = Field(
        default=60,
        ge=1,
        description=(
            "rq interrupts a delivery job running longer than this (each channel's own timeout is 10 s). "
            "Shorter than DELIVERY_LEASE_SECONDS, so a claim is never re-driven while its job may still send."
        ),
    )
    delivery_lease_seconds: int = Field(
        default=90,
        ge=2,
        description=(
            "A claimed delivery not finished by then (its worker died) is re-driven by the next sweep: a "
            "dead worker's alert goes again within DELIVERY_LEASE_SECONDS + SWEEP_INTERVAL_SECONDS (2 min)."
        ),
    )
    sweep_interval_seconds: int = Field(default=30, ge=5)

    link_code_ttl_hours: int = Field(default=72, ge=1)

    escalation_reminder_minutes: int = Field(
        default=30, ge=1, description="An unacknowledged attendance alert is sent again to its recipient."
    )
    escalation_manager_minutes: int = Field(
        default=120,
        ge=1,
        description="Then the recipient's team manager(s) are told, and the responsible local authority's "
        "duty team if nobody has acknowledged the attendance.",
    )
    escalation_lead_minutes: int = Field(
        default=240, ge=1, description="Then the responsible local authority's safeguarding lead(s)."
    )
    escalation_max_age_hours: int = Field(
        default=96,
        ge=1,
        description="Notifications older than this are no longer chased (nor, after an upgrade, "
        "notifications from before their kind was chased). Longer than every ladder's last step.",
    )
    escalation_ladders: dict[str, list[int]] = Field(
        default_factory=dict,
        description="Named ladders added to, or replacing, the defaults (same_day: 240, 1440, 2880; daily: "
        '1440, 2880, 4320), as JSON minutes per step: {"weekly": [1440, 4320, 10080]}. "urgent" is '
        "ESCALATION_REMINDER/MANAGER/LEAD_MINUTES and cannot be set here.",
    )
    escalation_kinds: dict[NotificationKind, str | list[int]] = Field(
        default_factory=dict,
        description="Which kinds of notification are chased, and how, over the defaults: JSON kind -> a "
        'ladder name, three minutes, or "never": {"gateway": "urgent", "rescore": "never", '
        '"did_not_attend": [720, 2880, 4320]}.',
    )
    escalation_clocks: dict[NotificationKind, Literal["wall", "working"]] = Field(
        default_factory=dict,
        description="Which clock each chased kind's ladder counts, over the defaults (attendance and "
        'plan_issued "wall", 24/7; every other kind "working"), as JSON: {"was_not_brought": "wall"}. '
        "On the working clock each whole day of the ladder is a working day and the rest working hours.",
    )
    working_timezone: str = Field(
        default="Europe/London",
        description="The IANA time zone working hours are read in (clock changes included).",
    )
    working_hours_start: time = Field(default=time(9, 0), description="When working hours start (09:00).")
    working_hours_end: time = Field(default=time(17, 0), description="When working hours end (17:00).")
    working_days: str = Field(
        default="mon,tue,wed,thu,fri",
        description="The working days of the week, comma-separated (mon ... sun); bank holidays never are.",
    )
    bank_holidays_subdivision: Literal["ENG", "WLS", "SCT", "NIR"] = Field(
        default="ENG",
        description="Whose UK bank holidays are not working days: England, Wales, Scotland or Northern "
        "Ireland (from the `holidays` library, substitute days included).",
    )
    escalation_check_interval_seconds: int = Field(
        default=60, ge=5, description="How often the scheduler looks for alerts to chase."
    )

    telegram_max_per_second: int = Field(
        default=30, ge=1, description="Messages a second across every worker process (Bot API: about 30)."
    )
    telegram_max_per_chat_per_second: int = Field(
        default=1, ge=1, description="Messages a second to one chat across every worker (Bot API: about 1)."
    )

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
    closure_consultation_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="How long the care team is consulted before a service may close its involvement.",
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

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver (psycopg 3).
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("working_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known IANA time zone (e.g. Europe/London)") from None
        return value

    @field_validator("working_days")
    @classmethod
    def _known_days(cls, value: str) -> str:
        names = [part.strip().lower() for part in value.split(",") if part.strip()]
        if not names or any(n not in DAY_NAMES for n in names):
            raise ValueError("a comma-separated list of mon, tue, wed, thu, fri, sat, sun is required")
        return ",".join(names)

    @model_validator(mode="after")
    def _public_url_follows_port(self) -> Settings:
        if "public_base_url" not in self.model_fields_set:  # unset: the API's own address, PORT included
            self.public_base_url = self.api_base_url(own=True)
        return self

    @model_validator(mode="after")
    def _working_hours_in_order(self) -> Settings:
        if not self.working_hours_start < self.working_hours_end:
            raise ValueError("WORKING_HOURS_START must be before WORKING_HOURS_END")
        return self

    @model_validator(mode="after")
    def _lease_outlasts_the_job(self) -> Settings:
        if self.delivery_lease_seconds <= self.delivery_job_timeout_seconds:
            raise ValueError(
                "DELIVERY_LEASE_SECONDS must be longer than DELIVERY_JOB_TIMEOUT_SECONDS: a claim released "
                "while its job may still be sending would send the alert twice"
            )
        return self

    @property
    def working_weekdays(self) -> frozenset[int]:
        """WORKING_DAYS as weekday numbers (Monday 0)."""
        return frozenset(DAY_NAMES.index(n) for n in self.working_days.split(","))

    def escalation_clock(self, kind: NotificationKind) -> str:
        """`wall` or `working`: the clock the kind's chase counts (the defaults, ESCALATION_CLOCKS)."""
        chosen = {**DEFAULT_ESCALATION_CLOCKS, **self.escalation_clocks}
        return chosen.get(kind, WORKING_CLOCK)

    @model_validator(mode="after")
    def _escalation_in_order(self) -> Settings:
        steps = (
            self.escalation_reminder_minutes,
            self.escalation_manager_minutes,
            self.escalation_lead_minutes,
        )
        if not steps[0] < steps[1] < steps[2]:
            raise ValueError(
                "escalation steps out of order: ESCALATION_REMINDER_MINUTES < ESCALATION_MANAGER_MINUTES "
                "< ESCALATION_LEAD_MINUTES is required"
            )
        if self.escalation_max_age_hours * 60 <= steps[2]:
            raise ValueError("ESCALATION_MAX_AGE_HOURS must be longer than ESCALATION_LEAD_MINUTES")
        faults: list[str] = []
        if URGENT_LADDER in self.escalation_ladders or NEVER in self.escalation_ladders:
            faults.append(f"ESCALATION_LADDERS: {URGENT_LADDER!r} and {NEVER!r} are reserved names")
        for name, minutes in self.escalation_ladders.items():
            faults += [f"ESCALATION_LADDERS {name!r}: {fault}" for fault in ladder_faults(minutes)]
        ladders = self.ladder_minutes()
        for kind, chosen in self.escalation_kinds.items():
            if kind in UNCHASEABLE and chosen != NEVER:
                faults.append(f"ESCALATION_KINDS {kind}: reminders and escalations are never chased")
            elif isinstance(chosen, list):
                faults += [f"ESCALATION_KINDS {kind}: {fault}" for fault in ladder_faults(chosen)]
            elif chosen != NEVER and chosen not in ladders:
                faults.append(f"ESCALATION_KINDS {kind}: no ladder named {chosen!r}")
        if faults:
            raise ValueError("; ".join(faults))
        for kind, minutes in self.chased_kinds().items():
            if self.escalation_max_age_hours * 60 <= minutes[-1]:
                raise ValueError(
                    f"ESCALATION_MAX_AGE_HOURS must be longer than the last step of every chased kind "
                    f"({kind}: {minutes[-1]} minutes)"
                )
        return self

    def ladder_minutes(self) -> dict[str, list[int]]:
        """Every named ladder: the defaults, ESCALATION_LADDERS over them, and `urgent`."""
        urgent = [
            self.escalation_reminder_minutes,
            self.escalation_manager_minutes,
            self.escalation_lead_minutes,
        ]
        return {**DEFAULT_ESCALATION_LADDERS, **self.escalation_ladders, URGENT_LADDER: urgent}

    def chased_kinds(self) -> dict[NotificationKind, list[int]]:
        """Minutes after which each step of each chased kind falls due; kinds not listed are not chased."""
        ladders = self.ladder_minutes()
        chosen: dict[NotificationKind, str | list[int]] = {
            **DEFAULT_ESCALATION_KINDS,
            **self.escalation_kinds,
        }
        return {
            kind: list(value) if isinstance(value, list) else ladders[value]
            for kind, value in chosen.items()
            if value != NEVER and kind not in UNCHASEABLE
        }

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.liaison_env != "production":
            return self
        faults: list[str] = []
        secret = self.secret_key.get_secret_value()
        if secret == DEV_SECRET_KEY or len(secret) < 32:
            faults.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.database_url.startswith("sqlite"):
            faults.append("DATABASE_URL must point at PostgreSQL, not the embedded SQLite file")
        if not self.redis_url:
            faults.append("REDIS_URL must point at a managed Redis, not the embedded one")
        if self.telegram_bot_token is not None and not self.telegram_api_base_url.startswith("https://"):
            faults.append("TELEGRAM_API_BASE_URL must use https")
        bot_key = self.bot_api_key.get_secret_value() if self.bot_api_key else None
        if bot_key is not None and (len(bot_key) < 32 or bot_key == secret):
            faults.append("BOT_API_KEY must be a random value of at least 32 characters, not SECRET_KEY")
        if self.telegram_bot_token is not None and bot_key is None:
            faults.append("BOT_API_KEY must be set when TELEGRAM_BOT_TOKEN is")
        if not self.public_base_url.startswith("https://"):
            faults.append("PUBLIC_BASE_URL must use https")
        if self.smtp_host in ("localhost", "127.0.0.1") and self.smtp_username is None:
            faults.append("SMTP_HOST must name a real relay (with SMTP_USERNAME and SMTP_PASSWORD)")
        if faults:
            raise ValueError("unsafe settings for LIAISON_ENV=production: " + "; ".join(faults))
        return self

    @property
    def mllp_allowed_facilities(self) -> frozenset[str]:
        """The facilities named in HL7_MLLP_ALLOWED_FACILITIES; empty means any."""
        return frozenset(f.strip().upper() for f in self.hl7_mllp_allowed_facilities.split(",") if f.strip())

    def owner_team_for(self, facility: str | None) -> str | None:
        """The team code APPOINTMENT_OWNER_TEAMS maps a sending facility to (case-insensitive), if any."""
        if not facility:
            return None
        mapped = {key.strip().upper(): code for key, code in self.appointment_owner_teams.items()}
        return mapped.get(facility.strip().upper())

    def mllp_faults(self) -> list[str]:
        """Why the MLLP listener must not start here: it has no bearer token, so in production it serves
        only the sending facilities listed."""
        if self.liaison_env == "production" and not self.mllp_allowed_facilities:
            return ["HL7_MLLP_ALLOWED_FACILITIES must list the sending facilities the MLLP listener accepts"]
        return []

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


def ladder_faults(minutes: list[int]) -> list[str]:
    """What is wrong with a ladder: three steps, each at least a minute, strictly in order."""
    if len(minutes) != 3:
        return ["three steps are needed (reminder, team manager, safeguarding lead), in minutes"]
    if minutes[0] < 1:
        return ["the reminder must come at least a minute after the notification"]
    if not minutes[0] < minutes[1] < minutes[2]:
        return ["steps out of order: reminder < team manager < safeguarding lead is required"]
    return []


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
