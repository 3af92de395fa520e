"""Appointments and their misses.

- `Appointment`: an appointment of any care-team service (CAMHS, community paediatrics, a social-care
  visit...) booked for a young person, by hand through the API or from a hospital or clinic system (HL7 v2
  SIU, FHIR Appointment), with an optional external identifier that makes intake idempotent.
- `MissedAppointment`: a miss (was not brought / did not attend), why, what got in the way, the capacity
  check behind a did_not_attend, and who was told. One row per appointment: either a discharge plan's
  follow-up or an `Appointment` (exactly one of `follow_up_id` and `appointment_id`), so one engine and one
  threshold count cover both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.kernel.clock import utcnow
from services.kernel.db import Base, UTCDateTime
from services.plans.models import FollowUpAppointment
from services.staff.models import Team, User


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (UniqueConstraint("external_system", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(32))
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


class MissedAppointment(Base):
    __tablename__ = "missed_appointments"
    __table_args__ = (
        CheckConstraint("(follow_up_id IS NULL) <> (appointment_id IS NULL)", name="one_appointment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    follow_up_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_appointments.id"), unique=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), unique=True)
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

    follow_up: Mapped[FollowUpAppointment | None] = relationship(lazy="joined")
    appointment: Mapped[Appointment | None] = relationship(lazy="joined")
    owner_team: Mapped[Team | None] = relationship(lazy="joined")
    recorded_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def target(self) -> Target:
        return Target(follow_up=self.follow_up, appointment=self.appointment)


@dataclass(frozen=True)
class Target:
    """The appointment a miss is of, whichever kind it is: what the was-not-brought engine needs of it."""

    follow_up: FollowUpAppointment | None = None
    appointment: Appointment | None = None

    def __post_init__(self) -> None:
        if (self.follow_up is None) == (self.appointment is None):
            raise ValueError("a miss is of exactly one follow-up or appointment")

    @property
    def key(self) -> str:
        """The event key of its notifications and re-score prompt (kept as it was for follow-ups)."""
        if self.follow_up is not None:
            return f"missed:{self.follow_up.id}"
        assert self.appointment is not None
        return f"missed_appt:{self.appointment.id}"

    @property
    def at(self) -> datetime:
        return self.follow_up.at if self.follow_up is not None else self._appointment.at

    @property
    def owner_team(self) -> Team | None:
        return self.follow_up.owner_team if self.follow_up is not None else self._appointment.owner_team

    @property
    def owner(self) -> User | None:
        return self.follow_up.owner if self.follow_up is not None else self._appointment.owner

    @property
    def label(self) -> str:
        """ "follow-up 7" or "appointment 3": how a refusal names it."""
        if self.follow_up is not None:
            return f"follow-up {self.follow_up.id}"
        return f"appointment {self._appointment.id}"

    @property
    def what(self) -> str:
        """ "Follow-up with Team CAMHS" / "CAMHS appointment with Team CAMHS" (no identifiers)."""
        if self.follow_up is not None:
            return f"Follow-up with {self.follow_up.owner_team.name}"
        appointment = self._appointment
        kind = KIND_WORDS.get(appointment.kind, "Appointment")
        if appointment.owner_team is not None:
            return f"{kind} with {appointment.owner_team.name}"
        return f"{kind} (owning service not known: sent by {appointment.facility or 'a booking system'})"

    @property
    def ids(self) -> dict[str, Any]:
        """Identifiers for audit and chronology details."""
        if self.follow_up is not None:
            return {"follow_up_id": self.follow_up.id, "discharge_plan_id": self.follow_up.discharge_plan_id}
        return {"appointment_id": self._appointment.id, "appointment_kind": self._appointment.kind}

    @property
    def _appointment(self) -> Appointment:
        assert self.appointment is not None
        return self.appointment


KIND_WORDS = {
    "camhs": "CAMHS appointment",
    "community_paediatrics": "Community paediatrics appointment",
    "social_care_visit": "Social care visit",
    "other": "Appointment",
}
