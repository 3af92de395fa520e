"""Response bodies for notifications (the contract's shape), shared by the API and the bot."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from schemas.enums import (
    CareTeamRole,
    Channel,
    DeliveryStatus,
    EscalationStep,
    NotificationKind,
    NotificationStatus,
)


class DeliveryRead(BaseModel):
    channel: Channel
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None


class EscalationStepRead(BaseModel):
    step: EscalationStep
    level: int
    at: datetime
    reason: str = Field(description="timer | unreachable (every channel failed or none) | nobody_reached")


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
    acknowledged_on_behalf: bool = Field(
        default=False,
        description="Acknowledged by `acknowledged_by`, a team manager or safeguarding lead, on the "
        "recipient's behalf (`POST .../acknowledge-on-behalf`): its chase stopped, the recipient is still "
        "told and may still acknowledge it themselves.",
    )
    escalation_level: int = Field(
        default=0,
        description="How far the chase of this unacknowledged attendance alert has gone: 0 not chased, "
        "1 reminder sent, 2 team manager (and duty team) told, 3 safeguarding lead told.",
    )
    escalated_at: datetime | None = Field(default=None, description="When the latest step was taken.")
    escalation_steps: list[EscalationStepRead] = Field(default_factory=list)
    escalates_notification_id: int | None = Field(
        default=None, description="For a reminder or escalation: the attendance alert it chases."
    )


class PendingAlerts(BaseModel):
    """`GET /api/v1/me/pending`: the caller's own notifications not yet acknowledged (whatever their
    delivery status), the one waiting longest first."""

    total: int = Field(description="How many are waiting, however many this page lists")
    notifications: list[NotificationRead] = Field(description="Oldest first, from `offset`, at most `limit`")
