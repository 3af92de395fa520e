"""Young people and their care teams."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.kernel.clock import utcnow
from services.kernel.db import Base, UTCDateTime
from services.staff.models import User


class YoungPerson(Base):
    __tablename__ = "young_people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    nhs_number: Mapped[str] = mapped_column(String(10), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    date_of_death: Mapped[date | None] = mapped_column(Date)  # the retention schedule counts from it
    responsible_la: Mapped[str] = mapped_column(String(16), index=True)
    residence_la: Mapped[str | None] = mapped_column(String(16), index=True)
    statuses: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    care_team: Mapped[list[CareTeamMember]] = relationship(
        back_populates="young_person", lazy="selectin", order_by="CareTeamMember.id"
    )


class CareTeamMember(Base):
    __tablename__ = "care_team_members"
    __table_args__ = (UniqueConstraint("young_person_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    young_person: Mapped[YoungPerson] = relationship(back_populates="care_team")
    user: Mapped[User] = relationship(lazy="joined")
