"""The inbound HL7 v2 message log: what each sending facility's message (MSH-4 + MSH-10) came to.

It makes intake idempotent (a repeat gets the same ACK code and changes nothing) and tells an operator
what arrived. It holds no patient identifiers: no NHS number, name, birth date or visit number.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.kernel.clock import utcnow
from services.kernel.db import Base, UTCDateTime


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("facility", "control_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility: Mapped[str] = mapped_column(String(64))
    control_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(16))  # "ADT^A04", "SIU^S26"
    outcome: Mapped[str] = mapped_column(String(32))  # recorded, ended, cancelled, not_registered, ...
    ack_code: Mapped[str] = mapped_column(String(2))  # AA, AE, AR
    note: Mapped[str | None] = mapped_column(String(300))  # the reason given in the ACK; no identifiers
    attendance_id: Mapped[int | None] = mapped_column(ForeignKey("attendances.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True)  # SIU
    via: Mapped[str] = mapped_column(String(8))  # api or mllp
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
