"""The event a notification tells of, and what became of it: who else was told, whether anyone has
acknowledged it, and whether it still stands.

An event is typed (`Event`: its type, the id of what it is about, and for an event that recurs, its
round), and every notification carries it in its own columns (`event_type`, `event_id`, `event_round`).
A reminder or escalation carries the event of the alert it chases. A kind told of another event's thing
(a re-score prompt of an attendance, a withdrawn miss's message) carries that event and is kept apart from
its alerts by its kind (`schemas/kinds.py` `key_prefix`).

The producer of an event says when it stops standing, through `void`: the hospital cancels an attendance,
a miss is withdrawn, a referral resolved, a closure decided, a transfer withdrawn or no longer waiting for
acceptance. Chasing a voided notification would only be noise (`settled`). Nothing here reads a
producer's tables, and nothing takes a key apart: `dedup_key` builds each notification's uniqueness guard
from the typed fields, in this one place ("attendance:12:7", "transfer_overdue:2:1:7",
"rescore:attendance:12:7", "withdrawn:missed_appt:4:7", "reminder:31:7", "escalation:gateway:3:duty:9").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, aliased

from schemas.enums import CareTeamRole, NotificationKind
from schemas.kinds import CHASERS, KINDS, VOIDABLE, entry
from services.notifications.models import Notification

# Chase steps told once per event, however many of its recipients are chased.
PER_EVENT = ("duty", "out_of_hours")


@dataclass(frozen=True)
class Event:
    """What a notification tells of: `type` ("attendance", "gateway", "missed_appt", "transfer_overdue"
    ...), the `id` of the thing, and `round` for an event that happens to one thing more than once (the
    first, second ... time a transfer is overdue)."""

    type: str
    id: int
    round: int | None = None

    @property
    def key(self) -> str:
        """ "transfer_overdue:2:1": how the event is named in dedup keys and chronology details."""
        return f"{self.type}:{self.id}" if self.round is None else f"{self.type}:{self.id}:{self.round}"


def of(notification: Notification) -> Event:
    return Event(notification.event_type, notification.event_id, notification.event_round)


def dedup_key(
    kind: NotificationKind,
    event: Event,
    recipient_id: int,
    *,
    chasing: Notification | None = None,
    step: str | None = None,
) -> str:
    """The one uniqueness guard of a notification: a recipient is told of an event once per kind family;
    a chase step of an alert (`chasing`) once per alert, the duty and out-of-hours teams once per event."""
    if chasing is not None and kind == NotificationKind.reminder:
        return f"reminder:{chasing.id}:{recipient_id}"
    if chasing is not None:
        scope = f"{entry(chasing.kind).key_prefix}{event.key}" if step in PER_EVENT else str(chasing.id)
        return f"escalation:{scope}:{step}:{recipient_id}"
    return f"{entry(kind).key_prefix}{event.key}:{recipient_id}"


def _same_event(event: Event) -> ColumnElement[bool]:
    round_is = (
        Notification.event_round.is_(None) if event.round is None else Notification.event_round == event.round
    )
    return and_(Notification.event_type == event.type, Notification.event_id == event.id, round_is)


def told_kinds(kind: str) -> list[str]:
    """The kinds whose notifications of one event are one telling of it: the kinds of its family (a miss
    told as was-not-brought to some and as repeated misses to others), never a chaser."""
    prefix = entry(kind).key_prefix
    return [str(k) for k, e in KINDS.items() if e.key_prefix == prefix and not e.chaser]


def told_in(session: Session, event: Event) -> list[Notification]:
    """Every notification of the event, of any kind, oldest first."""
    return list(session.scalars(select(Notification).where(_same_event(event)).order_by(Notification.id)))


def told(session: Session, alert: Notification) -> list[Notification]:
    """Every notification of the alert's event (the alert among them), not the reminders or escalations."""
    statement = select(Notification).where(
        _same_event(of(alert)), Notification.kind.in_(told_kinds(alert.kind))
    )
    return list(session.scalars(statement.order_by(Notification.id)))


def acknowledged(session: Session, alert: Notification) -> bool:
    """Has anyone taken the event on: acknowledged any of its notifications, or a chase of one?"""
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


def out_of_hours_told(session: Session, alert: Notification) -> set[int]:
    """Who of the out-of-hours team has been told of the alert's event already (once per event)."""
    chased = aliased(Notification)
    return set(
        session.scalars(
            select(Notification.recipient_id)
            .join(chased, chased.id == Notification.escalates_id)
            .where(
                _same_event(of(alert)),
                Notification.kind == NotificationKind.escalation,
                Notification.recipient_role == CareTeamRole.out_of_hours,  # only that step tells them
                chased.kind.in_(told_kinds(alert.kind)),
            )
        )
    )


def settled(alert: Notification) -> bool:
    """The event no longer asks anything of anyone (its producer voided it): chasing it would be noise."""
    return alert.voided_at is not None


def _alerts_and_chasers(session: Session, event_type: str, event_id: int) -> list[Notification]:
    """The event's notifications of a kind that is voided, with the reminders and escalations chasing them
    (not those chasing a re-score prompt of the same attendance, say: that prompt still stands)."""
    alerts = list(
        session.scalars(
            select(Notification).where(
                Notification.event_type == event_type,
                Notification.event_id == event_id,
                Notification.kind.in_([str(k) for k in VOIDABLE if k not in CHASERS]),
            )
        )
    )
    if not alerts:
        return []
    chasers = session.scalars(
        select(Notification).where(Notification.escalates_id.in_([a.id for a in alerts]))
    )
    return [*alerts, *chasers]


def void(session: Session, *, event_type: str, event_id: int, at: datetime) -> int:
    """The producer says the event (of every round) no longer stands: the attendance was cancelled, the
    miss withdrawn, the referral resolved, the closure decided, the transfer withdrawn or no longer waiting.
    Its notifications of a kind that is voided (`schemas/kinds.py`), and their chasers, stop being chased.
    Returns how many were voided now."""
    count = 0
    for notification in _alerts_and_chasers(session, event_type, event_id):
        if notification.voided_at is None:
            notification.voided_at = at
            count += 1
    return count


def reinstate(session: Session, *, event_type: str, event_id: int) -> None:
    """The producer says a voided event stands again (a withdrawn miss recorded as missed once more)."""
    for notification in _alerts_and_chasers(session, event_type, event_id):
        notification.voided_at = None
