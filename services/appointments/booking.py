"""Appointments of any care-team service (a discharge plan's follow-up among them): booked by hand or by a
hospital or clinic system, and what happened at them (`set_outcome`, the one way an outcome is recorded). A
miss goes through the was-not-brought engine (`service.record` / `service.withdraw`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.appointments import (
    AppointmentCreate,
    AppointmentKind,
    AppointmentStatus,
    Barrier,
    CapacityCheck,
    MissStatus,
)
from schemas.enums import Via, WithdrawalWhy
from schemas.settings import Settings
from services.appointments import rules
from services.appointments import service as missed
from services.appointments.models import Appointment
from services.kernel.audit import service as audit
from services.kernel.audit.service import SYSTEM_ACTOR
from services.kernel.chronology import service as chronology
from services.kernel.clock import utc_minute
from services.kernel.errors import Conflict, Invalid, NotFound
from services.kernel.identity import Principal
from services.people.models import YoungPerson
from services.staff.models import Team, User

MISSES = (AppointmentStatus.was_not_brought, AppointmentStatus.did_not_attend)


def team_by_code(session: Session, code: str) -> Team | None:
    return session.scalar(select(Team).where(Team.code == code))


def find_external(session: Session, *, system: str, external_id: str) -> Appointment | None:
    return session.scalar(
        select(Appointment).where(
            Appointment.external_system == system, Appointment.external_id == external_id
        )
    )


def book(
    session: Session,
    *,
    young_person: YoungPerson,
    data: AppointmentCreate,
    team: Team,
    actor: Principal,
    via: Via,
    now: datetime,
) -> tuple[Appointment, bool]:
    """Book an appointment (True), or find the one already booked with the same external id (False)."""
    if (data.external_system is None) != (data.external_id is None):
        raise Invalid("external_system and external_id are given together, or neither")
    if data.external_system is not None and data.external_id is not None:
        existing = find_external(session, system=data.external_system, external_id=data.external_id)
        if existing is not None:
            if existing.young_person_id != young_person.id:
                raise Conflict("that external appointment id is another young person's appointment")
            return existing, False
    owner = None
    if data.owner is not None:
        owner = session.scalar(select(User).where(User.username == data.owner, User.active.is_(True)))
        if owner is None:
            raise NotFound(f"owner: no active user {data.owner!r}")
    appointment = Appointment(
        young_person_id=young_person.id,
        at=data.at,
        kind=str(data.kind),
        owner_team=team,
        owner_team_id=team.id,
        owner=owner,
        location=data.location,
        purpose=data.purpose,
        status=AppointmentStatus.scheduled,
        source="api",
        external_system=data.external_system,
        external_id=data.external_id,
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(appointment)
    session.flush()
    _booked(session, young_person=young_person, appointment=appointment, by=actor.username, now=now)
    audit.record(
        session,
        actor=actor,
        action="appointment.booked",
        via=via,
        ref=young_person.ref,
        detail={"appointment_id": appointment.id, "kind": appointment.kind, "owner_team": team.code},
    )
    return appointment, True


def _booked(
    session: Session, *, young_person: YoungPerson, appointment: Appointment, by: str, now: datetime
) -> None:
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=now,
        kind="appointment_booked",
        summary=f"{appointment.what} booked for {utc_minute(appointment.at)} (by {by})",
        detail={"appointment_id": appointment.id, "kind": appointment.kind, "source": appointment.source},
    )


def outcome_action(appointment: Appointment) -> str:
    """How recording its outcome is audited: a discharge plan's follow-up as a plan action."""
    if appointment.discharge_plan_id is not None:
        return "discharge_plan.follow_up_outcome"
    return "appointment.outcome"


def set_outcome(
    session: Session,
    *,
    young_person: YoungPerson,
    appointment: Appointment,
    status: AppointmentStatus,
    note: str | None,
    reason: str | None,
    barriers: Sequence[Barrier],
    capacity: CapacityCheck | None,
    actor: Principal | None,
    via: Via,
    now: datetime,
    settings: Settings,
    why: WithdrawalWhy | None = None,
) -> None:
    """Attended, cancelled, was not brought or did not attend, for any appointment (a discharge plan's
    follow-up too). A miss goes through the engine (refused, audited, naming everything missing; or tells
    whoever the rules say); any other outcome withdraws a standing miss and tells those told of it `why` (by
    default: the outcome was corrected to this one)."""
    before = appointment.status
    if status in MISSES:
        missed.record(
            session,
            young_person=young_person,
            appointment=appointment,
            status=MissStatus(status),
            reason=reason,
            barriers=barriers,
            capacity=capacity,
            actor=actor,
            via=via,
            now=now,
            threshold=settings.missed_appointments_threshold,
            window_days=settings.missed_appointments_window_days,
        )
    elif barriers or capacity is not None:
        raise Invalid(
            "barriers and a capacity check are recorded only for a missed appointment "
            "(was_not_brought or did_not_attend)"
        )
    else:
        missed.withdraw(
            session,
            young_person=young_person,
            appointment=appointment,
            why=why or WithdrawalWhy.corrected_to(status),
            actor=actor,
            via=via,
            now=now,
            threshold=settings.missed_appointments_threshold,
            window_days=settings.missed_appointments_window_days,
        )
    appointment.status = str(status)
    if note is not None:
        appointment.note = note
    appointment.recorded_by_id = actor.user_id if actor else None
    appointment.recorded_by = session.get(User, actor.user_id) if actor else None
    appointment.recorded_at = now
    if status not in MISSES:  # a miss has its own chronology entry (was_not_brought, did_not_attend)
        by = actor.username if actor else SYSTEM_ACTOR
        chronology.add(
            session,
            young_person_id=young_person.id,
            at=now,
            kind="appointment",
            summary=f"{appointment.what} on {appointment.at:%Y-%m-%d}: "
            f"{status.replace('_', ' ')} (recorded by {by})",
            detail={**appointment.ids, "from": before, "to": str(status)},
        )
    audit.record(
        session,
        actor=actor,
        action=outcome_action(appointment),
        via=via,
        ref=young_person.ref,
        detail={**appointment.ids, "status": str(status)},
    )


@dataclass(frozen=True)
class IntakeBooking:
    """What one HL7 SIU message or FHIR Appointment says of one appointment, in liaison's words."""

    action: rules.IntakeAction
    source: str  # hl7 or fhir
    external_system: str  # "hl7:RBT" or "fhir"
    external_id: str
    reporter: str  # who reported it, for the no-show's reason: "hl7:RBT", an identifier system
    facility: str | None  # the sending facility, mapped to the owning team by APPOINTMENT_OWNER_TEAMS
    at: datetime | None
    kind: str = AppointmentKind.other


class IntakeProblem(Exception):
    """An intake appointment that cannot be used as sent (HL7 AE, FHIR 422). `field` names what is at fault:
    `start` (the appointment's start) or `id` (the appointment's identifier)."""

    def __init__(self, reason: str, *, field: str) -> None:
        super().__init__(reason)
        self.field = field


@dataclass
class IntakeResult:
    # booked, updated, unchanged, attended, withdrawn, cancelled, deleted, missed, unknown_appointment
    outcome: str
    appointment: Appointment | None = None
    note: str = ""
    created: bool = False


def apply_intake(
    session: Session,
    *,
    young_person: YoungPerson,
    booking: IntakeBooking,
    actor: Principal | None,
    via: Via,
    now: datetime,
    settings: Settings,
) -> IntakeResult:
    """Create or update the appointment a hospital or clinic system sent, idempotent on its external id;
    a no-show is recorded as was_not_brought (barriers unknown) and tells people per the rules, and a later
    arrival withdraws it."""
    existing = find_external(session, system=booking.external_system, external_id=booking.external_id)
    if existing is not None and existing.young_person_id != young_person.id:
        raise IntakeProblem("this appointment id belongs to another patient's appointment", field="id")
    change = rules.intake_change(existing.status if existing else None, booking.action)
    unknown = IntakeResult("unknown_appointment", note="no appointment recorded for this id: nothing changed")
    if existing is None and booking.action == rules.IntakeAction.deleted:
        return unknown  # a booking made in error that liaison never had: nothing to delete
    if existing is None and booking.at is None:
        if booking.action in (rules.IntakeAction.booked, rules.IntakeAction.noshow):
            raise IntakeProblem("the appointment's start time is missing", field="start")
        return unknown
    at = booking.at or (existing.at if existing else None)
    assert at is not None
    if change == "was_not_brought" and at > now:
        raise IntakeProblem(f"a no-show for an appointment still to come ({utc_minute(at)})", field="start")
    appointment, fresh = existing, False
    if appointment is None:
        appointment = _from_intake(
            session,
            young_person=young_person,
            booking=booking,
            at=at,
            actor=actor,
            via=via,
            now=now,
            settings=settings,
        )
        fresh = True
    if change is None:  # never for a new appointment (`intake_change(None, ...)` always says what it is)
        return IntakeResult(
            "unchanged", appointment, f"the appointment is {appointment.status}: nothing changed"
        )
    if change == "scheduled":
        moved = not fresh and (appointment.at != at or appointment.status != "scheduled")
        appointment.at, appointment.status = at, "scheduled"
        if moved:
            audit.record(
                session,
                actor=actor,
                action="appointment.updated",
                via=via,
                ref=young_person.ref,
                detail={"appointment_id": appointment.id, "source": booking.source},
            )
        outcome = "booked" if fresh else ("updated" if moved else "unchanged")
        return IntakeResult(outcome, appointment, created=fresh)
    barriers: list[Barrier] = []
    reason = None
    if change == "was_not_brought":
        reason, barriers = f"did not arrive (reported by {booking.reporter})", [Barrier.unknown]
    withdrawing = appointment.status in MISSES and change in ("attended", "cancelled")
    why = WithdrawalWhy.arrived
    if booking.action == rules.IntakeAction.deleted:
        why = WithdrawalWhy.booking_deleted
    set_outcome(
        session,
        young_person=young_person,
        appointment=appointment,
        status=AppointmentStatus(change),
        note=None,
        reason=reason,
        barriers=barriers,
        capacity=None,
        actor=actor,
        via=via,
        now=now,
        settings=settings,
        why=why,
    )
    words = {"was_not_brought": "missed", "attended": "withdrawn" if withdrawing else "attended"}
    if booking.action == rules.IntakeAction.deleted:
        words["cancelled"] = "withdrawn" if withdrawing else "deleted"
    return IntakeResult(words.get(change, change), appointment, created=fresh)


def _from_intake(
    session: Session,
    *,
    young_person: YoungPerson,
    booking: IntakeBooking,
    at: datetime,
    actor: Principal | None,
    via: Via,
    now: datetime,
    settings: Settings,
) -> Appointment:
    code = settings.owner_team_for(booking.facility)
    team = team_by_code(session, code) if code else None
    appointment = Appointment(
        young_person_id=young_person.id,
        at=at,
        kind=booking.kind if booking.kind in set(AppointmentKind) - {AppointmentKind.follow_up} else "other",
        owner_team=team,
        owner_team_id=team.id if team else None,
        status=AppointmentStatus.scheduled,
        source=booking.source,
        facility=booking.facility,
        external_system=booking.external_system,
        external_id=booking.external_id[:200],
        created_by_id=actor.user_id if actor else None,
        created_at=now,
    )
    session.add(appointment)
    session.flush()
    by = actor.username if actor else SYSTEM_ACTOR
    _booked(
        session,
        young_person=young_person,
        appointment=appointment,
        by=f"{by}, from {booking.reporter}",
        now=now,
    )
    audit.record(
        session,
        actor=actor,
        action="appointment.booked",
        via=via,
        ref=young_person.ref,
        detail={
            "appointment_id": appointment.id,
            "kind": appointment.kind,
            "owner_team": team.code if team else None,
            "source": booking.source,
        },
    )
    return appointment
