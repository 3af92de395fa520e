"""The delivery state machine the worker drives: claim, then record the outcome.

Claims are conditional UPDATEs, so a job that runs twice (rq is at-least-once) sends once. Anything left
behind by a dead worker or a lost job is found by `due_for_redrive` and sent again by the sweeper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, delete, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from schemas.enums import CareTeamRole, Channel, DeliveryStatus, NotificationKind, NotificationStatus, Via
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.notifications import rules
from services.notifications.models import Delivery, DeliveryAttempt, Notification
from services.people.models import YoungPerson
from services.staff.models import User

CLAIMABLE = (DeliveryStatus.pending, DeliveryStatus.retrying)
LOST = "worker lost during attempt"


@dataclass(frozen=True)
class Claimed:
    """Everything a channel needs to send one alert, and the outcome needs to record it, read while the
    claim is held."""

    delivery_id: int
    attempt: int
    channel: Channel
    notification_id: int
    attendance_id: int | None
    young_person_id: int
    young_person_ref: str
    recipient_username: str
    recipient_name: str
    address: str
    kind: NotificationKind = NotificationKind.attendance
    escalates_id: int | None = None  # a reminder's or escalation's alert
    escalates_role: str | None = None  # that alert's recipient, in plain words ("GP")
    recipient_role: str | None = None
    escalates_kind: str | None = None  # that alert's kind ("attendance", "was_not_brought")
    detail: str | None = None  # the code that words some kinds' messages (a withdrawn miss: why)
    recipient_id: int = 0  # whose signed Acknowledge link an email or webhook carries


def _address(
    channel: Channel, *, email: str | None, webhook_url: str | None, chat_id: int | None
) -> str | None:
    match channel:
        case Channel.email:
            return email
        case Channel.webhook:
            return webhook_url
        case Channel.telegram:
            return str(chat_id) if chat_id is not None else None


# The alert a reminder or escalation is about. One alias for the process: a new one each call made every
# claim adapt its columns afresh (about a tenth of a delivery's time in a long-lived worker).
_ESCALATED = aliased(Notification, name="escalated")


def _claimed_row(session: Session, *, delivery_id: int) -> Row[*tuple[Any, ...]] | None:
    alert = _ESCALATED
    return session.execute(
        select(
            Delivery.attempts,
            Delivery.channel,
            Notification.id,
            Notification.attendance_id,
            Notification.young_person_id,
            Notification.kind,
            Notification.escalates_id,
            Notification.recipient_role,
            Notification.acknowledged_at,
            Notification.acknowledged_by_id,
            Notification.recipient_id,
            Notification.detail,
            YoungPerson.ref,
            User.username,
            User.display_name,
            User.email,
            User.webhook_url,
            User.telegram_chat_id,
            alert.recipient_role.label("escalates_role"),
            alert.kind.label("escalates_kind"),
        )
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(YoungPerson, YoungPerson.id == Notification.young_person_id)
        .join(User, User.id == Notification.recipient_id)
        .outerjoin(alert, alert.id == Notification.escalates_id)
        .where(Delivery.id == delivery_id)
    ).one_or_none()


def claim(session: Session, *, delivery_id: int, now: datetime) -> Claimed | None:
    """Take a delivery for one attempt, or None if it is not due, already taken, finished or cancelled.

    Column reads and Core statements only: with WORKER_MODE=fork each job runs in a freshly forked work
    horse whose SQL compile cache starts cold, and loading the ORM objects (with their eager-loaded
    relationships) cost more to compile than everything else the job does (docs/performance.md)."""
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
    row = _claimed_row(session, delivery_id=delivery_id)
    if row is None:  # pragma: no cover - the UPDATE above just matched it
        session.rollback()
        return None
    channel = Channel(row.channel)
    address = _address(channel, email=row.email, webhook_url=row.webhook_url, chat_id=row.telegram_chat_id)
    acknowledged = row.acknowledged_at is not None and row.acknowledged_by_id == row.recipient_id
    if address is None or acknowledged:
        # The person unlinked or removed this channel, or acknowledged it meanwhile. One acknowledged on
        # their behalf by a manager still goes: they are still told.
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=DeliveryStatus.cancelled, attempts=Delivery.attempts - 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return None
    session.execute(
        insert(DeliveryAttempt).values(
            delivery_id=delivery_id, attempt=row.attempts, started_at=now, outcome="sending"
        )
    )
    claimed = Claimed(
        delivery_id=delivery_id,
        attempt=row.attempts,
        channel=channel,
        notification_id=row.id,
        attendance_id=row.attendance_id,
        young_person_id=row.young_person_id,
        young_person_ref=row.ref,
        recipient_username=row.username,
        recipient_name=row.display_name,
        address=address,
        kind=NotificationKind(row.kind),
        escalates_id=row.escalates_id,
        escalates_role=CareTeamRole(row.escalates_role).label if row.escalates_role else None,
        recipient_role=row.recipient_role,
        escalates_kind=row.escalates_kind,
        detail=row.detail,
        recipient_id=row.recipient_id,
    )
    session.commit()
    return claimed


def _finish_attempt(
    session: Session, *, claimed: Claimed, outcome: str, error: str | None, now: datetime, duration_ms: int
) -> None:
    session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == claimed.delivery_id, DeliveryAttempt.attempt == claimed.attempt)
        .values(outcome=outcome, error=error, finished_at=now, duration_ms=duration_ms)
        .execution_options(synchronize_session=False)
    )


def _close_claim(session: Session, *, claimed: Claimed, now: datetime) -> bool:
    finished = session.execute(
        update(Delivery)
        .where(
            Delivery.id == claimed.delivery_id,
            Delivery.status == DeliveryStatus.sending,
            Delivery.attempts == claimed.attempt,
        )
        .values(status=DeliveryStatus.delivered, delivered_at=now, last_error=None, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return bool(finished.rowcount == 1)  # type: ignore[attr-defined]


def _mark_notification_delivered(session: Session, *, notification_id: int, now: datetime) -> bool:
    """The notification reads delivered (unless acknowledged meanwhile); True the first time any of its
    channels got through."""
    session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status.in_((NotificationStatus.pending, NotificationStatus.failed)),
        )
        .values(status=NotificationStatus.delivered)
        .execution_options(synchronize_session=False)
    )
    first = session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.delivered_at.is_(None))
        .values(delivered_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(first.rowcount == 1)  # type: ignore[attr-defined]


def record_success(session: Session, *, claimed: Claimed, now: datetime, duration_ms: int) -> None:
    """Record a sent attempt with conditional UPDATEs (no ORM loads, see `claim`)."""
    if not _close_claim(session, claimed=claimed, now=now):
        return  # the sweeper re-drove it meanwhile; the newer attempt will record itself
    _finish_attempt(
        session, claimed=claimed, outcome="delivered", error=None, now=now, duration_ms=duration_ms
    )
    if _mark_notification_delivered(session, notification_id=claimed.notification_id, now=now):
        chronology.add(
            session,
            young_person_id=claimed.young_person_id,
            at=now,
            kind="notification_delivered",
            summary=f"{claimed.kind.label} delivered to {claimed.recipient_name} by {claimed.channel}",
            detail={"notification_id": claimed.notification_id, "channel": str(claimed.channel)},
        )
    audit.record(
        session,
        actor=None,
        action="notification.delivered",
        via=Via.worker,
        ref=claimed.young_person_ref,
        detail={
            "notification_id": claimed.notification_id,
            "channel": str(claimed.channel),
            "attempt": claimed.attempt,
        },
    )


def warm_up(session: Session, *, now: datetime) -> None:
    """Run the claim's and the success path's statements once against delivery 0, which cannot exist, and
    roll back: nothing changes, but this process has compiled them. The worker calls this before it starts
    forking, so each job's work horse inherits the compiled SQL instead of compiling it again (about 10 ms
    of every delivery; docs/performance.md)."""
    ghost = Claimed(
        delivery_id=0,
        attempt=0,
        channel=Channel.email,
        notification_id=0,
        attendance_id=None,
        young_person_id=0,
        young_person_ref="",
        recipient_username="",
        recipient_name="",
        address="",
    )
    claim(session, delivery_id=0, now=now)
    _claimed_row(session, delivery_id=0)
    _close_claim(session, claimed=ghost, now=now)
    _finish_attempt(session, claimed=ghost, outcome="delivered", error=None, now=now, duration_ms=0)
    _mark_notification_delivered(session, notification_id=0, now=now)
    session.rollback()


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
    retry_budget_seconds: float | None = None,
) -> datetime | None:
    """Record a failed attempt; returns when to try again, or None when this channel has given up (out of
    attempts, or the next try would fall after `retry_budget_seconds` since the delivery was made)."""
    delivery = session.get_one(Delivery, claimed.delivery_id)
    if delivery.status != DeliveryStatus.sending or delivery.attempts != claimed.attempt:
        return None
    delivery.last_error = error[:1000]
    _finish_attempt(
        session, claimed=claimed, outcome="failed", error=error[:1000], now=now, duration_ms=duration_ms
    )
    delay = rules.retry_delay_seconds(
        attempt=claimed.attempt, base=retry_base_seconds, cap=retry_max_seconds, retry_after=retry_after
    )
    made = delivery.created_at if delivery.created_at.tzinfo else delivery.created_at.replace(tzinfo=UTC)
    if rules.should_retry(
        attempt=claimed.attempt,
        max_attempts=max_attempts,
        permanent=permanent,
        spent_seconds=(now - made).total_seconds() + delay,
        budget_seconds=retry_budget_seconds,
    ):
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


def waiting_until(session: Session, *, delivery_id: int, now: datetime) -> tuple[datetime, int] | None:
    """(when it is next due, attempts so far) for a delivery still to be tried whose time is later than
    `now`; else None. A job that arrives early (a scheduler that rounds, a clock a little behind) is queued
    again for then instead of leaving the delivery to the sweeper."""
    row = session.execute(
        select(Delivery.next_attempt_at, Delivery.attempts).where(
            Delivery.id == delivery_id, Delivery.status.in_(CLAIMABLE), Delivery.next_attempt_at > now
        )
    ).one_or_none()
    session.rollback()
    return None if row is None else (row.next_attempt_at, row.attempts)


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
