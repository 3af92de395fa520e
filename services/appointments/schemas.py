"""Bodies of the missed-appointment (was not brought / did not attend) parts of the API. The vocabularies
live here: they are liaison's own, not part of the integration contract."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


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
    follow_up_id: int
    discharge_plan_id: int
    status: MissStatus
    appointment_at: datetime
    owner_team: str
    reason: str
    barriers: list[Barrier]
    capacity: CapacityCheck | None
    statuses: list[str] = Field(
        description="The young person's CP plan / CIN / LAC statuses when it was missed"
    )
    told: list[str] = Field(description="Who was told, by username")
    recorded_by: str
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
