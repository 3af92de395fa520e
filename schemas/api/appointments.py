"""Bodies of the appointment and missed-appointment (was not brought / did not attend) parts of the API.
The vocabularies live here: they are liaison's own, not part of the integration contract."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)


class Barrier(StrEnum):
    """What got in the way of attending (explore barriers before anything else: RDaSH CAMHS policy)."""

    transport = "transport"
    cost = "cost"
    caring_duties = "caring_duties"
    anxiety_neurodivergence = "anxiety_neurodivergence"
    not_told = "not_told"  # the young person or family did not know of the appointment
    other = "other"
    unknown = "unknown"  # asked, not yet known: never a reason to leave the question


class CapacityFramework(StrEnum):
    """How a young person's competence to decide about attending was judged."""

    gillick = "gillick"  # under 16: Gillick competence
    fraser = "fraser"  # under 16: the Fraser guidelines
    mca = "mca"  # 16 and over: the Mental Capacity Act 2005


class MissStatus(StrEnum):
    was_not_brought = "was_not_brought"  # relies on others to bring them: never blame the child
    did_not_attend = "did_not_attend"  # the young person's own informed choice, after a capacity check


class CapacityCheck(BaseModel):
    """A recorded judgement that the young person was competent to decide about attending and made an
    informed choice not to: the only way a miss is recorded as did_not_attend rather than was_not_brought."""

    model_config = ConfigDict(extra="forbid")

    framework: CapacityFramework = Field(description="gillick or fraser under 16; mca from 16")
    competent: bool = Field(description="Judged competent (or, MCA, to have capacity) to decide about it")
    informed_choice: bool = Field(description="Understood what the appointment was for and chose not to go")
    assessed_on: date
    assessed_by: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = Field(default=None, description="Username of who judged it; the person recording, when left out")
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)] = Field(
        description="How the judgement was reached"
    )


class MissedAppointmentRead(BaseModel):
    id: int
    follow_up_id: int | None = Field(
        description="The appointment's id again when it is a discharge plan's follow-up (its plan lists it)"
    )
    discharge_plan_id: int | None = Field(description="The discharge plan, for a plan's follow-up")
    appointment_id: int = Field(description="The appointment missed (a discharge plan's follow-up too)")
    kind: str = Field(description="The appointment's kind: follow_up, camhs, community_paediatrics, ...")
    status: MissStatus
    appointment_at: datetime
    owner_team: str | None = Field(description="Team code; null for an intake appointment of unknown owner")
    reason: str
    barriers: list[Barrier]
    capacity: CapacityCheck | None
    statuses: list[str] = Field(
        description="The young person's CP plan / CIN / LAC statuses when it was missed"
    )
    told: list[str] = Field(description="Who was told, by username")
    recorded_by: str = Field(description="Username; liaison-system for a no-show over MLLP")
    recorded_at: datetime
    withdrawn_at: datetime | None = Field(description="Set when the outcome was later changed to another one")
    in_window: bool


class MissCounts(BaseModel):
    total: int
    was_not_brought: int
    did_not_attend: int


class MissedAppointmentsRead(BaseModel):
    young_person_ref: str
    window_days: int
    threshold: int
    window_starts: datetime
    in_window: MissCounts = Field(description="Misses (not withdrawn) with the appointment in the window")
    pattern_met: bool = Field(description="At least `threshold` misses in the window")
    missed: list[MissedAppointmentRead] = Field(description="Every recorded miss, newest appointment first")


Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
OutcomeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
ExternalText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AppointmentKind(StrEnum):
    """Which service's appointment it is."""

    camhs = "camhs"  # child and adolescent mental health services
    community_paediatrics = "community_paediatrics"
    social_care_visit = "social_care_visit"
    other = "other"
    follow_up = "follow_up"  # a discharge plan's follow-up: added to its plan, never booked or moved here


def _not_a_follow_up(kind: AppointmentKind | None) -> AppointmentKind | None:
    if kind == AppointmentKind.follow_up:
        raise ValueError(
            "a follow-up is added to its discharge plan (POST .../discharge-plans/{id}/follow-ups)"
        )
    return kind


BookableKind = Annotated[AppointmentKind, AfterValidator(_not_a_follow_up)]


class AppointmentStatus(StrEnum):
    scheduled = "scheduled"
    attended = "attended"
    was_not_brought = "was_not_brought"
    did_not_attend = "did_not_attend"
    cancelled = "cancelled"


class AppointmentSource(StrEnum):
    api = "api"
    hl7 = "hl7"
    fhir = "fhir"


class AppointmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime
    owner_team: Code = Field(description="Team code of the service that owns the appointment")
    owner: Code | None = Field(default=None, description="Username of the named owner, if any")
    kind: BookableKind = AppointmentKind.other
    location: ShortText | None = None
    purpose: ShortText | None = None
    external_system: ExternalText | None = Field(
        default=None, description="The booking system (with external_id): a resend is the same appointment"
    )
    external_id: ExternalText | None = Field(default=None, description="Its id in that booking system")


class AppointmentUpdate(BaseModel):
    """Move an appointment not yet held: any of a new start, owning team, named owner (null: none) or kind."""

    model_config = ConfigDict(extra="forbid")

    at: AwareDatetime | None = Field(default=None, description="The new start")
    owner_team: Code | None = Field(default=None, description="Team code of the service that now owns it")
    owner: Code | None = Field(default=None, description="Username of the named owner; null to name nobody")
    kind: BookableKind | None = None

    @model_validator(mode="after")
    def _something(self) -> AppointmentUpdate:
        if not self.model_fields_set:
            raise ValueError("give at least one of at, owner_team, owner, kind")
        for name in ("at", "owner_team", "kind"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class AppointmentOutcome(BaseModel):
    """What happened at an appointment (a discharge plan's follow-up too: the one outcome body): a miss
    needs the reason and barriers, and did_not_attend the adolescent-capacity check."""

    model_config = ConfigDict(extra="forbid")

    status: AppointmentStatus = Field(description="attended, cancelled, was_not_brought or did_not_attend")
    note: OutcomeText | None = Field(default=None, description="The impact and what was done")
    reason: OutcomeText | None = Field(
        default=None, description="Why the appointment was missed, as far as is known (required for a miss)"
    )
    barriers: Annotated[list[Barrier], Field(max_length=len(Barrier))] = Field(
        default_factory=list, description="What got in the way (at least one for a miss; `unknown` alone)"
    )
    capacity: CapacityCheck | None = Field(
        default=None,
        description="The adolescent-capacity check: required to record did_not_attend rather than "
        "was_not_brought",
    )


class MissedDetail(BaseModel):
    reason: str
    barriers: list[Barrier]
    capacity: CapacityCheck | None
    told: list[str]
    withdrawn_at: datetime | None


class AppointmentRead(BaseModel):
    id: int
    young_person_ref: str
    at: datetime
    kind: AppointmentKind
    discharge_plan_id: int | None = Field(default=None, description="The discharge plan, for its follow-up")
    owner_team: str | None = Field(description="Team code; null when intake could not tell the owner")
    owner: str | None
    location: str | None
    purpose: str | None
    status: AppointmentStatus
    note: str | None
    source: AppointmentSource
    facility: str | None = Field(description="The sending facility, for an appointment from intake")
    external_system: str | None
    external_id: str | None
    created_by: str
    created_at: datetime
    recorded_by: str | None
    recorded_at: datetime | None
    missed: MissedDetail | None = Field(
        default=None, description="Why, the barriers, the capacity check and who was told (a missed one)"
    )


class AppointmentsRead(BaseModel):
    young_person_ref: str
    appointments: list[AppointmentRead] = Field(description="Newest appointment first")
