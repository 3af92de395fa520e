"""Request and answer bodies for closures."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from schemas.enums import ClosureReason, ClosureStance, ClosureStatus


class ClosurePropose(BaseModel):
    reason: ClosureReason
    rationale: str = Field(min_length=10, max_length=5000, description="Why, in the proposer's words.")
    username: str | None = Field(
        default=None,
        description="Whose involvement ends: yourself when left out; a team manager may name a member of "
        "their team.",
    )


class ClosureRespond(BaseModel):
    stance: ClosureStance
    comment: str = Field(min_length=1, max_length=5000)


class ClosureDecide(BaseModel):
    decision: Literal["close", "keep_open"]
    note: str = Field(min_length=10, max_length=5000, description="The documented decision.")


class ResponseRead(BaseModel):
    responder: str
    stance: ClosureStance
    comment: str
    at: datetime


class ClosureRead(BaseModel):
    id: int
    young_person_ref: str
    member: str
    member_role: str
    reason: ClosureReason
    rationale: str
    status: ClosureStatus
    proposed_by: str
    proposed_at: datetime
    consultation_ends: datetime
    responses: list[ResponseRead]
    blockers: list[str] = Field(
        description="What stands in the way of closing now; empty when it may be decided."
    )
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
