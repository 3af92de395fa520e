"""A missed follow-up appointment: was not brought or did not attend, why, what got in the way, the
capacity check behind a did_not_attend, and who was told. One row per appointment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.clock import utcnow
from services.db import Base, UTCDateTime
from services.plans.models import FollowUpAppointment
from services.staff.models import Team, User


class MissedAppointment(Base):
    __tablename__ = "missed_appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up_appointments.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    appointment_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    owner_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    reason: Mapped[str] = mapped_column(Text)
    barriers: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    statuses: Mapped[list[str]] = mapped_column(JSON, default=list)
    told: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    follow_up: Mapped[FollowUpAppointment] = relationship(lazy="joined")
    owner_team: Mapped[Team] = relationship(lazy="joined")
    recorded_by: Mapped[User] = relationship(lazy="joined")
