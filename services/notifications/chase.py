"""Applying the chase rules (`chase_rules.py`) to the database: one step of one alert per call.

"Alert" here is any notification whose kind is chased (`schemas/chasing.chased_kinds`): an attendance alert, a
Gateway referral, a was-not-brought message ... `events.py` finds the other notifications of its event.

Each step is recorded in `escalation_steps` before anything is told, in the same transaction as the
notifications it makes, its chronology entry and its audit event. The row is unique per alert and step, so
a job run twice, or two schedulers, take a step once: the second insert fails and that transaction, with
everything it would have sent, is rolled back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Exists, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from schemas.enums import (
    CareTeamRole,
    DeliveryStatus,
    EscalationStep,
    NotificationKind,
    NotificationStatus,
    Via,
)
from schemas.settings import Settings
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.worktime.rules import WorkingCalendar, calendar_for
from services.notifications import chase_rules, events, rules
from services.notifications import service as notifications
from services.notifications.models import Delivery, EscalationStepTaken, Notification
from services.staff import directory
from services.staff.models import User

UNREACHED = (NotificationStatus.failed, NotificationStatus.undeliverable)
GROUP_KIND = {"recipient": NotificationKind.reminder}


def policy(settings: Settings) -> chase_rules.ChasePolicy:
    """Which kinds are chased, on which ladder and clock (the defaults and ESCALATION_* settings)."""
    kinds = settings.chased_kinds()
    clocks = {kind: chase_rules.Clock(settings.escalation_clock(kind)) for kind in kinds}
    return chase_rules.ChasePolicy.from_minutes(kinds, clocks)


def _has(step: EscalationStep, *, reached: bool | None = None) -> Exists:
    taken = aliased(EscalationStepTaken)
    found = exists().where(taken.notification_id == Notification.id, taken.step == step)
    return found.where(taken.reached.is_(reached)) if reached is not None else found


STILL_GOING = chase_rules.STILL_GOING


def _still_failing(*, now: datetime, after: timedelta) -> ColumnElement[bool]:
    """Not reached yet and not given up either: made over `after` ago, and every channel has failed at
    least once and is still being retried (none delivered, none on its first try). The chase treats it as
    not reached, so the team manager and duty team are told long before the retry budget runs out."""
    retrying, going = aliased(Delivery), aliased(Delivery)
    return and_(
        Notification.status == NotificationStatus.pending,
        Notification.created_at <= now - after,
        exists().where(
            retrying.notification_id == Notification.id, retrying.status == DeliveryStatus.retrying
        ),
        ~exists().where(going.notification_id == Notification.id, going.status.in_(STILL_GOING)),
    )


def still_failing(alert: Notification, *, now: datetime, after: timedelta) -> bool:
    """`_still_failing` for one loaded notification (the rule: chase_rules.still_failing)."""
    return chase_rules.still_failing(
        pending=alert.status == NotificationStatus.pending,
        made_at=alert.created_at,
        channels={DeliveryStatus(d.status) for d in alert.deliveries},
        now=now,
        after=after,
    )


def _due(
    rule: chase_rules.Policy, *, now: datetime, calendar: WorkingCalendar, unreached_after: timedelta
) -> ColumnElement[bool]:
    """Notifications on this ladder that may have a step due: for the step they are at, old enough (on the
    ladder's clock), or not reached."""
    reminder, manager, lead = EscalationStep

    def made_by(step: EscalationStep) -> datetime:
        return rule.made_by(now, rule.delay(step), calendar)

    reminded = aliased(Notification)
    unreached = or_(
        Notification.status.in_(UNREACHED),
        _still_failing(now=now, after=unreached_after),
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
            or_(Notification.created_at <= made_by(reminder), unreached),
        ),
        and_(
            _has(reminder),
            ~_has(manager),
            or_(
                Notification.created_at <= made_by(manager),
                unreached,
                _has(reminder, reached=False),
            ),
        ),
        and_(
            _has(manager),
            ~_has(lead),
            or_(Notification.created_at <= made_by(lead), _has(manager, reached=False)),
        ),
    )


def candidates(session: Session, *, now: datetime, settings: Settings) -> list[int]:
    """Notifications of a chased kind that may have a step due: unacknowledged, younger than the maximum
    age, and, for the step they are at on their kind's ladder, old enough or not reached (both on the
    ladder's clock: a working-time ladder measures the maximum age in working time too). A superset in
    SQL, so that notifications waiting for their next step are not loaded every run; the rule
    (`chase_rules.next_step`) decides."""
    by_ladder = policy(settings).by_ladder()
    if not by_ladder:
        return []
    calendar = calendar_for(settings)
    max_age = timedelta(hours=settings.escalation_max_age_hours)
    rows = session.scalars(
        select(Notification.id)
        .where(
            Notification.acknowledged_at.is_(None),
            or_(
                *(
                    and_(
                        Notification.kind.in_([str(k) for k in kinds]),
                        Notification.created_at >= rule.made_by(now, max_age, calendar),
                        _due(
                            rule,
                            now=now,
                            calendar=calendar,
                            unreached_after=timedelta(minutes=settings.delivery_unreached_after_minutes),
                        ),
                    )
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


def state(
    session: Session, *, alert: Notification, now: datetime, unreached_after: timedelta
) -> chase_rules.AlertState:
    chain = _chain(session, alert)
    reminders = [n for n in chain if n.kind == NotificationKind.reminder]
    return chase_rules.AlertState(
        created_at=alert.created_at,
        acknowledged=any(n.acknowledged_at is not None for n in chain),
        unreachable=alert.status in UNREACHED
        or still_failing(alert, now=now, after=unreached_after)
        or any(r.status in UNREACHED for r in reminders),
        taken=[
            chase_rules.Taken(EscalationStep(t.step), t.taken_at, t.reached) for t in alert.escalation_steps
        ],
        cancelled=events.settled(alert),
    )


def _people(session: Session, alert: Notification, *, out_of_hours: bool) -> dict[str, list[int]]:
    la_code = alert.young_person.responsible_la
    people = {
        "managers": directory.team_manager_ids(session, team_id=alert.recipient.team_id),
        "duty": directory.duty_user_ids(session, la_codes=[la_code]).get(la_code, []),
        "leads": directory.safeguarding_lead_ids(session, la_code=la_code),
        "alerted": [n.recipient_id for n in events.told(session, alert)],
        "out_of_hours_team": [],
        "out_of_hours": [],
    }
    if out_of_hours:  # once per event: not again at the next step, nor for the next recipient's alert
        told = events.out_of_hours_told(session, alert)
        people["out_of_hours_team"] = directory.out_of_hours_user_ids(session, la_code=la_code)
        people["out_of_hours"] = [i for i in people["out_of_hours_team"] if i not in told]
    return people


def _words(delay: timedelta, clock: chase_rules.Clock) -> str:
    minutes = int(delay.total_seconds() // 60)
    working = "working " if clock == chase_rules.Clock.working else ""
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} {working}day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} {working}hour{'s' if hours != 1 else ''}"
    return f"{minutes} {working}minute{'s' if minutes != 1 else ''}"


def take_next(
    session: Session, *, notification_id: int, now: datetime, settings: Settings
) -> EscalationStep | None:
    """Take the next due step of one alert's chase, if any (the caller's unit of work commits it, and then
    queues what it sent). None: nothing was due, or another run took it."""
    alert = session.get(Notification, notification_id)
    rule = policy(settings).ladder_for(alert.kind) if alert is not None else None
    if alert is None or rule is None:
        return None
    calendar = calendar_for(settings)
    unreached_after = timedelta(minutes=settings.delivery_unreached_after_minutes)
    current = state(session, alert=alert, now=now, unreached_after=unreached_after)
    due = chase_rules.next_step(current, policy=rule, now=now, calendar=calendar)
    if due is None:
        return None
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
        return None

    out_of_hours = chase_rules.tells_out_of_hours_team(
        kind=alert.kind, step=due.step, now=now, calendar=calendar
    )
    people = _people(session, alert, out_of_hours=out_of_hours)
    acknowledged = events.acknowledged(session, alert)
    chosen = chase_rules.targets(
        step=due.step,
        recipient_id=alert.recipient_id,
        recipient_role=CareTeamRole(alert.recipient_role),
        manager_ids=people["managers"],
        duty_ids=people["duty"],
        lead_ids=people["leads"],
        attendance_acknowledged=acknowledged,
        already_alerted_ids=people["alerted"],
        out_of_hours_ids=people["out_of_hours"],
    )
    told: list[User] = []
    for group in ("recipient", "manager", "out_of_hours", "duty", "lead"):
        members = [(session.get_one(User, t.user_id), t.role) for t in chosen if t.group == group]
        if not members:
            continue
        told += [user for user, _ in members]
        notifications.create(
            session,
            kind=GROUP_KIND.get(group, NotificationKind.escalation),
            young_person=alert.young_person,
            recipients=members,
            event=events.of(alert),  # the chase tells of the alert's event
            attendance_id=alert.attendance_id,
            escalates=alert,
            step=group,
        )
    taken.told = len(told)
    taken.reached = any(
        rules.channels_for(email=u.email, webhook_url=u.webhook_url, telegram_chat_id=u.telegram_chat_id)
        for u in told
    )
    _record(
        session,
        alert=alert,
        due=due,
        told=told,
        reached=taken.reached,
        acknowledged=acknowledged,
        now=now,
        rule=rule,
        out_of_hours=_out_of_hours_note(
            alert, people, chosen, out_of_hours=out_of_hours, acknowledged=acknowledged, told=told
        ),
    )
    return due.step


def _out_of_hours_note(
    alert: Notification,
    people: dict[str, list[int]],
    chosen: list[chase_rules.Target],
    *,
    out_of_hours: bool,
    acknowledged: bool,
    told: list[User],
) -> str | None:
    """What the chronology says of the out-of-hours team, when the step was one to tell it."""
    if not out_of_hours or acknowledged:
        return None
    la_code = alert.young_person.responsible_la
    if not people["out_of_hours_team"]:
        return f"outside working hours, and {la_code} has no out-of-hours team to tell"
    ids = {t.user_id for t in chosen if t.group == "out_of_hours"}
    names = ", ".join(u.display_name for u in told if u.id in ids)
    if not names:
        return f"outside working hours: {la_code}'s out-of-hours team was told already"
    return f"outside working hours: {la_code}'s out-of-hours team told ({names})"


def _record(
    session: Session,
    *,
    alert: Notification,
    due: chase_rules.Due,
    told: list[User],
    reached: bool,
    acknowledged: bool,
    now: datetime,
    rule: chase_rules.Policy,
    out_of_hours: str | None,
) -> None:
    """The chronology entry and audit event of a step. `out_of_hours`: what became of the out-of-hours
    team, for a step that was to tell it (outside working time, nobody has acknowledged the event)."""
    recipient = alert.recipient
    kind = NotificationKind(alert.kind)
    whose = f"{kind.label} to {recipient.display_name} ({CareTeamRole(alert.recipient_role).label})"
    match due.reason:
        case "unreachable":
            why = f"{whose} could not be delivered"
        case "nobody_reached":
            why = f"{whose} still not acknowledged, and the last step reached nobody"
        case _:
            why = f"{whose} not acknowledged after {_words(rule.delay(due.step), rule.clock)}"
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
    if out_of_hours is not None:
        what += f"; {out_of_hours}"
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
            "out_of_hours": out_of_hours,
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
