"""Request and answer bodies for transfers between local authorities, and their vocabularies (what changed,
the handover checklist's items). Shared by the API and the bot (`bot/transfer.py`)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.enums import TransferStatus


class TransferChange(StrEnum):
    residence = "residence"  # where the young person lives
    responsibility = "responsibility"  # which local authority is responsible


class TransferItem(StrEnum):
    accepted = "accepted"
    receiving_lead_social_worker = "receiving_lead_social_worker"
    status_confirmed = "status_confirmed"
    care_plan_shared = "care_plan_shared"
    safety_plan_shared = "safety_plan_shared"
    gp_registration = "gp_registration"
    education_placement = "education_placement"
    camhs = "camhs"
    young_persons_views = "young_persons_views"
    transfer_in_conference = "transfer_in_conference"


class TickCreate(BaseModel):
    note: str = Field(min_length=1, max_length=5000, description="What was done, in the ticker's words.")
    date: dt.date | None = Field(
        default=None, description="The date it refers to; required for `transfer_in_conference`."
    )


class AcceptBody(BaseModel):
    note: str | None = Field(default=None, max_length=5000)


class ReasonBody(BaseModel):
    reason: str = Field(min_length=5, max_length=5000, description="Why, in the decider's words.")


class CompleteBody(BaseModel):
    note: str | None = Field(default=None, max_length=5000)


class ItemRead(BaseModel):
    item: TransferItem
    label: str
    required: bool
    done: bool
    ticked_by: str | None = None
    ticked_at: dt.datetime | None = None
    note: str | None = None
    date: dt.date | None = None


class TransferRead(BaseModel):
    id: int
    young_person_ref: str
    from_la: str
    to_la: str
    changed: list[TransferChange]
    status: TransferStatus
    responsible_now: str = Field(
        description="Who holds responsibility for the case during the transfer: the sending local authority "
        "until the receiving one accepts."
    )
    opened_at: dt.datetime
    opened_by: str | None
    accepted_at: dt.datetime | None
    accepted_by: str | None
    ended_at: dt.datetime | None
    ended_by: str | None
    end_note: str | None
    chased: int = Field(description="How many times both safeguarding leads were told it is not accepted.")
    checklist: list[ItemRead]
    outstanding: list[TransferItem] = Field(description="Required items not yet done, in checklist order.")
