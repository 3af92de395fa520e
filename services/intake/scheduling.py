"""Appointments from hospital and clinic systems (HL7 v2 SIU, FHIR Appointment), through the appointments
domain (`services.appointments.booking.apply_intake`): booked, moved, cancelled, and a no-show recorded as
was_not_brought by the same was-not-brought engine as a miss recorded by hand.

An NHS number nobody has registered is accepted and nothing is kept (as for ADT): the audit trail notes
only that an unmatched appointment arrived from this sending facility.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from schemas.enums import Via
from schemas.settings import get_settings
from services.appointments import booking
from services.appointments import service as missed
from services.appointments.booking import IntakeBooking, IntakeProblem
from services.audit import service as audit
from services.clock import utcnow
from services.people import service as people
from services.people.access import Principal

NOT_REGISTERED = "NHS number not registered with liaison: nothing kept"


@dataclass
class Scheduled:
    """What an intake appointment came to: `outcome` (booked, updated, unchanged, attended, withdrawn,
    cancelled, deleted, missed, unknown_appointment, not_registered) and the appointment, if any."""

    outcome: str
    appointment_id: int | None = None
    young_person_ref: str | None = None
    note: str = ""
    created: bool = False


class Unusable(Exception):
    """The appointment cannot be used as sent (HL7 AE, FHIR 422): `reason` says why, with no identifiers;
    `field` what is at fault (`start`, `id`), for HL7's ERR-2."""

    def __init__(self, reason: str, *, field: str = "id") -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


def apply(
    session: Session, *, nhs_number: str, booking_data: IntakeBooking, actor: Principal | None, via: Via
) -> Scheduled:
    """Inside the caller's transaction: find the young person, then create or update the appointment."""
    young_person = people.find_by_nhs_number(session, nhs_number=nhs_number)
    if young_person is None:
        audit.record(
            session,
            actor=actor,
            action="appointment.not_registered",
            via=via,
            detail={"source": booking_data.source, "facility": booking_data.facility},
        )
        return Scheduled("not_registered", note=NOT_REGISTERED)
    try:
        result = booking.apply_intake(
            session,
            young_person=young_person,
            booking=booking_data,
            actor=actor,
            via=via,
            now=utcnow(),
            settings=get_settings(),
        )
    except IntakeProblem as problem:
        raise Unusable(str(problem), field=problem.field) from problem
    except missed.Refused as refused:  # the engine names what is missing; nothing was written but audit
        # Intake gives a no-show its reason and barriers: only its time (still to come) can be at fault.
        raise Unusable(refused.detail, field="start") from refused
    return Scheduled(
        result.outcome,
        result.appointment.id if result.appointment else None,
        young_person.ref,
        result.note,
        result.created,
    )
