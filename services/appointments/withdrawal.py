"""Withdrawing a miss, and telling the people who were told of it.

A miss stops standing when its outcome is corrected (attended, cancelled, rescheduled), when the clinic's
system reports an arrival after a no-show, or when the clinic deletes the booking as made in error (HL7
SIU S17, FHIR entered-in-error). Everyone told of the miss (its own notifications, and the escalations
about them) is told, by ref only, that it was withdrawn and why; and when the miss counted towards a
missed-appointments threshold that no longer stands without it, everyone told of that threshold is told
too (`rules.who_is_told_of_withdrawal`). Each once: the withdrawal tells of the miss's event (`event_of`:
`Event("missed_appt", <appointment id>)`, a discharge plan's follow-up included), as its own kind
(`missed_appointment_withdrawn`: informational, never chased). The chase of the miss's own notifications
stops because the miss's event is voided (`services/notifications/events.void`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import CareTeamRole, NotificationKind, Via, WithdrawalWhy
from services.appointments import rules
from services.appointments.models import Appointment, MissedAppointment
from services.audit import service as audit
from services.audit.service import SYSTEM_ACTOR
from services.chronology import service as chronology
from services.notifications import service as notifications
from services.notifications.models import Notification
from services.people.access import Principal
from services.people.models import YoungPerson
from services.staff.models import User

MISS_KINDS = (
    NotificationKind.was_not_brought,
    NotificationKind.did_not_attend,
    NotificationKind.missed_appointments,
)


def event_of(appointment: Appointment) -> notifications.Event:
    """The event of a miss, that its notifications and re-score prompt tell of."""
    return notifications.Event("missed_appt", appointment.id)


def _told_of(
    session: Session, appointments: Collection[Appointment], kinds: Collection[str]
) -> list[Notification]:
    """The notifications of these appointments' misses of these kinds (not reminders, not escalations)."""
    found: list[Notification] = []
    for appointment in appointments:
        found += notifications.told_of(session, event=event_of(appointment), kinds=list(kinds))
    return found


def _people(notes: Sequence[Notification]) -> list[tuple[int, CareTeamRole]]:
    return [(n.recipient_id, CareTeamRole(n.recipient_role)) for n in notes if n.recipient.active]


def withdraw(
    session: Session,
    *,
    young_person: YoungPerson,
    row: MissedAppointment,
    standing_in_window: Sequence[MissedAppointment],
    why: WithdrawalWhy,
    actor: Principal | None,
    via: Via,
    now: datetime,
    threshold: int,
    window_days: int,
) -> None:
    """Withdraw a standing miss (`standing_in_window`: the standing misses with the appointment in the
    window, before the withdrawal) and tell whoever the rules say."""
    appointment = row.appointment
    own = _told_of(session, [appointment], [str(k) for k in MISS_KINDS])
    escalations = (
        list(
            session.scalars(
                select(Notification)
                .where(
                    Notification.escalates_id.in_([n.id for n in own]),
                    Notification.kind == NotificationKind.escalation,
                )
                .order_by(Notification.id)
            )
        )
        if own
        else []
    )
    pattern = _told_of(
        session, [m.appointment for m in standing_in_window], [NotificationKind.missed_appointments]
    )
    counted = any(m.id == row.id for m in standing_in_window)
    decision = rules.who_is_told_of_withdrawal(
        rules.WithdrawalFacts(
            told_of_miss=_people([*own, *escalations]),
            told_of_pattern=_people(pattern),
            counted=counted,
            misses_in_window=len(standing_in_window),
            threshold=threshold,
        )
    )
    row.withdrawn_at = now
    miss = event_of(appointment)
    notifications.void(session, event_type=miss.type, event_id=miss.id, at=now)
    recipients = [(session.get_one(User, t.user_id), t.role) for t in decision.told]
    notifications.create(
        session,
        kind=NotificationKind.missed_appointment_withdrawn,
        young_person=young_person,
        recipients=recipients,
        event=miss,  # told as its own kind: a withdrawal's recipients are its own
        detail=str(why),
    )
    by = actor.username if actor else SYSTEM_ACTOR
    told = ", ".join(f"{user.username} ({role.label})" for user, role in recipients) or "nobody"
    summary = (
        f"{appointment.what} on {appointment.at:%Y-%m-%d}: the {row.status.replace('_', ' ')} is withdrawn "
        f"({why.words}; by {by}). Told: {told}."
    )
    if decision.pattern_lifted:
        left = len(standing_in_window) - 1
        summary += (
            f" Without it, {left} missed appointment(s) in the last {window_days} days: below the "
            f"threshold of {threshold}; those told of the threshold are told."
        )
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=now,
        kind="missed_withdrawn",
        summary=summary,
        detail={
            **appointment.ids,
            "status": row.status,
            "why": str(why),
            "told": [user.username for user, _ in recipients],
            "pattern_lifted": decision.pattern_lifted,
        },
    )
    audit.record(
        session,
        actor=actor,
        action="missed_appointment.withdrawn",
        via=via,
        ref=young_person.ref,
        detail={
            **appointment.ids,
            "status": row.status,
            "why": str(why),
            "told": len(recipients),
            "pattern_lifted": decision.pattern_lifted,
        },
    )
