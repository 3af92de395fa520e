"""Request and response bodies for needs assessments, the unmet-needs register, escalations and THRIVE."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from schemas.enums import AssessmentStatus, EscalationLevel, EscalationStatus, NeedStatus, Thrive, Via


class TemplateSummary(BaseModel):
    template_id: str
    version: int
    title: str
    content_hash: str


class AssessmentStart(BaseModel):
    template_id: str = Field(default="cnest-style", min_length=1, max_length=64)


class AnswerSave(BaseModel):
    value: Any = Field(description="choice: an option code; boolean; score: a whole number; text; date")


class AssessmentComplete(BaseModel):
    formulation: str = Field(
        min_length=1, max_length=8000, description="The assessor's risk formulation, in their own words"
    )


class AnswerRead(BaseModel):
    link_id: str
    value: Any
    answered_by: str
    answered_at: datetime
    via: Via


class ContributionRead(BaseModel):
    link_id: str
    text: str
    points: int


class SectionRead(BaseModel):
    code: str
    title: str
    score: int
    band: str
    raised_by: list[ContributionRead]


class ResultRead(BaseModel):
    level: str
    label: str = Field(description="What the level is the likelihood of")
    explanation: str
    note: str
    sections: list[SectionRead]
    cetr_prompt: bool
    recommendations: list[str]


class EscalationRead(BaseModel):
    id: int
    young_person_ref: str
    assessment_id: int
    level: EscalationLevel
    status: EscalationStatus
    cetr_prompt: bool
    reason: str | None
    raised_from_id: int | None
    created_at: datetime
    closed_at: datetime | None
    outcome: str | None


class AssessmentSummary(BaseModel):
    id: int
    young_person_ref: str
    template_id: str
    template_version: int
    version: int
    previous_id: int | None
    status: AssessmentStatus
    level: str | None
    started_by: str
    started_at: datetime
    completed_at: datetime | None


class AssessmentRead(AssessmentSummary):
    completed_by: str | None
    formulation: str | None
    answers: dict[str, Any]
    history: list[AnswerRead]
    result: ResultRead | None
    missing: list[str] = Field(description="What stops completion now; empty once it may be completed")
    open_items: list[str] = Field(
        default_factory=list,
        description="linkIds of the items that apply and are not answered yet, in template order",
    )
    escalations: list[EscalationRead]


class NeedCreate(BaseModel):
    link_id: str = Field(description="The Section C item that identified the need")
    owning_team: str = Field(min_length=1, max_length=64, description="Team code")
    action: str = Field(min_length=1, max_length=2000)
    due_date: date


class NeedUpdate(BaseModel):
    status: NeedStatus


class NeedRead(BaseModel):
    id: int
    young_person_ref: str
    assessment_id: int
    link_id: str
    domain: str
    owning_team: str
    action: str
    due_date: date
    status: NeedStatus
    overdue: bool
    created_at: datetime


class EscalationRaise(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why Gateway has not resolved the needs")


class EscalationClose(BaseModel):
    outcome: str = Field(min_length=1, max_length=2000)


class ThriveCreate(BaseModel):
    grouping: Thrive
    on: date
    rationale: str = Field(min_length=1, max_length=4000)
    young_person_agreed: bool | None = None
    family_agreed: bool | None = None


class ThriveRead(BaseModel):
    grouping: Thrive
    on: date
    rationale: str
    young_person_agreed: bool | None
    family_agreed: bool | None
    assessor: str
    recorded_at: datetime
