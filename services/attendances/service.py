"""Recording acute attendances. The attendance and its notification intents commit together."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.enums import AttendanceReason, CareSetting, Via
from schemas.settings import get_settings
from services.assessments import needs
from services.attendances import patterns
from services.attendances.models import Attendance
from services.attendances.schemas import AttendanceCreate
from services.audit import service as audit
from services.chronology import service as chronology
from services.notifications import service as notifications
from services.notifications.models import Notification
from services.people import service as people
from services.people.access import Principal

SETTING_LABELS = {
    CareSetting.emergency_department: "emergency department",
    CareSetting.urgent_treatment_centre: "urgent treatment centre",
    CareSetting.walk_in_centre: "walk-in centre",
    CareSetting.inpatient_admission: "inpatient admission",
    CareSetting.ambulance: "ambulance",
    CareSetting.other: "other setting",
}


@dataclass
class Recorded:
    attendance: Attendance | None
    young_person_ref: str | None
    outcome: str  # recorded | duplicate | not_registered
    notifications_queued: int = 0
    delivery_ids: list[int] = field(default_factory=list)


def find(session: Session, *, source: str, source_id: str) -> Attendance | None:
    return session.scalar(
        select(Attendance).where(Attendance.source == source, Attendance.source_id == source_id)
    )


def record(session: Session, *, data: AttendanceCreate, actor: Principal, via: Via) -> Recorded:
    """Store an attendance of a registered young person with one notification per recipient.

    Idempotent on (source, source_id). For an NHS number nobody has registered, nothing identifying is
    kept: the audit trail notes that an unmatched attendance arrived from this source and site, no more.
    """
    existing = find(session, source=data.source, source_id=data.source_id)
    if existing is not None:
        audit.record(
            session,
            actor=actor,
            action="attendance.duplicate",
            via=via,
            ref=existing.young_person.ref,
            detail={"attendance_id": existing.id, "source": data.source},
        )
        return Recorded(attendance=existing, young_person_ref=existing.young_person.ref, outcome="duplicate")

    young_person = people.find_by_nhs_number(session, nhs_number=data.nhs_number)
    if young_person is None:
        audit.record(
            session,
            actor=actor,
            action="attendance.not_registered",
            via=via,
            detail={"source": data.source, "site_code": data.site_code, "setting": str(data.setting)},
        )
        return Recorded(attendance=None, young_person_ref=None, outcome="not_registered")

    attendance = Attendance(
        young_person=young_person,
        source=data.source,
        source_id=data.source_id,
        arrived_at=data.arrived_at,
        site_code=data.site_code.upper(),
        setting=data.setting,
        reasons=[str(r) for r in data.reasons],
    )
    session.add(attendance)
    session.flush()
    delivery_ids = notifications.create_for_attendance(
        session, attendance=attendance, young_person=young_person
    )
    count = session.scalar(select(func.count()).where(Notification.attendance_id == attendance.id)) or 0
    delivery_ids += patterns.check(
        session,
        attendance=attendance,
        young_person=young_person,
        rules=get_settings().repeat_attendance_rules,
        via=via,
    )
    alerted = session.scalars(
        select(Notification.recipient_id).where(Notification.attendance_id == attendance.id)
    )
    delivery_ids += needs.prompt_rescore(
        session,
        young_person=young_person,
        reason="an acute hospital attendance",
        key=f"attendance:{attendance.id}",
        at=attendance.arrived_at,
        told_already=set(alerted),  # the attendance alert itself asks for the re-score
    )
    reasons = ", ".join(str(AttendanceReason(r)).replace("_", " ") for r in attendance.reasons) or "not given"
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=attendance.arrived_at,
        kind="attendance",
        summary=(
            f"Attendance at {attendance.site_code} ({SETTING_LABELS[data.setting]}); reasons: {reasons}; "
            f"{count} professional{'s' if count != 1 else ''} to be alerted"
        ),
        detail={
            "attendance_id": attendance.id,
            "site_code": attendance.site_code,
            "setting": str(data.setting),
        },
    )
    audit.record(
        session,
        actor=actor,
        action="attendance.recorded",
        via=via,
        ref=young_person.ref,
        detail={"attendance_id": attendance.id, "source": data.source, "notifications": count},
    )
    return Recorded(
        attendance=attendance,
        young_person_ref=young_person.ref,
        outcome="recorded",
        notifications_queued=count,
        delivery_ids=delivery_ids,
    )
