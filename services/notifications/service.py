"""Notification intents: made with the event (an attendance, a Gateway referral, a prompt) in one
transaction, read and acknowledged by people. What the event is, and whether it still stands, the producer
says (`events.Event`, `events.void`): nothing here reads a producer's tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.api.notifications import DeliveryRead, EscalationStepRead, NotificationRead
from schemas.enums import (
    CareTeamRole,
    Channel,
    DeliveryStatus,
    EscalationStep,
    NotificationKind,
    NotificationStatus,
    Via,
)
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.clock import utcnow
from services.kernel.errors import NotFound
from services.kernel.identity import Principal
from services.notifications import (
    chase_rules,
    dispatch,  # noqa: F401 - its session hooks queue deliveries on commit
    events,
    rules,
)
from services.notifications.events import Event as Event
from services.notifications.events import reinstate as reinstate
from services.notifications.events import void as void
from services.notifications.models import Delivery, Notification
from services.people.models import YoungPerson
from services.staff import directory
from services.staff.models import User


def duty_users(session: Session, *, la_code: str) -> list[User]:
    """The active members of the local authority's duty team(s) (teams marked `--duty`)."""
    ids = directory.duty_user_ids(session, la_codes=[la_code]).get(la_code, [])
    return [session.get_one(User, user_id) for user_id in ids]


def create_for_attendance(
    session: Session,
    *,
    attendance_id: int,
    young_person: YoungPerson,
    transfers: Sequence[tuple[str, str]] = (),
) -> None:
    """One notification per recipient and one delivery per channel (queued when the session commits).
    `transfers`: the (from, to) local authorities of the young person's open or accepted transfers, oldest
    first, whose duty teams are told too (the producer hands them in).

    Runs inside the attendance's transaction, so the intents exist exactly when the attendance does.
    """
    members = [rules.Member(m.user_id, CareTeamRole(m.role)) for m in young_person.care_team if m.user.active]
    la_codes = (
        {young_person.responsible_la}
        | ({young_person.residence_la} if young_person.residence_la else set())
        | {la for pair in transfers for la in pair}
    )
    recipients = rules.select_recipients(
        members=members,
        responsible_la=young_person.responsible_la,
        residence_la=young_person.residence_la,
        duty_users_by_la=directory.duty_user_ids(session, la_codes=la_codes),
        transfers=list(transfers),
    )
    create(
        session,
        kind=NotificationKind.attendance,
        young_person=young_person,
        recipients=[(session.get_one(User, r.user_id), r.role) for r in recipients],
        event=Event("attendance", attendance_id),
        attendance_id=attendance_id,
    )


def create(
    session: Session,
    *,
    kind: NotificationKind,
    young_person: YoungPerson,
    recipients: Sequence[tuple[User, CareTeamRole]],
    event: Event,
    attendance_id: int | None = None,
    escalates: Notification | None = None,
    step: str | None = None,
    detail: str | None = None,
) -> None:
    """One notification of this kind per recipient, with one delivery per channel they can be reached on;
    the deliveries are queued when the session commits (`dispatch`). `event` is what it tells of
    (`Event("gateway", 12)`): a recipient already told of that event is not told again. `escalates` is the
    alert a reminder or escalation chases, at chase `step`; `detail` a fixed code that words the message (a
    withdrawn miss's `WithdrawalWhy`)."""
    seen: set[int] = set()
    for user, role in recipients:
        dedup_key = events.dedup_key(kind, event, user.id, chasing=escalates, step=step)
        told = session.scalar(select(Notification.id).where(Notification.dedup_key == dedup_key))
        if user.id in seen or told is not None or not user.active:  # a leaver is never told anything
            continue
        seen.add(user.id)
        notification = Notification(
            dedup_key=dedup_key,
            event_type=event.type,
            event_id=event.id,
            event_round=event.round,
            kind=str(kind),
            attendance_id=attendance_id,
            young_person_id=young_person.id,
            recipient=user,
            recipient_role=str(role),
            escalates_id=escalates.id if escalates is not None else None,
            detail=detail,
        )
        session.add(notification)
        channels = rules.channels_for(
            email=user.email, webhook_url=user.webhook_url, telegram_chat_id=user.telegram_chat_id
        )
        for channel in channels:
            notification.deliveries.append(Delivery(channel=channel))
        if not channels:
            notification.status = NotificationStatus.undeliverable
            chronology.add(
                session,
                young_person_id=young_person.id,
                at=utcnow(),
                kind="notification_undeliverable",
                summary=f"{user.display_name} ({role.label}) has no way to be sent: {kind.label.lower()}",
                detail={"username": user.username, "notification_kind": str(kind)},
            )
        session.flush()


def to_read(notification: Notification) -> NotificationRead:
    steps = notification.escalation_steps
    return NotificationRead(
        id=notification.id,
        kind=NotificationKind(notification.kind),
        attendance_id=notification.attendance_id,
        young_person_ref=notification.young_person.ref,
        recipient=notification.recipient.username,
        recipient_role=CareTeamRole(notification.recipient_role),
        status=NotificationStatus(notification.status),
        deliveries=[
            DeliveryRead(
                channel=Channel(d.channel),
                status=DeliveryStatus(d.status),
                attempts=d.attempts,
                last_error=d.last_error,
                delivered_at=d.delivered_at,
                next_attempt_at=d.next_attempt_at,
            )
            for d in notification.deliveries
        ],
        created_at=notification.created_at,
        delivered_at=notification.delivered_at,
        acknowledged_at=notification.acknowledged_at,
        acknowledged_by=notification.acknowledged_by.username if notification.acknowledged_by else None,
        acknowledged_via=notification.acknowledged_via,
        acknowledged_on_behalf=acknowledged_on_behalf(notification),
        escalation_level=chase_rules.level([EscalationStep(s.step) for s in steps]),
        escalated_at=max((s.taken_at for s in steps), default=None),
        escalation_steps=[
            EscalationStepRead(step=EscalationStep(s.step), level=s.level, at=s.taken_at, reason=s.reason)
            for s in steps
        ],
        escalates_notification_id=notification.escalates_id,
    )


def told_of(session: Session, *, event: Event, kinds: Sequence[str]) -> list[Notification]:
    """The notifications of these kinds that tell of this event, oldest first (a producer asking whom it
    has told: those told of a miss it withdraws)."""
    return [n for n in events.told_in(session, event) if n.kind in kinds]


def get(session: Session, *, notification_id: int) -> Notification:
    notification = session.get(Notification, notification_id)
    if notification is None:
        raise NotFound(f"no notification {notification_id}")
    return notification


def query(
    session: Session,
    *,
    young_person_id: int | None,
    status: NotificationStatus | None,
    batch: int = 200,
) -> Iterator[Notification]:
    """Notifications newest first, fetched a batch at a time so callers can filter and stop early."""
    statement = select(Notification).order_by(Notification.created_at.desc(), Notification.id.desc())
    if young_person_id is not None:
        statement = statement.where(Notification.young_person_id == young_person_id)
    if status is not None:
        statement = statement.where(Notification.status == status)
    offset = 0
    while True:
        rows = list(session.scalars(statement.offset(offset).limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def unacknowledged_for(
    session: Session, *, recipient_id: int, limit: int, offset: int = 0
) -> tuple[int, list[Notification]]:
    """A person's own notifications not yet acknowledged (whatever their delivery status), the one waiting
    longest first: how many there are, and the page from `offset`."""
    mine = (Notification.recipient_id == recipient_id, Notification.acknowledged_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*mine)) or 0
    statement = (
        select(Notification)
        .where(*mine)
        .order_by(Notification.created_at, Notification.id)
        .offset(offset)
        .limit(limit)
    )
    return total, list(session.scalars(statement))


def _alert_and_reminders(session: Session, notification: Notification) -> list[Notification]:
    """A reminder is the same alert again: acknowledging either acknowledges both."""
    alert = notification
    if notification.kind == NotificationKind.reminder and notification.escalates is not None:
        alert = notification.escalates
    reminders = session.scalars(
        select(Notification).where(
            Notification.escalates_id == alert.id,
            Notification.kind == NotificationKind.reminder,
            Notification.recipient_id == alert.recipient_id,
        )
    )
    return [alert, *reminders]


def _acknowledged_by(notification: Notification) -> int | None:
    """Who acknowledged it (the relationship, not the column: set in this session, it is not yet flushed)."""
    by = notification.acknowledged_by
    return by.id if notification.acknowledged_at is not None and by is not None else None


def _acknowledged_by_recipient(notification: Notification) -> bool:
    return _acknowledged_by(notification) == notification.recipient.id


def acknowledged_on_behalf(notification: Notification) -> bool:
    """Acknowledged by someone other than its recipient (a manager or lead, on their behalf)."""
    by = _acknowledged_by(notification)
    return by is not None and by != notification.recipient.id


def acknowledge(session: Session, *, notification: Notification, actor: Principal, via: Via) -> bool:
    """The recipient's own acknowledgement (nobody else's: `acknowledge_on_behalf`): they have taken the
    alert on. Stops every channel not yet sent, and the alert's chase. A reminder and the alert it repeats
    are acknowledged together; so is one acknowledged on the recipient's behalf, which now becomes their
    own. False if they already had."""
    ref = notification.young_person.ref
    group = _alert_and_reminders(session, notification)
    waiting = [n for n in group if not _acknowledged_by_recipient(n)]
    if _acknowledged_by_recipient(notification) or not waiting:
        audit.record(session, actor=actor, action="notification.acknowledge_repeat", via=via, ref=ref)
        return False
    now = utcnow()
    by = session.get_one(User, actor.user_id)
    for each in waiting:
        each.acknowledged_at = now
        each.acknowledged_by = by
        each.acknowledged_via = str(via)
        each.status = NotificationStatus.acknowledged
        for delivery in each.deliveries:
            if delivery.status in (DeliveryStatus.pending, DeliveryStatus.retrying):
                delivery.status = DeliveryStatus.cancelled
                delivery.next_attempt_at = None
    _chronicle(session, alert=group[0], actor=actor, via=via, now=now, on_behalf=False)
    audit.record(
        session,
        actor=actor,
        action="notification.acknowledged",
        via=via,
        ref=ref,
        detail={"notification_id": group[0].id, "notification_ids": [n.id for n in waiting]},
    )
    return True


def acknowledge_on_behalf(
    session: Session, *, notification: Notification, actor: Principal, via: Via
) -> bool:
    """A manager or lead (`access.may_acknowledge_on_behalf`) takes one recipient's notification on for them:
    it reads acknowledged, by them, on the recipient's behalf, and its chase stops, as it would had it
    reached them. The recipient is still told (channels not yet sent still go) and may still acknowledge it
    themselves; nobody else's notification changes. False if it was already acknowledged."""
    ref = notification.young_person.ref
    group = _alert_and_reminders(session, notification)
    waiting = [n for n in group if n.acknowledged_at is None]
    if notification.acknowledged_at is not None or not waiting:
        audit.record(session, actor=actor, action="notification.acknowledge_repeat", via=via, ref=ref)
        return False
    now = utcnow()
    by = session.get_one(User, actor.user_id)
    for each in waiting:
        each.acknowledged_at = now
        each.acknowledged_by = by
        each.acknowledged_via = str(via)
        each.status = NotificationStatus.acknowledged
    alert = group[0]
    _chronicle(session, alert=alert, actor=actor, via=via, now=now, on_behalf=True)
    audit.record(
        session,
        actor=actor,
        action="notification.acknowledged_on_behalf",
        via=via,
        ref=ref,
        detail={
            "notification_id": alert.id,
            "notification_ids": [n.id for n in waiting],
            "on_behalf_of": alert.recipient.username,
        },
    )
    return True


def _chronicle(
    session: Session, *, alert: Notification, actor: Principal, via: Via, now: datetime, on_behalf: bool
) -> None:
    label = NotificationKind(alert.kind).label
    whose = f" on behalf of {alert.recipient.display_name}" if on_behalf else ""
    detail: dict[str, object] = {"notification_id": alert.id, "by": actor.username, "via": str(via)}
    if on_behalf:
        detail["on_behalf_of"] = alert.recipient.username
    chronology.add(
        session,
        young_person_id=alert.young_person_id,
        at=now,
        kind="acknowledged",
        summary=f"{label} acknowledged by {actor.username}{whose} via {via}",
        detail=detail,
    )
