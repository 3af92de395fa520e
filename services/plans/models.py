"""Plans: the care plan and the safety plan (separate artefacts, one row per version, history kept), care-plan
reviews, and multi-agency discharge plans with their distribution list. A plan's follow-up appointments are
`appointments` rows with its id."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.clock import utcnow
from services.db import Base, UTCDateTime
from services.notifications.models import Notification
from services.people.models import YoungPerson
from services.staff.models import User

if TYPE_CHECKING:
    from services.appointments.models import Appointment


class CarePlan(Base):
    """One version of a young person's care plan; the newest is `current`, older ones `superseded`."""

    __tablename__ = "care_plans"
    __table_args__ = (UniqueConstraint("young_person_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("care_plans.id"))
    status: Mapped[str] = mapped_column(String(16), default="current", index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    review_date: Mapped[date] = mapped_column(Date, index=True)
    review_prompted_for: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")
    recorded_by: Mapped[User] = relationship(lazy="joined")


class CarePlanReview(Base):
    __tablename__ = "care_plan_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    care_plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id"), index=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    outcome: Mapped[str] = mapped_column(Text)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_review_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    care_plan: Mapped[CarePlan] = relationship(lazy="joined")
    reviewed_by: Mapped[User] = relationship(lazy="joined")


class SafetyPlan(Base):
    """One version of a young person's safety plan, in their own words."""

    __tablename__ = "safety_plans"
    __table_args__ = (UniqueConstraint("young_person_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("safety_plans.id"))
    status: Mapped[str] = mapped_column(String(16), default="current", index=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    review_date: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")
    recorded_by: Mapped[User] = relationship(lazy="joined")


class DischargePlan(Base):
    """A multi-agency discharge plan: draft, then issued (sent to everyone named), then reviewed or
    superseded by a newer issued plan. Free-text sections live in `content`."""

    __tablename__ = "discharge_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    attendance_id: Mapped[int | None] = mapped_column(ForeignKey("attendances.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    care_coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lead_social_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discharge_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_contact_hours: Mapped[int] = mapped_column(Integer, default=72)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"))
    review_date: Mapped[date | None] = mapped_column(Date)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    care_plan_id: Mapped[int | None] = mapped_column(ForeignKey("care_plans.id"))
    safety_plan_id: Mapped[int | None] = mapped_column(ForeignKey("safety_plans.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    distribution_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_outcome: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("discharge_plans.id"))

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")
    care_coordinator: Mapped[User | None] = relationship(foreign_keys=[care_coordinator_id], lazy="joined")
    lead_social_worker: Mapped[User | None] = relationship(
        foreign_keys=[lead_social_worker_id], lazy="joined"
    )
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id], lazy="joined")
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id], lazy="joined")
    # Its follow-ups are appointments with the plan's id (`services/appointments/models.py`).
    follow_ups: Mapped[list[Appointment]] = relationship(
        lazy="selectin", order_by="(Appointment.at, Appointment.id)"
    )
    recipients: Mapped[list[DischargePlanRecipient]] = relationship(
        back_populates="plan", lazy="selectin", order_by="DischargePlanRecipient.id"
    )


class DischargePlanRecipient(Base):
    """The distribution list: one row per person named in an issued plan, linked to the notification that
    told them (whose deliveries say which channel, when, and when it was acknowledged)."""

    __tablename__ = "discharge_plan_recipients"
    __table_args__ = (UniqueConstraint("discharge_plan_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    discharge_plan_id: Mapped[int] = mapped_column(ForeignKey("discharge_plans.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    named_as: Mapped[list[str]] = mapped_column(JSON, default=list)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))

    plan: Mapped[DischargePlan] = relationship(back_populates="recipients")
    user: Mapped[User] = relationship(lazy="joined")
    notification: Mapped[Notification | None] = relationship(lazy="joined")
