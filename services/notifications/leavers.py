"""What stops for a recipient who leaves (their account deactivated): messages to them not yet sent are
never sent, and their alerts still open are handed to whoever the producer names (`services.flows.leavers`).
The alerts themselves stay as they were, unacknowledged, so their chase goes on up the ladder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import DeliveryStatus, NotificationStatus
from services.notifications.models import Delivery, Notification

STOPPED = "recipient deactivated: never sent"


@dataclass(frozen=True)
class Stopped:
    deliveries: int
    open_notifications: list[Notification]  # unacknowledged and not voided, oldest first


def stop_for(session: Session, *, user_id: int) -> Stopped:
    """Cancel every delivery to `user_id` not yet sent (pending, or waiting to retry: a send in flight
    finishes), and list the notifications still open to them."""
    deliveries = session.scalars(
        select(Delivery)
        .join(Notification, Delivery.notification_id == Notification.id)
        .where(
            Notification.recipient_id == user_id,
            Delivery.status.in_((DeliveryStatus.pending, DeliveryStatus.retrying)),
        )
    ).all()
    for delivery in deliveries:
        delivery.status = DeliveryStatus.cancelled
        delivery.next_attempt_at = None
        delivery.last_error = STOPPED
    still_open = session.scalars(
        select(Notification)
        .where(
            Notification.recipient_id == user_id,
            Notification.acknowledged_at.is_(None),
            Notification.voided_at.is_(None),
            Notification.status != NotificationStatus.acknowledged,
        )
        .order_by(Notification.id)
    ).all()
    session.flush()
    return Stopped(deliveries=len(deliveries), open_notifications=list(still_open))
