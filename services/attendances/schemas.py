"""Request and response bodies for acute attendances."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from schemas.enums import AttendanceReason, CareSetting
from schemas.nhs import NhsNumber


class AttendanceCreate(BaseModel):
    nhs_number: NhsNumber
    arrived_at: AwareDatetime = Field(description="ISO 8601 with an offset")
    site_code: str = Field(pattern=r"^[A-Za-z0-9]{3,10}$", description="ODS code of the site")
    setting: CareSetting
    reasons: list[AttendanceReason] = Field(default_factory=list)
    source: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    source_id: str = Field(min_length=1, max_length=200)

    @field_validator("reasons")
    @classmethod
    def _unique(cls, value: list[AttendanceReason]) -> list[AttendanceReason]:
        return sorted(set(value))


class AttendanceAccepted(BaseModel):
    id: int | None = Field(description="The attendance; null when the young person is not registered")
    young_person_ref: str | None
    notifications_queued: int
    outcome: Literal["recorded", "duplicate", "not_registered"]
