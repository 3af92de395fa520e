"""The event a notification tells of, for chasing it: who else was told, whether anyone has acknowledged
it, and whether it still stands.

`service.create` gives each recipient of one event the key "<event>:<user id>" ("attendance:12:7",
"gateway:3:7", "missed_appt:4:7", "transfer_overdue:2:1:7"), so the notifications of one
event are those whose dedup key is the event key and a user id. An attendance alert's event is its attendance.
A withdrawn miss's message is its own event ("withdrawn:missed_appt:4:7"): never chased.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schemas.enums import AttendanceStatus, ClosureStatus, EscalationStatus, NotificationKind
from services.appointments.models import MissedAppointment
from services.assessments.models import Escalation
from services.closures.models import Closure
from services.notifications.models import Notification
from services.transfers.models import Transfer
from services.transfers.rules import TransferStatus


def event_key(dedup_key: str) -> str:
    """ "gateway:3:7" -> "gateway:3": the event, without the recipient."""
    return dedup_key.rpartition(":")[0] or dedup_key


def _is_attendance(alert: Notification) -> bool:
    return alert.kind == NotificationKind.attendance and alert.attendance_id is not None


def told(session: Session, alert: Notification) -> list[Notification]:
    """Every notification of the alert's event (the alert among them), not the reminders or escalations."""
    if _is_attendance(alert):
        statement = select(Notification).where(
            Notification.attendance_id == alert.attendance_id,
            Notification.kind == NotificationKind.attendance,
        )
        return list(session.scalars(statement))
    event = event_key(alert.dedup_key)
    found = session.scalars(
        select(Notification).where(Notification.dedup_key.startswith(f"{event}:", autoescape=True))
    )
    # "transfer_overdue:2:1" must not take in "transfer_overdue:2:1:5"'s recipients as its own: the key is
    # the event and exactly one more part.
    return [n for n in found if event_key(n.dedup_key) == event]


def acknowledged(session: Session, alert: Notification) -> bool:
    """Has anyone taken the event on: acknowledged any of its notifications, or an escalation about one?"""
    if _is_attendance(alert):  # the attendance's alerts, reminders and escalations all carry it
        found = session.scalar(
            select(Notification.id).where(
                Notification.attendance_id == alert.attendance_id, Notification.acknowledged_at.is_not(None)
            )
        )
        return found is not None
    ids = [n.id for n in told(session, alert)] or [alert.id]
    found = session.scalar(
        select(Notification.id)
        .where(
            or_(Notification.id.in_(ids), Notification.escalates_id.in_(ids)),
            Notification.acknowledged_at.is_not(None),
        )
        .limit(1)
    )
    return found is not None


def duty_key(alert: Notification) -> str:
    """The duty team is told once per event, however many of its recipients are chased."""
    if _is_attendance(alert):
        return f"escalation:attendance:{alert.attendance_id}:duty"
    return f"escalation:{event_key(alert.dedup_key)}:duty"


def out_of_hours_key(alert: Notification) -> str:
    """The out-of-hours team, like the duty team, is told once per event."""
    if _is_attendance(alert):
        return f"escalation:attendance:{alert.attendance_id}:out_of_hours"
    return f"escalation:{event_key(alert.dedup_key)}:out_of_hours"


def _number(part: str) -> int | None:
    return int(part) if part.isdigit() else None


def settled(session: Session, alert: Notification) -> bool:
    """The event no longer asks anything of anyone: chasing it would only be noise. An attendance
    cancelled (entered in error), a missed appointment withdrawn, a Gateway or Resolution resolved, a
    closure decided, a transfer withdrawn (or, for one overdue, no longer waiting for acceptance)."""
    if alert.attendance is not None and alert.attendance.status == AttendanceStatus.cancelled:
        return True
    parts = event_key(alert.dedup_key).split(":")
    first = _number(parts[1]) if len(parts) > 1 else None
    if first is None:
        return False
    match NotificationKind(alert.kind):
        case (
            NotificationKind.was_not_brought
            | NotificationKind.did_not_attend
            | (NotificationKind.missed_appointments)
        ):
            # "missed_appt:<appointment id>" (`Appointment.miss_key`; a discharge plan's follow-up too)
            miss = session.scalar(select(MissedAppointment).where(MissedAppointment.appointment_id == first))
            return miss is not None and miss.withdrawn_at is not None
        case NotificationKind.gateway | NotificationKind.resolution:
            referral = session.get(Escalation, first)
            return referral is not None and referral.status == EscalationStatus.resolved
        case NotificationKind.closure_proposed:
            closure = session.get(Closure, first)
            return closure is not None and closure.status != ClosureStatus.proposed
        case NotificationKind.transfer_opened:
            transfer = session.get(Transfer, first)
            return transfer is not None and transfer.status == TransferStatus.withdrawn
        case NotificationKind.transfer_overdue:
            transfer = session.get(Transfer, first)
            return transfer is not None and transfer.status != TransferStatus.open
        case _:
            return False
