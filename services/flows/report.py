"""The partnership report: reads the records of one local authority's young people over a period and hands
plain rows to the figures' rules (`services/flows/rules.py`). The period is whole days in UTC, both ends
included; a young person counts for the authority now responsible for them."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from schemas.api.reports import AckFigure, PartnershipReport, ShareFigure
from schemas.enums import NotificationKind
from schemas.settings import Settings
from services.appointments.models import Appointment, MissedAppointment
from services.attendances.models import Attendance
from services.flows import rules
from services.kernel.audit.models import AuditEvent
from services.kernel.worktime.rules import calendar_for
from services.notifications.models import Notification
from services.people.models import YoungPerson
from services.plans.models import DischargePlan, DischargePlanRecipient
from services.staff.models import Team, User
from services.transfers.models import Transfer

_S = TypeVar("_S", bound="Select[*tuple[Any, ...]]")

NOT_MEASURED = [
    "whether a multi-agency meeting followed a repeat attendance: liaison keeps no record of meetings yet",
]


def _bounds(period_from: date, period_to: date) -> tuple[datetime, datetime]:
    start = datetime.combine(period_from, time.min, tzinfo=UTC)
    return start, datetime.combine(period_to, time.min, tzinfo=UTC) + timedelta(days=1)


def _holds(statement: _S, la_code: str, column: Any) -> _S:
    """Only the young people the authority now holds."""
    return statement.join(YoungPerson, YoungPerson.id == column).where(YoungPerson.responsible_la == la_code)


def build(
    session: Session, *, la_code: str, period_from: date, period_to: date, settings: Settings
) -> PartnershipReport:
    start, end = _bounds(period_from, period_to)
    attendances = session.execute(
        _holds(
            select(Attendance.id, Attendance.created_at, Attendance.ended_at, Attendance.young_person_id),
            la_code,
            Attendance.young_person_id,
        ).where(
            Attendance.created_at >= start, Attendance.created_at < end, Attendance.cancelled_at.is_(None)
        )
    ).all()
    return PartnershipReport(
        la_code=la_code,
        period_from=period_from,
        period_to=period_to,
        attendances=len(attendances),
        acknowledgement=_acknowledgement(
            session, [a.id for a in attendances], {a.id: a.created_at for a in attendances}
        ),
        follow_up_within_72h=_follow_ups(session, la_code, start, end),
        plans_reached_within_24h=_plans(session, la_code, start, end),
        repeat_attenders=_repeat_attenders(session, la_code, start, end),
        misses_by_service=_misses(session, la_code, start, end),
        closures_refused=_closures_refused(session, la_code, start, end),
        transfers_accepted_in_time=_transfers(session, la_code, start, end, settings),
        not_measured=NOT_MEASURED,
    )


def _share(share: rules.Share) -> ShareFigure:
    return ShareFigure(met=share.met, of=share.of, percent=share.percent)


def _acknowledgement(
    session: Session, attendance_ids: list[int], recorded: dict[int, datetime]
) -> dict[str, AckFigure]:
    rows = session.execute(
        select(Notification.attendance_id, Team.agency, Notification.acknowledged_at)
        .join(User, User.id == Notification.recipient_id)
        .join(Team, Team.id == User.team_id)
        .where(
            Notification.kind == NotificationKind.attendance, Notification.attendance_id.in_(attendance_ids)
        )
    ).all()
    told = [rules.Told(a, recorded[a], agency, acked) for a, agency, acked in rows if a is not None]
    return {key: AckFigure(**vars(summary)) for key, summary in rules.acknowledgement_times(told).items()}


def _follow_ups(session: Session, la_code: str, start: datetime, end: datetime) -> ShareFigure:
    discharges = session.execute(
        _holds(
            select(Attendance.young_person_id, Attendance.ended_at), la_code, Attendance.young_person_id
        ).where(Attendance.ended_at >= start, Attendance.ended_at < end, Attendance.cancelled_at.is_(None))
    ).all()
    people = {d.young_person_id for d in discharges}
    booked: dict[int, list[datetime]] = defaultdict(list)
    for young_person_id, at in session.execute(
        select(Appointment.young_person_id, Appointment.at).where(
            Appointment.young_person_id.in_(people), Appointment.status != "cancelled"
        )
    ):
        booked[young_person_id].append(at)
    rows = [(d.ended_at, booked[d.young_person_id]) for d in discharges if d.ended_at is not None]
    return _share(rules.followed_up_within(rows, hours=72))


def _plans(session: Session, la_code: str, start: datetime, end: datetime) -> ShareFigure:
    issued = session.execute(
        _holds(
            select(DischargePlan.id, DischargePlan.issued_at), la_code, DischargePlan.young_person_id
        ).where(DischargePlan.issued_at >= start, DischargePlan.issued_at < end)
    ).all()
    reached: dict[int, list[datetime | None]] = defaultdict(list)
    for plan_id, delivered_at in session.execute(
        select(DischargePlanRecipient.discharge_plan_id, Notification.delivered_at)
        .outerjoin(Notification, Notification.id == DischargePlanRecipient.notification_id)
        .where(DischargePlanRecipient.discharge_plan_id.in_([p.id for p in issued]))
    ):
        reached[plan_id].append(delivered_at)
    rows = [(p.issued_at, reached[p.id]) for p in issued if p.issued_at is not None]
    return _share(rules.reached_within(rows, hours=24))


def _repeat_attenders(session: Session, la_code: str, start: datetime, end: datetime) -> int:
    found = session.scalars(
        _holds(select(Notification.young_person_id), la_code, Notification.young_person_id)
        .where(
            Notification.kind == NotificationKind.repeat_attendance,
            Notification.created_at >= start,
            Notification.created_at < end,
        )
        .distinct()
    ).all()
    return len(found)


def _misses(session: Session, la_code: str, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    owner = aliased(Team)
    rows = session.execute(
        _holds(select(owner.agency, MissedAppointment.status), la_code, MissedAppointment.young_person_id)
        .outerjoin(owner, owner.id == MissedAppointment.owner_team_id)
        .where(
            MissedAppointment.appointment_at >= start,
            MissedAppointment.appointment_at < end,
            MissedAppointment.withdrawn_at.is_(None),
        )
    ).all()
    return rules.counted((agency or "unknown", status) for agency, status in rows)


def _closures_refused(session: Session, la_code: str, start: datetime, end: datetime) -> dict[str, int]:
    refs = select(YoungPerson.ref).where(YoungPerson.responsible_la == la_code)
    details = session.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.action.in_(("closure.propose", "closure.respond", "closure.decide")),
            AuditEvent.outcome == "refused",
            AuditEvent.at >= start,
            AuditEvent.at < end,
            AuditEvent.young_person_ref.in_(refs),
        )
    ).all()
    counts = rules.counted(("closure", str((d or {}).get("why", "unknown"))) for d in details)
    return counts.get("closure", {})


def _transfers(
    session: Session, la_code: str, start: datetime, end: datetime, settings: Settings
) -> ShareFigure:
    calendar = calendar_for(settings)
    days = settings.transfer_accept_working_days
    rows = session.execute(
        select(Transfer.opened_at, Transfer.accepted_at).where(
            Transfer.to_la == la_code, Transfer.opened_at >= start, Transfer.opened_at < end
        )
    ).all()
    return _share(
        rules.accepted_within(
            [(r.opened_at, r.accepted_at) for r in rows],
            deadline=lambda opened: calendar.add_working_days(opened, days),
        )
    )
