"""The settings of the chase of unacknowledged notifications, and of the working time its slower ladders
count (docs/escalation.md). They read and type values; whether a configuration can work, and which ladder
and clock each kind ends up with, the rules in `schemas/chasing.py` decide (over the defaults each kind's
entry in `schemas/kinds.py` holds)."""

from __future__ import annotations

from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator, model_validator

from schemas import chasing
from schemas.enums import NotificationKind

BANK_HOLIDAY_SUBDIVISIONS = ("ENG", "WLS", "SCT", "NIR")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ChaseSettings(BaseModel):
    """ESCALATION_*: the urgent ladder's minutes, the named ladders, which kinds are chased on which."""

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
    escalation_check_interval_seconds: int = Field(
        default=60, ge=5, description="How often the scheduler looks for alerts to chase."
    )

    @model_validator(mode="after")
    def _chase_that_can_work(self) -> ChaseSettings:
        faults = chasing.policy_faults(
            urgent=self._urgent(),
            max_age_minutes=self.escalation_max_age_hours * 60,
            ladders=self.escalation_ladders,
            kinds=self.escalation_kinds,
        )
        if faults:
            raise ValueError("; ".join(faults))
        return self

    def _urgent(self) -> list[int]:
        return [
            self.escalation_reminder_minutes,
            self.escalation_manager_minutes,
            self.escalation_lead_minutes,
        ]

    # The chase these settings make (the rules are in schemas/chasing.py).
    def ladder_minutes(self) -> dict[str, list[int]]:
        return chasing.ladder_minutes(self._urgent(), self.escalation_ladders)

    def chased_kinds(self) -> dict[NotificationKind, list[int]]:
        return chasing.chased_kinds(self.ladder_minutes(), self.escalation_kinds)

    def escalation_clock(self, kind: NotificationKind) -> str:
        return chasing.clock_of(kind, self.escalation_clocks)


class WorkingTimeSettings(BaseModel):
    """WORKING_*, BANK_HOLIDAYS_SUBDIVISION: the working time a working-clock ladder counts."""

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
    def _working_hours_in_order(self) -> WorkingTimeSettings:
        if not self.working_hours_start < self.working_hours_end:
            raise ValueError("WORKING_HOURS_START must be before WORKING_HOURS_END")
        return self

    @property
    def working_weekdays(self) -> frozenset[int]:
        """WORKING_DAYS as weekday numbers (Monday 0)."""
        return frozenset(DAY_NAMES.index(n) for n in self.working_days.split(","))
