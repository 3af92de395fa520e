"""A transfer between local authorities and the ticks of its handover checklist."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.kernel.clock import utcnow
from services.kernel.db import Base, UTCDateTime
from services.people.models import YoungPerson
from services.staff.models import User


class Transfer(Base):
    """open -> accepted -> completed, or declined / withdrawn. `chased` is the last threshold at which both
    local authorities' safeguarding leads were told it is not accepted (a conditional UPDATE claims it)."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    from_la: Mapped[str] = mapped_column(String(16))
    to_la: Mapped[str] = mapped_column(String(16))
    changed: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acceptance_note: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_note: Mapped[str | None] = mapped_column(Text)
    chased: Mapped[int] = mapped_column(Integer, default=0)
    chased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id], lazy="joined")
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id], lazy="joined")
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id], lazy="joined")
    ticks: Mapped[list[TransferTick]] = relationship(
        back_populates="transfer", order_by="TransferTick.id", lazy="selectin"
    )


class TransferTick(Base):
    """One handover item done: by whom, when, with a note (and a date where the item has one)."""

    __tablename__ = "transfer_ticks"
    __table_args__ = (UniqueConstraint("transfer_id", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    ticked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ticked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text)
    on_date: Mapped[date | None] = mapped_column(Date)

    transfer: Mapped[Transfer] = relationship(back_populates="ticks")
    ticked_by: Mapped[User] = relationship(lazy="joined")
