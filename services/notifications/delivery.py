"""The delivery state machine the worker drives: claim, then record the outcome.

Claims are conditional UPDATEs, so a job that runs twice (rq is at-least-once) sends once. Anything left
behind by a dead worker or a lost job is found by `due_for_redrive` and sent again by the sweeper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from schemas.enums import CareTeamRole, Channel, DeliveryStatus, NotificationKind, NotificationStatus, Via
from services.audit import service as audit
from services.chronology import service as chronology
from services.notifications import rules
from services.notifications.models import Delivery, DeliveryAttempt, Notification

CLAIMABLE = (DeliveryStatus.pending, DeliveryStatus.retrying)
LOST = "worker lost during attempt"


@dataclass(frozen=True)
class Claimed:
    """Everything a channel needs to send one alert, read while the claim is held."""

    delivery_id: int
    attempt: int
    channel: Channel
    notification_id: int
    attendance_id: int | None
    young_person_ref: str
    recipient_username: str
    address: str
    kind: NotificationKind = NotificationKind.attendance
    escalates_id: int | None = None  # a reminder's or escalation's alert
    escalates_role: str | None = None  # that alert's recipient, in plain words ("GP")
    recipient_role: str | None = None
    escalates_kind: str | None = None  # that alert's kind ("attendance", "was_not_brought")


def _address(channel: Channel, notification: Notification) -> str | None:
    user = notification.recipient
    match channel:
        case Channel.email:
            return user.email
        case Channel.webhook:
            return user.webhook_url
        case Channel.telegram:
            return str(user.telegram_chat_id) if user.telegram_chat_id is not None else None


def claim(session: Session, *, delivery_id: int, now: datetime) -> Claimed | None:
    """Take a delivery for one attempt, or None if it is not due, already taken, finished or cancelled."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status.in_(CLAIMABLE),
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        )
        .values(status=DeliveryStatus.sending, attempts=Delivery.attempts + 1, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return None
    delivery = session.get_one(Delivery, delivery_id, populate_existing=True)
    notification = delivery.notification
    channel = Channel(delivery.channel)
    address = _address(channel, notification)
    if address is None or notification.acknowledged_at is not None:
        # The person unlinked or removed this channel, or someone acknowledged meanwhile.
        delivery.status = DeliveryStatus.cancelled
        delivery.attempts -= 1
        session.commit()
        return None
    session.add(DeliveryAttempt(delivery_id=delivery.id, attempt=delivery.attempts, started_at=now))
    claimed = Claimed(
        delivery_id=delivery.id,
        attempt=delivery.attempts,
        channel=channel,
        notification_id=notification.id,
        attendance_id=notification.attendance_id,
        young_person_ref=notification.young_person.ref,
        recipient_username=notification.recipient.username,
        address=address,
        kind=NotificationKind(notification.kind),
        escalates_id=notification.escalates_id,
        escalates_role=(
            CareTeamRole(notification.escalates.recipient_role).label if notification.escalates else None
        ),
        recipient_role=notification.recipient_role,
        escalates_kind=notification.escalates.kind if notification.escalates else None,
    )
    session.commit()
    return claimed


def _finish_attempt(
    session: Session, *, claimed: Claimed, outcome: str, error: str | None, now: datetime, duration_ms: int
) -> None:
    attempt = session.scalar(
        select(DeliveryAttempt).where(
            DeliveryAttempt.delivery_id == claimed.delivery_id, DeliveryAttempt.attempt == claimed.attempt
        )
    )
    if attempt is not None:
        attempt.outcome = outcome
        attempt.error = error
        attempt.finished_at = now
        attempt.duration_ms = duration_ms


def record_success(session: Session, *, claimed: Claimed, now: datetime, duration_ms: int) -> None:
    delivery = session.get_one(Delivery, claimed.delivery_id)
    if delivery.status != DeliveryStatus.sending or delivery.attempts != claimed.attempt:
        return  # the sweeper re-drove it meanwhile; the newer attempt will record itself
    delivery.status = DeliveryStatus.delivered
    delivery.delivered_at = now
    delivery.last_error = None
    delivery.next_attempt_at = None
    _finish_attempt(
        session, claimed=claimed, outcome="delivered", error=None, now=now, duration_ms=duration_ms
    )
    notification = delivery.notification
    first = notification.delivered_at is None
    if notification.status in (NotificationStatus.pending, NotificationStatus.failed):
        notification.status = NotificationStatus.delivered
    if first:
        notification.delivered_at = now
        recipient = notification.recipient
        chronology.add(
            session,
            young_person_id=notification.young_person_id,
            at=now,
            kind="notification_delivered",
            summary=f"{claimed.kind.label} delivered to {recipient.display_name} by {claimed.channel}",
            detail={"notification_id": notification.id, "channel": str(claimed.channel)},
        )
    audit.record(
        session,
        actor=None,
        action="notification.delivered",
        via=Via.worker,
        ref=claimed.young_person_ref,
        detail={
            "notification_id": notification.id,
            "channel": str(claimed.channel),
            "attempt": claimed.attempt,
        },
    )


def record_failure(
    session: Session,
    *,
    claimed: Claimed,
    error: str,
    permanent: bool,
    retry_after: float | None,
    now: datetime,
    duration_ms: int,
    max_attempts: int,
    retry_base_seconds: int,
    retry_max_seconds: int,
) -> datetime | None:
    """Record a failed attempt; returns when to try again, or None when this channel has given up."""
    delivery = session.get_one(Delivery, claimed.delivery_id)
    if delivery.status != DeliveryStatus.sending or delivery.attempts != claimed.attempt:
        return None
    delivery.last_error = error[:1000]
    _finish_attempt(
        session, claimed=claimed, outcome="failed", error=error[:1000], now=now, duration_ms=duration_ms
    )
    if rules.should_retry(attempt=claimed.attempt, max_attempts=max_attempts, permanent=permanent):
        delay = rules.retry_delay_seconds(
            attempt=claimed.attempt, base=retry_base_seconds, cap=retry_max_seconds, retry_after=retry_after
        )
        delivery.status = DeliveryStatus.retrying
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        return delivery.next_attempt_at
    delivery.status = DeliveryStatus.failed
    delivery.next_attempt_at = None
    notification = delivery.notification
    audit.record(
        session,
        actor=None,
        action="notification.delivery_failed",
        via=Via.worker,
        ref=claimed.young_person_ref,
        detail={
            "notification_id": notification.id,
            "channel": str(claimed.channel),
            "attempts": claimed.attempt,
        },
    )
    if all(d.status in (DeliveryStatus.failed, DeliveryStatus.cancelled) for d in notification.deliveries):
        if notification.status == NotificationStatus.pending:
            notification.status = NotificationStatus.failed
            chronology.add(
                session,
                young_person_id=notification.young_person_id,
                at=now,
                kind="notification_failed",
                summary=(
                    f"{claimed.kind.label} to {notification.recipient.display_name} could not be delivered"
                ),
                detail={"notification_id": notification.id},
            )
    return None


def defer(
    session: Session, *, claimed: Claimed, now: datetime, seconds: float, reason: str
) -> datetime | None:
    """Give back a claim that our own rate limit stopped before anything was sent: the attempt is undone
    (it reached nobody, so it does not count towards the maximum) and the delivery waits `seconds`.
    Returns when to try again, or None if the claim was no longer ours."""
    delivery = session.get_one(Delivery, claimed.delivery_id)
    if delivery.status != DeliveryStatus.sending or delivery.attempts != claimed.attempt:
        return None
    session.execute(
        delete(DeliveryAttempt).where(
            DeliveryAttempt.delivery_id == claimed.delivery_id, DeliveryAttempt.attempt == claimed.attempt
        )
    )
    delivery.attempts = claimed.attempt - 1
    delivery.status = DeliveryStatus.retrying
    delivery.next_attempt_at = now + timedelta(seconds=seconds)
    delivery.last_error = f"deferred: {reason}"[:1000]
    return delivery.next_attempt_at


def due_for_redrive(
    session: Session, *, now: datetime, grace_seconds: int, lease_seconds: int
) -> list[tuple[int, int]]:
    """(delivery id, attempts so far) for deliveries whose job must have been lost: never started, overdue
    for a retry, or claimed by a worker that died. Stale claims are released so the next claim can take
    them. `grace_seconds` gives the normally enqueued job its chance first."""
    grace = now - timedelta(seconds=grace_seconds)
    stale = now - timedelta(seconds=lease_seconds)
    lost = list(
        session.scalars(
            select(Delivery.id).where(Delivery.status == DeliveryStatus.sending, Delivery.claimed_at < stale)
        )
    )
    if lost:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(lost), Delivery.status == DeliveryStatus.sending)
            .values(status=DeliveryStatus.retrying, next_attempt_at=grace, last_error=LOST)
            .execution_options(synchronize_session=False)
        )
        # The lost attempt is finished as lost, so its history does not read as still sending.
        session.execute(
            update(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(lost), DeliveryAttempt.outcome == "sending")
            .values(outcome="lost", error=LOST, finished_at=now)
            .execution_options(synchronize_session=False)
        )
    rows = session.execute(
        select(Delivery.id, Delivery.attempts)
        .where(
            or_(
                and_(Delivery.status == DeliveryStatus.pending, Delivery.created_at <= grace),
                and_(Delivery.status == DeliveryStatus.retrying, Delivery.next_attempt_at <= grace),
            )
        )
        .order_by(Delivery.id)
    )
    return [(row.id, row.attempts) for row in rows]
