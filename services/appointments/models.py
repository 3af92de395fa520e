"""Appointments and their misses.

- `Appointment`: an appointment of any care-team service (CAMHS, community paediatrics, a social-care
  visit...) booked for a young person, by hand through the API or from a hospital or clinic system (HL7 v2
  SIU, FHIR Appointment), with an optional external identifier that makes intake idempotent. A discharge
  plan's follow-up is an appointment with the plan's id (`discharge_plan_id`, kind `follow_up`): one table,
  one outcome, one engine.
- `MissedAppointment`: a miss (was not brought / did not attend) of one appointment, why, what got in the
  way, the capacity check behind a did_not_attend, and who was told.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.clock import utcnow
from services.db import Base, UTCDateTime
from services.staff.models import Team, User


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (UniqueConstraint("external_system", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(32))  # AppointmentKind; `follow_up` for a plan's follow-up
    # Set for a discharge plan's follow-up (added to the plan, listed with it, shown in its readiness).
    discharge_plan_id: Mapped[int | None] = mapped_column(ForeignKey("discharge_plans.id"), index=True)
    # Null only for an intake appointment whose sending facility maps to no team (APPOINTMENT_OWNER_TEAMS).
    owner_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    location: Mapped[str | None] = mapped_column(String(2000))
    purpose: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8))  # api, hl7, fhir
    facility: Mapped[str | None] = mapped_column(String(64))  # the sending facility (intake)
    external_system: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # null: the MLLP listener
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner_team: Mapped[Team | None] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], lazy="joined")
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id], lazy="joined")

    @property
    def label(self) -> str:
        """ "follow-up 7" (a discharge plan's) or "appointment 3": how a refusal names it."""
        return f"follow-up {self.id}" if self.discharge_plan_id is not None else f"appointment {self.id}"

    @property
    def what(self) -> str:
        """ "Follow-up with Team CAMHS" / "CAMHS appointment with Team CAMHS" (no identifiers)."""
        kind = KIND_WORDS.get(self.kind, "Appointment")
        if self.owner_team is not None:
            return f"{kind} with {self.owner_team.name}"
        return f"{kind} (owning service not known: sent by {self.facility or 'a booking system'})"

    @property
    def ids(self) -> dict[str, Any]:
        """Identifiers for audit and chronology details (a follow-up's also name its plan)."""
        found: dict[str, Any] = {"appointment_id": self.id, "appointment_kind": self.kind}
        if self.discharge_plan_id is not None:
            found["discharge_plan_id"] = self.discharge_plan_id
        return found


class MissedAppointment(Base):
    __tablename__ = "missed_appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    appointment_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    owner_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    reason: Mapped[str] = mapped_column(Text)
    barriers: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    statuses: Mapped[list[str]] = mapped_column(JSON, default=list)
    told: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # null: the MLLP listener
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    appointment: Mapped[Appointment] = relationship(lazy="joined")
    owner_team: Mapped[Team | None] = relationship(lazy="joined")
    recorded_by: Mapped[User | None] = relationship(lazy="joined")


KIND_WORDS = {
    "camhs": "CAMHS appointment",
    "community_paediatrics": "Community paediatrics appointment",
    "social_care_visit": "Social care visit",
    "other": "Appointment",
    "follow_up": "Follow-up",
}
