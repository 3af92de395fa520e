"""Request and response bodies for young people and care teams."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from schemas.enums import CareTeamRole, YoungPersonStatus
from schemas.nhs import NhsNumber

LaCode = Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]


class YoungPersonCreate(BaseModel):
    nhs_number: NhsNumber
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date
    responsible_la: LaCode
    residence_la: LaCode | None = None
    statuses: list[YoungPersonStatus] = Field(default_factory=list)

    @field_validator("date_of_birth")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():  # noqa: DTZ011 - a calendar date, no zone involved
            raise ValueError("date_of_birth is in the future")
        return value

    @field_validator("statuses")
    @classmethod
    def _unique(cls, value: list[YoungPersonStatus]) -> list[YoungPersonStatus]:
        return sorted(set(value))


class YoungPersonUpdate(BaseModel):
    given_name: str | None = Field(default=None, min_length=1, max_length=100)
    family_name: str | None = Field(default=None, min_length=1, max_length=100)
    responsible_la: LaCode | None = None
    residence_la: LaCode | None = None
    statuses: list[YoungPersonStatus] | None = None
    date_of_death: date | None = Field(
        default=None,
        description="Recorded when the young person has died (the retention schedule counts from it)",
    )

    @field_validator("date_of_death")
    @classmethod
    def _death_not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():  # noqa: DTZ011 - a calendar date
            raise ValueError("date_of_death is in the future")
        return value

    @model_validator(mode="after")
    def _no_null_for_required(self) -> YoungPersonUpdate:
        # Leaving a field out keeps it; only residence_la may be removed (null). A null name, responsible
        # local authority or status list would otherwise be written and break every later read.
        nulls = sorted(
            f
            for f in ("given_name", "family_name", "responsible_la", "statuses")
            if f in self.model_fields_set and getattr(self, f) is None
        )
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null (leave a field out to keep it)")
        return self


# Roles the service gives people it tells who are not on the care team; nobody is added with them.
NOT_MEMBER_ROLES = (
    CareTeamRole.duty,
    CareTeamRole.out_of_hours,
    CareTeamRole.gateway_chair,
    CareTeamRole.team_manager,
    CareTeamRole.safeguarding_lead,
)


class CareTeamMemberCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    role: CareTeamRole

    @field_validator("role")
    @classmethod
    def _not_duty(cls, value: CareTeamRole) -> CareTeamRole:
        if value in NOT_MEMBER_ROLES:
            raise ValueError(f"{value} is assigned by the service, not a care-team role")
        return value


class CareTeamMemberRead(BaseModel):
    username: str
    display_name: str
    role: CareTeamRole
    team: str
    agency: str
    added_at: datetime


class YoungPersonCreated(BaseModel):
    ref: str


class ContactTeam(BaseModel):
    code: str
    name: str


class AlreadyKnown(BaseModel):
    """409 on registering an NHS number already registered. `ref` only for someone who may read the record
    (or the authority's own system); anyone else learns which authority holds the young person and whom
    there to contact, and that authority's safeguarding leads are told of the attempt by ref."""

    detail: str
    ref: str | None = None
    known_to: str | None = Field(default=None, description="The responsible local authority's code")
    contact: list[ContactTeam] = Field(default_factory=list, description="Its duty team(s)")


class YoungPersonRead(BaseModel):
    ref: str
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    responsible_la: str
    residence_la: str | None
    statuses: list[YoungPersonStatus]
    care_team: list[CareTeamMemberRead]
    created_at: datetime
    updated_at: datetime
    date_of_death: date | None = None


class CaseloadEntry(BaseModel):
    """One young person on the caller's caseload."""

    ref: str
    given_name: str
    family_name: str
    date_of_birth: date
    responsible_la: str
    residence_la: str | None
    statuses: list[YoungPersonStatus]
    my_role: CareTeamRole | None = Field(description="The caller's part in the care team, if any")
    last_attendance_at: datetime | None
    unacknowledged_for_me: int = Field(
        description="Notifications about this young person the caller has not acknowledged"
    )
