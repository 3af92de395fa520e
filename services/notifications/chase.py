"""Applying the escalation rule (`escalation.py`) to the database: one step of one alert per call.

"Alert" here is any notification whose kind is chased (`Settings.chased_kinds`): an attendance alert, a
Gateway referral, a was-not-brought message ... `events.py` finds the other notifications of its event.

Each step is recorded in `escalation_steps` before anything is told, in the same transaction as the
notifications it makes, its chronology entry and its audit event. The row is unique per alert and step, so
a job run twice, or two schedulers, take a step once: the second insert fails and that transaction, with
everything it would have sent, is rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Exists, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from schemas.enums import (
    CareTeamRole,
    EscalationStep,
    NotificationKind,
    NotificationStatus,
    Via,
)
from schemas.settings import Settings
from services.audit import service as audit
from services.chronology import service as chronology
from services.notifications import escalation, events, rules
from services.notifications import service as notifications
from services.notifications.models import EscalationStepTaken, Notification
from services.staff import directory
from services.staff.models import User

UNREACHED = (NotificationStatus.failed, NotificationStatus.undeliverable)
GROUP_KIND = {"recipient": NotificationKind.reminder}


def policy(settings: Settings) -> escalation.ChasePolicy:
    """Which kinds are chased, and on which ladder (the defaults and ESCALATION_* settings)."""
    return escalation.ChasePolicy.from_minutes(settings.chased_kinds())


def _has(step: EscalationStep, *, reached: bool | None = None) -> Exists:
    taken = aliased(EscalationStepTaken)
    found = exists().where(taken.notification_id == Notification.id, taken.step == step)
    return found.where(taken.reached.is_(reached)) if reached is not None else found


def _due(rule: escalation.Policy, *, now: datetime) -> ColumnElement[bool]:
    """Notifications on this ladder that may have a step due: for the step they are at, old enough, or
    not reached."""
    reminder, manager, lead = EscalationStep
    reminded = aliased(Notification)
    unreached = or_(
        Notification.status.in_(UNREACHED),
        exists().where(
            reminded.escalates_id == Notification.id,
            reminded.kind == NotificationKind.reminder,
            reminded.status.in_(UNREACHED),
        ),
    )
    return or_(
        and_(
            ~_has(reminder),
            ~_has(manager),
            or_(Notification.created_at <= now - rule.reminder_after, unreached),
        ),
        and_(
            _has(reminder),
            ~_has(manager),
            or_(
                Notification.created_at <= now - rule.manager_after,
                unreached,
                _has(reminder, reached=False),
            ),
        ),
        and_(
            _has(manager),
            ~_has(lead),
            or_(Notification.created_at <= now - rule.lead_after, _has(manager, reached=False)),
        ),
    )


def candidates(session: Session, *, now: datetime, settings: Settings) -> list[int]:
    """Notifications of a chased kind that may have a step due: unacknowledged, younger than the maximum
    age, and, for the step they are at on their kind's ladder, old enough or not reached. A superset in
    SQL, so that notifications waiting for their next step are not loaded every run; the rule
    (`escalation.next_step`) decides."""
    by_ladder = policy(settings).by_ladder()
    if not by_ladder:
        return []
    rows = session.scalars(
        select(Notification.id)
        .where(
            Notification.acknowledged_at.is_(None),
            Notification.created_at >= now - timedelta(hours=settings.escalation_max_age_hours),
            or_(
                *(
                    and_(Notification.kind.in_([str(k) for k in kinds]), _due(rule, now=now))
                    for rule, kinds in by_ladder.items()
                )
            ),
        )
        .order_by(Notification.id)
    )
    return list(rows)


def _chain(session: Session, alert: Notification) -> list[Notification]:
    """The alert and every reminder or escalation made about it."""
    return [alert, *session.scalars(select(Notification).where(Notification.escalates_id == alert.id))]


def state(session: Session, *, alert: Notification) -> escalation.AlertState:
    chain = _chain(session, alert)
    reminders = [n for n in chain if n.kind == NotificationKind.reminder]
    return escalation.AlertState(
        created_at=alert.created_at,
        acknowledged=any(n.acknowledged_at is not None for n in chain),
        unreachable=alert.status in UNREACHED or any(r.status in UNREACHED for r in reminders),
        taken=[
            escalation.Taken(EscalationStep(t.step), t.taken_at, t.reached) for t in alert.escalation_steps
        ],
        cancelled=events.settled(session, alert),
    )


def _people(session: Session, alert: Notification) -> dict[str, list[int]]:
    la_code = alert.young_person.responsible_la
    return {
        "managers": directory.team_manager_ids(session, team_id=alert.recipient.team_id),
        "duty": directory.duty_user_ids(session, la_codes=[la_code]).get(la_code, []),
        "leads": directory.safeguarding_lead_ids(session, la_code=la_code),
        "alerted": [n.recipient_id for n in events.told(session, alert)],
    }


def _key(alert: Notification, group: str) -> str:
    if group == "recipient":
        return f"reminder:{alert.id}"
    if group == "duty":
        return events.duty_key(alert)  # the duty team is told once per event
    return f"escalation:{alert.id}:{group}"


def _words(delay: timedelta) -> str:
    minutes = int(delay.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class Outcome:
    step: EscalationStep | None  # None: nothing was due, or another run took it
    delivery_ids: list[int]


def take_next(session: Session, *, notification_id: int, now: datetime, settings: Settings) -> Outcome:
    """Take the next due step of one alert's chase, if any, and commit. Returns the deliveries to queue."""
    alert = session.get(Notification, notification_id)
    rule = policy(settings).ladder_for(alert.kind) if alert is not None else None
    if alert is None or rule is None:
        return Outcome(None, [])
    due = escalation.next_step(state(session, alert=alert), policy=rule, now=now)
    if due is None:
        return Outcome(None, [])
    taken = EscalationStepTaken(
        notification_id=alert.id,
        step=str(due.step),
        level=due.step.level,
        reason=due.reason,
        due_at=due.due_at,
        taken_at=now,
        told=0,
        reached=False,
    )
    session.add(taken)
    try:
        session.flush()  # claim the step before telling anyone
    except IntegrityError:
        session.rollback()  # another run took this step: it tells them, not us
        return Outcome(None, [])

    people = _people(session, alert)
    acknowledged = events.acknowledged(session, alert)
    chosen = escalation.targets(
        step=due.step,
        recipient_id=alert.recipient_id,
        recipient_role=CareTeamRole(alert.recipient_role),
        manager_ids=people["managers"],
        duty_ids=people["duty"],
        lead_ids=people["leads"],
        attendance_acknowledged=acknowledged,
        already_alerted_ids=people["alerted"],
    )
    delivery_ids: list[int] = []
    told: list[User] = []
    for group in ("recipient", "manager", "duty", "lead"):
        members = [(session.get_one(User, t.user_id), t.role) for t in chosen if t.group == group]
        if not members:
            continue
        told += [user for user, _ in members]
        delivery_ids += notifications.create(
            session,
            kind=GROUP_KIND.get(group, NotificationKind.escalation),
            young_person=alert.young_person,
            recipients=members,
            key=_key(alert, group),
            attendance=alert.attendance,
            escalates=alert,
        )
    taken.told = len(told)
    taken.reached = any(
        rules.channels_for(email=u.email, webhook_url=u.webhook_url, telegram_chat_id=u.telegram_chat_id)
        for u in told
    )
    _record(
        session, alert=alert, due=due, told=told, reached=taken.reached, acknowledged=acknowledged, now=now
    )
    session.commit()
    return Outcome(due.step, delivery_ids)


def _record(
    session: Session,
    *,
    alert: Notification,
    due: escalation.Due,
    told: list[User],
    reached: bool,
    acknowledged: bool,
    now: datetime,
) -> None:
    recipient = alert.recipient
    kind = NotificationKind(alert.kind)
    whose = f"{kind.label} to {recipient.display_name} ({CareTeamRole(alert.recipient_role).label})"
    match due.reason:
        case "unreachable":
            why = f"{whose} could not be delivered"
        case "nobody_reached":
            why = f"{whose} still not acknowledged, and the last step reached nobody"
        case _:
            why = f"{whose} not acknowledged after {_words(due.due_at - alert.created_at)}"
    names = ", ".join(u.display_name for u in told)
    match due.step:
        case EscalationStep.reminder:
            what = "reminder sent" if reached else "reminder could not be sent: no channel"
        case EscalationStep.team_manager:
            nobody = (
                "nobody has acknowledged the attendance"
                if kind == NotificationKind.attendance
                else "nobody told of it has acknowledged it"
            )
            duty = "" if acknowledged else f" ({nobody}: duty team included)"
            what = f"told {names}{duty}" if told else "no team manager or duty team to tell"
        case EscalationStep.safeguarding_lead:
            what = f"safeguarding lead told: {names}" if told else "no safeguarding lead to tell"
    if told and not reached:
        what += "; none of them has a way to be sent"
    chronology.add(
        session,
        young_person_id=alert.young_person_id,
        at=now,
        kind="escalation",
        summary=f"{why}: {what}",
        detail={
            "notification_id": alert.id,
            "notification_kind": str(kind),
            "step": str(due.step),
            "level": due.step.level,
            "reason": due.reason,
            "told": [u.username for u in told],
        },
    )
    audit.record(
        session,
        actor=None,
        action="notification.escalated",
        via=Via.worker,
        ref=alert.young_person.ref,
        detail={
            "notification_id": alert.id,
            "notification_kind": str(kind),
            "step": str(due.step),
            "level": due.step.level,
            "reason": due.reason,
            "told": len(told),
        },
    )
