"""Recording acute attendances. The attendance and its notification intents commit together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schemas.enums import AttendanceReason, AttendanceStatus, CareSetting, CareTeamRole, NotificationKind, Via
from schemas.settings import get_settings
from services.assessments import needs
from services.attendances import patterns
from services.attendances.models import Attendance
from services.attendances.schemas import AttendanceCreate
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.clock import utcnow
from services.kernel.identity import Principal
from services.notifications import service as notifications
from services.notifications.models import Notification
from services.people import service as people

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


def find(session: Session, *, source: str, source_id: str) -> Attendance | None:
    return session.scalar(
        select(Attendance).where(Attendance.source == source, Attendance.source_id == source_id)
    )


def visit_number(source: str, source_id: str) -> str | None:
    """The hospital's own visit number an attendance came with: HL7 PV1-19.1, or the value of a FHIR
    Encounter's identifier. None for the JSON intake and for an Encounter known only by its id."""
    if source.startswith("hl7:"):
        return source_id
    if source.startswith("fhir:") and "|" in source_id:
        return source_id.split("|", 1)[1]
    return None


def find_visit(
    session: Session, *, source: str, source_id: str, site_code: str, nhs_number: str
) -> Attendance | None:
    """The attendance (source, source_id) names; else the same visit recorded through the other hospital
    intake. A hospital that sends a visit over HL7 and over FHIR sends one attendance: the same young person
    at the same site (ODS code) with the same visit number (PV1-19.1 = the Encounter identifier's value,
    whatever its system) is one visit (docs/intake.md, "One visit, two intakes")."""
    found = find(session, source=source, source_id=source_id)
    number = visit_number(source, source_id)
    if found is not None or number is None:
        return found
    young_person = people.find_by_nhs_number(session, nhs_number=nhs_number)
    if young_person is None:
        return None
    candidates = session.scalars(
        select(Attendance)
        .where(
            Attendance.young_person_id == young_person.id,
            Attendance.site_code == site_code.upper(),
            Attendance.source.startswith("hl7:") | Attendance.source.startswith("fhir:"),
        )
        .order_by(Attendance.id)
    )
    return next((a for a in candidates if visit_number(a.source, a.source_id) == number), None)


# The (from, to) local authorities of a young person's transfers in progress, whose duty teams an attendance
# alert tells too. Transfers sit above attendances, so the caller hands in how to find them
# (`services.transfers.views.live_between`).
class LiveTransfers(Protocol):
    def __call__(self, session: Session, *, young_person_id: int) -> Sequence[tuple[str, str]]: ...


def record(
    session: Session,
    *,
    data: AttendanceCreate,
    actor: Principal | None,
    via: Via,
    live_transfers: LiveTransfers,
) -> Recorded:
    """Store an attendance of a registered young person with one notification per recipient.

    Idempotent on (source, source_id), and on the visit across the HL7 and FHIR intakes (`find_visit`).
    For an NHS number nobody has registered, nothing identifying is kept: the audit trail notes that an
    unmatched attendance arrived from this source and site, no more.
    """
    existing = find_visit(
        session,
        source=data.source,
        source_id=data.source_id,
        site_code=data.site_code,
        nhs_number=data.nhs_number,
    )
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
    notifications.create_for_attendance(
        session,
        attendance_id=attendance.id,
        young_person=young_person,
        transfers=live_transfers(session, young_person_id=young_person.id),
    )
    count = session.scalar(select(func.count()).where(Notification.attendance_id == attendance.id)) or 0
    patterns.check(
        session,
        attendance=attendance,
        young_person=young_person,
        rules=get_settings().repeat_attendance_rules,
        via=via,
    )
    alerted = session.scalars(
        select(Notification.recipient_id).where(Notification.attendance_id == attendance.id)
    )
    needs.prompt_rescore(
        session,
        young_person=young_person,
        reason="an acute hospital attendance",
        cause=notifications.Event("attendance", attendance.id),
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
    )


# What happens to an attendance after it is recorded: the hospital discharges (A03), takes the discharge
# back (A13), corrects details (A08) or cancels the visit as recorded in error (A11). Used by every intake.


def _note(
    session: Session,
    *,
    attendance: Attendance,
    at: datetime,
    kind: str,
    summary: str,
    action: str,
    actor: Principal | None,
    via: Via,
) -> None:
    chronology.add(
        session,
        young_person_id=attendance.young_person_id,
        at=at,
        kind=kind,
        summary=summary,
        detail={"attendance_id": attendance.id, "site_code": attendance.site_code},
    )
    audit.record(
        session,
        actor=actor,
        action=action,
        via=via,
        ref=attendance.young_person.ref,
        detail={"attendance_id": attendance.id, "source": attendance.source},
    )


def end(session: Session, *, attendance: Attendance, at: datetime, actor: Principal | None, via: Via) -> bool:
    """The young person has left (discharged from ED or the ward): a discharge plan is now due.
    False, changing nothing, when the attendance is not open."""
    if attendance.status != AttendanceStatus.open:
        return False
    attendance.status = AttendanceStatus.ended
    attendance.ended_at = at
    setting = SETTING_LABELS[CareSetting(attendance.setting)]
    _note(
        session,
        attendance=attendance,
        at=at,
        kind="discharged",
        summary=f"Discharged from {attendance.site_code} ({setting}); a discharge plan is due",
        action="attendance.ended",
        actor=actor,
        via=via,
    )
    return True


def reopen(
    session: Session, *, attendance: Attendance, at: datetime, actor: Principal | None, via: Via
) -> bool:
    """The hospital took a discharge back: the attendance is open again. False when it had not ended."""
    if attendance.status != AttendanceStatus.ended:
        return False
    attendance.status = AttendanceStatus.open
    attendance.ended_at = None
    _note(
        session,
        attendance=attendance,
        at=at,
        kind="discharge_cancelled",
        summary=(
            f"Discharge from {attendance.site_code} cancelled by the hospital; the attendance is open again"
        ),
        action="attendance.reopened",
        actor=actor,
        via=via,
    )
    return True


def amend(
    session: Session,
    *,
    attendance: Attendance,
    site_code: str | None,
    setting: CareSetting | None,
    arrived_at: datetime | None,
    reasons: list[AttendanceReason] | None,
    actor: Principal | None,
    via: Via,
) -> list[str]:
    """Correct the details of a visit (no-one is alerted again); returns the names of what changed. None
    is "no change": an update never erases what it does not carry."""
    wanted = {
        "site_code": site_code.upper() if site_code else attendance.site_code,
        "setting": str(setting) if setting is not None else attendance.setting,
        "arrived_at": arrived_at or attendance.arrived_at,
        "reasons": sorted({str(r) for r in reasons}) if reasons is not None else attendance.reasons,
    }
    changed = [name for name, new in wanted.items() if getattr(attendance, name) != new]
    if not changed:
        return []
    for name in changed:
        setattr(attendance, name, wanted[name])
    _note(
        session,
        attendance=attendance,
        at=utcnow(),
        kind="attendance_updated",
        summary=f"Attendance at {attendance.site_code} updated by the hospital: {', '.join(changed)}",
        action="attendance.updated",
        actor=actor,
        via=via,
    )
    return changed


def cancel(
    session: Session, *, attendance: Attendance, at: datetime, actor: Principal | None, via: Via
) -> bool:
    """The visit was cancelled (recorded in error, or it never happened). Everyone alerted of it is told,
    by ref only; False when it was already cancelled."""
    if attendance.status == AttendanceStatus.cancelled:
        return False
    attendance.status = AttendanceStatus.cancelled
    attendance.cancelled_at = at
    notifications.void(session, event_type="attendance", event_id=attendance.id, at=at)
    alerted = session.scalars(
        select(Notification)
        .where(Notification.attendance_id == attendance.id, Notification.kind == NotificationKind.attendance)
        .order_by(Notification.id)
    )
    recipients = [(n.recipient, CareTeamRole(n.recipient_role)) for n in alerted]
    notifications.create(
        session,
        kind=NotificationKind.attendance_cancelled,
        young_person=attendance.young_person,
        recipients=recipients,
        event=notifications.Event("attendance_cancelled", attendance.id),
        attendance_id=attendance.id,
    )
    told = len(recipients)
    _note(
        session,
        attendance=attendance,
        at=at,
        kind="attendance_cancelled",
        summary=(
            f"Attendance at {attendance.site_code} cancelled by the hospital; "
            f"{told} professional{'s' if told != 1 else ''} alerted of it to be told"
        ),
        action="attendance.cancelled",
        actor=actor,
        via=via,
    )
    return True
