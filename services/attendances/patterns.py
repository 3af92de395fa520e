"""Seeing the pattern: each new attendance is checked against the repeat-attendance rules.

When a rule is met the chronology says so, and the local authority's safeguarding lead is told (by ref
only): the care team already has the attendance alert, which asks for a re-score; what nobody did for
Jez was look across the crises.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.attendance_rules import RepeatRule
from schemas.enums import AttendanceStatus, CareTeamRole, NotificationKind, Via
from services.attendances.models import Attendance
from services.attendances.rules import PastAttendance, RuleMet, rules_met
from services.audit import service as audit
from services.chronology import service as chronology
from services.notifications import service as notifications
from services.people.models import YoungPerson
from services.staff import directory
from services.staff.models import User

ASK = "Hold a multi-agency meeting, re-score the needs assessment, and consider a Gateway (Level 1) referral."


def _past(attendance: Attendance) -> PastAttendance:
    return PastAttendance(
        arrived_at=attendance.arrived_at,
        reasons=frozenset(attendance.reasons),
        cancelled=attendance.status == AttendanceStatus.cancelled,
    )


def safeguarding_leads(session: Session, *, la_code: str) -> list[User]:
    """The local authority's safeguarding leads; its duty team when it has none."""
    ids = directory.safeguarding_lead_ids(session, la_code=la_code) or directory.duty_user_ids(
        session, la_codes=[la_code]
    ).get(la_code, [])
    return [session.get_one(User, user_id) for user_id in ids]


def check(
    session: Session,
    *,
    attendance: Attendance,
    young_person: YoungPerson,
    rules: Sequence[RepeatRule],
    via: Via,
) -> None:
    """Apply the rules to the attendance just recorded; its deliveries are queued on commit.

    Reads only the three columns the rule needs, and only within the widest rule's window (the rule
    ignores everything else): loading earlier attendances as objects drew in the young person and their
    care team once more, and grew with every attendance of a frequent attender."""
    widest = max((rule.window_days for rule in rules), default=0)
    earlier = [
        PastAttendance(
            arrived_at=arrived_at,
            reasons=frozenset(reasons),
            cancelled=status == AttendanceStatus.cancelled,
        )
        for arrived_at, reasons, status in session.execute(
            select(Attendance.arrived_at, Attendance.reasons, Attendance.status).where(
                Attendance.young_person_id == young_person.id,
                Attendance.id != attendance.id,
                Attendance.arrived_at >= attendance.arrived_at - timedelta(days=widest),
                Attendance.arrived_at <= attendance.arrived_at,
            )
        )
    ]
    met = rules_met(earlier, latest=_past(attendance), rules=rules)
    if not met:
        return
    _record(session, attendance=attendance, young_person=young_person, met=met, via=via)
    leads = safeguarding_leads(session, la_code=young_person.responsible_la)
    notifications.create(
        session,
        kind=NotificationKind.repeat_attendance,
        young_person=young_person,
        recipients=[(user, CareTeamRole.safeguarding_lead) for user in leads],
        event=notifications.Event("repeat_attendance", attendance.id),
    )


def _record(
    session: Session, *, attendance: Attendance, young_person: YoungPerson, met: list[RuleMet], via: Via
) -> None:
    strongest = max(met, key=lambda m: m.count)
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=attendance.arrived_at,
        kind="repeat_attendance",
        summary=f"{strongest.summary()}. {ASK}",
        detail={
            "attendance_id": attendance.id,
            "rules": [{"name": m.rule.name, "count": m.count, "since": m.first_at.isoformat()} for m in met],
        },
    )
    audit.record(
        session,
        actor=None,
        action="rule.repeat_attendance",
        via=via,
        ref=young_person.ref,
        detail={"attendance_id": attendance.id, "rules": [m.rule.name for m in met]},
    )
