"""Notification intents (one per recipient per event), their channel deliveries and every attempt.

Each notification carries the event it tells of in typed columns (`event_type`, `event_id`, `event_round`:
`events.Event`) and `voided_at`, set when the event's producer says it no longer stands (`events.void`).
`dedup_key` makes each intent once; `events.dedup_key` builds it from the typed fields.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.kernel.clock import utcnow
from services.kernel.db import Base, UTCDateTime
from services.people.models import YoungPerson
from services.staff.models import User


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[int] = mapped_column(Integer)
    event_round: Mapped[int | None] = mapped_column(Integer)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The attendance an attendance alert (and its chase, and its cancellation) is about, for readers: the
    # notifications themselves know it as their event.
    attendance_id: Mapped[int | None] = mapped_column(ForeignKey("attendances.id"), index=True)
    young_person_id: Mapped[int] = mapped_column(ForeignKey("young_people.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recipient_role: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32), default="attendance")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_via: Mapped[str | None] = mapped_column(String(16))
    # A reminder or escalation names the notification it chases.
    escalates_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), index=True)
    # A fixed code that words the message of some kinds (a withdrawn miss: `WithdrawalWhy`); never free text.
    detail: Mapped[str | None] = mapped_column(String(32))

    young_person: Mapped[YoungPerson] = relationship(lazy="joined")
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id], lazy="joined")
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id], lazy="joined")
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="notification", lazy="selectin", order_by="Delivery.id"
    )
    escalates: Mapped[Notification | None] = relationship(remote_side=[id], lazy="select")
    escalation_steps: Mapped[list[EscalationStepTaken]] = relationship(
        lazy="selectin", order_by="EscalationStepTaken.id"
    )


Index("ix_notifications_event", Notification.event_type, Notification.event_id)


class Delivery(Base):
    """One channel of one notification: its current state and how many attempts it has taken."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")


class DeliveryAttempt(Base):
    """A row per try, written before the outside call and completed after it."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="sending")
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)


class EscalationStepTaken(Base):
    """One step of the chase of an unacknowledged notification. Unique per notification and step, so two
    schedulers, or one job run twice, take each step once: the loser's insert fails and it sends nothing."""

    __tablename__ = "escalation_steps"
    __table_args__ = (UniqueConstraint("notification_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    told: Mapped[int] = mapped_column(Integer, default=0)  # people this step was about (told now or before)
    reached: Mapped[bool] = mapped_column(Boolean, default=True)  # any of them with a way to be sent


class Deployment(Base):
    """One row: this database's own id, made once by migration 0015 (or on first use if the row is gone).
    Delivery job ids carry it, so the jobs a Redis kept from another database never collide with ours."""

    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[str] = mapped_column(String(32))
