"""Needs assessments: pinned template versions, answers (one row per save), the unmet-needs register,
Gateway and Resolution escalations, and THRIVE groupings with their history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.kernel.clock import utcnow
from services.kernel.db import Base, UTCDateTime
from services.people.models import YoungPerson
from services.staff.models import Team, User


class AssessmentTemplate(Base):
    """One version of a checklist template. Immutable once an assessment pins it."""

    __tablename__ = "assessment_templates"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assessment(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    template_row_id: Mapped[int] = mapped_column(ForeignKey("assessment_templates.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    formulation: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    level: Mapped[str | None] = mapped_column(String(8))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    explanation: Mapped[str | None] = mapped_column(Text)

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")
    template: Mapped[AssessmentTemplate] = relationship(lazy="joined")
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id], lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id], lazy="joined")
    answers: Mapped[list[AssessmentAnswer]] = relationship(
        back_populates="assessment", lazy="selectin", order_by="AssessmentAnswer.id"
    )


class AssessmentAnswer(Base):
    """One save of one answer: the latest row per linkId is the current answer, earlier rows the history."""

    __tablename__ = "assessment_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    link_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    via: Mapped[str] = mapped_column(String(16))

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
    answered_by: Mapped[User] = relationship(lazy="joined")


class UnmetNeed(Base):
    __tablename__ = "unmet_needs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    link_id: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(64))
    owning_team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    action: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    overdue_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owning_team: Mapped[Team] = relationship(lazy="joined")
    young_person: Mapped[YoungPerson] = relationship(lazy="joined")


class Escalation(Base):
    """A Gateway (Level 1) referral, or a Resolution (Level 2) request raised from one."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    cetr_prompt: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    raised_from_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(Text)

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")


class ThriveRecord(Base):
    """A THRIVE grouping as recorded on one date; the newest is current, earlier rows are the history."""

    __tablename__ = "thrive_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    grouping: Mapped[str] = mapped_column(String(32))
    on: Mapped[date] = mapped_column(Date)
    rationale: Mapped[str] = mapped_column(Text)
    young_person_agreed: Mapped[bool | None] = mapped_column(Boolean)
    family_agreed: Mapped[bool | None] = mapped_column(Boolean)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assessor: Mapped[User] = relationship(lazy="joined")
