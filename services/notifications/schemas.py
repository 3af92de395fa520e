"""Response bodies for notifications (the contract's shape)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from schemas.enums import CareTeamRole, Channel, DeliveryStatus, NotificationKind, NotificationStatus


class DeliveryRead(BaseModel):
    channel: Channel
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None


class NotificationRead(BaseModel):
    id: int
    kind: NotificationKind
    attendance_id: int | None
    young_person_ref: str
    recipient: str
    recipient_role: CareTeamRole
    status: NotificationStatus
    deliveries: list[DeliveryRead]
    created_at: datetime
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_via: str | None
