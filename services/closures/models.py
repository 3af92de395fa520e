"""A service's proposal to end its involvement, the care team's answers, and the decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.kernel.clock import utcnow
from services.kernel.db import Base, UTCDateTime
from services.people.models import YoungPerson
from services.staff.models import User


class Closure(Base):
    __tablename__ = "closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    member_role: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    consultation_ends: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")
    member: Mapped[User] = relationship(foreign_keys=[member_id], lazy="joined")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")
    responses: Mapped[list[ClosureResponse]] = relationship(
        back_populates="closure", order_by="ClosureResponse.id", lazy="selectin"
    )


class ClosureResponse(Base):
    __tablename__ = "closure_responses"
    __table_args__ = (UniqueConstraint("closure_id", "responder_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    closure_id: Mapped[int] = mapped_column(ForeignKey("closures.id"), index=True)
    responder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    stance: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    closure: Mapped[Closure] = relationship(back_populates="responses")
    responder: Mapped[User] = relationship(lazy="joined")
