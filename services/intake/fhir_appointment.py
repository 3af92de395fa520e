"""FHIR R4 Appointments in: parsed with fhir.resources (R4B), mapped to what they say of one appointment.
Pure.

- The patient is the participant whose `actor.identifier` has the NHS number system (as for Encounters).
- The sending facility is the participant whose `actor.identifier` has the ODS system (a Location,
  HealthcareService or Organization): APPOINTMENT_OWNER_TEAMS maps it to the owning team. Optional.
- The appointment is named by its first identifier (`<system>|<value>`), else `Appointment/<id>`: a resend
  or a later status of the same appointment finds it.
- `status`: booked, pending, proposed, waitlist (booked); arrived, checked-in, fulfilled (attended);
  cancelled (cancelled); entered-in-error (deleted: the booking was made in error, as HL7 S17); noshow (a
  miss, recorded as was_not_brought).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError

from schemas.nhs import InvalidNhsNumber, check_nhs_number
from services.appointments.booking import IntakeBooking
from services.appointments.rules import IntakeAction, kind_from
from services.intake.fhir import NHS_NUMBER_SYSTEM, ODS_SYSTEM, OUTCOME_SYSTEM, EncounterProblem

EXTERNAL_SYSTEM = "fhir"
STATUS_ACTIONS: dict[str, IntakeAction] = {
    "proposed": IntakeAction.booked,
    "pending": IntakeAction.booked,
    "booked": IntakeAction.booked,
    "waitlist": IntakeAction.booked,
    "arrived": IntakeAction.attended,
    "checked-in": IntakeAction.attended,
    "fulfilled": IntakeAction.attended,
    "cancelled": IntakeAction.cancelled,
    "entered-in-error": IntakeAction.deleted,
    "noshow": IntakeAction.noshow,
}


def parse_appointment(body: Any) -> Appointment:
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        raise EncounterProblem(400, 'the body must be a FHIR resource with "resourceType": "Appointment"')
    try:
        return Appointment.model_validate(body)
    except ValidationError as exc:
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]]
        raise EncounterProblem(400, "not a valid FHIR R4 Appointment: " + "; ".join(parts)) from exc


def _participant(appointment: Appointment, system: str) -> str | None:
    for participant in appointment.participant or []:
        identifier = participant.actor.identifier if participant.actor else None
        if identifier is not None and identifier.system == system and identifier.value:
            return str(identifier.value)
    return None


def booking_from_appointment(body: Any) -> tuple[str, IntakeBooking]:
    """The NHS number and what the Appointment says of its appointment, or the problem that stops it."""
    appointment = parse_appointment(body)
    action = STATUS_ACTIONS.get(str(appointment.status))
    if action is None:
        raise EncounterProblem(422, f"Appointment.status {appointment.status} is not handled")
    patient = _participant(appointment, NHS_NUMBER_SYSTEM)
    if patient is None:
        raise EncounterProblem(
            422, f"no Appointment.participant has an actor.identifier with system {NHS_NUMBER_SYSTEM}"
        )
    try:
        nhs_number = check_nhs_number(patient)
    except InvalidNhsNumber as exc:
        raise EncounterProblem(422, f"Appointment.participant.actor.identifier: {exc}") from exc
    if appointment.identifier and appointment.identifier[0].value:
        first = appointment.identifier[0]
        external_id, reporter = f"{first.system or ''}|{first.value}", first.system or "a FHIR sender"
    elif appointment.id:
        external_id, reporter = f"Appointment/{appointment.id}", "a FHIR sender"
    else:
        raise EncounterProblem(
            422, "the Appointment needs an identifier (or an id) to be recognised if resent"
        )
    start = appointment.start
    if start is not None and (not isinstance(start, datetime) or start.tzinfo is None):
        raise EncounterProblem(422, "Appointment.start must be a date and time with an offset")
    facility = _participant(appointment, ODS_SYSTEM)
    texts: list[str] = []
    for concepts in (
        appointment.serviceCategory,
        appointment.serviceType,
        appointment.specialty,
        [appointment.appointmentType] if appointment.appointmentType else None,
    ):
        for concept in concepts or []:
            texts.append(concept.text or "")
            texts.extend(coding.display or "" for coding in concept.coding or [])
    return nhs_number, IntakeBooking(
        action=action,
        source="fhir",
        external_system=EXTERNAL_SYSTEM,
        external_id=external_id[:200],
        reporter=facility.upper() if facility else reporter,
        facility=facility.upper()[:64] if facility else None,
        at=start,
        kind=kind_from(t for t in texts if t),
    )


def answer(outcome: str, *, appointment_id: int | None, ref: str | None, queued: int) -> dict[str, Any]:
    """The answer to an Appointment taken: an OperationOutcome of severity `information` whose
    `details.coding` says what it came to (booked, updated, unchanged, attended, withdrawn, cancelled,
    missed, unknown_appointment, not_registered)."""
    if outcome == "not_registered":
        text = "NHS number not registered with liaison: nothing kept"
    elif appointment_id is None:
        text = "no appointment was recorded for this Appointment: nothing changed"
    else:
        text = (
            f"appointment {appointment_id} for {ref}: {outcome}; "
            f"{queued} notification{'s' if queued != 1 else ''} queued"
        )
    return operation_outcome_of("information", "informational", text, code=outcome)


def operation_outcome_of(severity: str, issue_code: str, diagnostics: str, *, code: str) -> dict[str, Any]:
    resource = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": severity,
                    "code": issue_code,
                    "details": {"coding": [{"system": OUTCOME_SYSTEM, "code": code}], "text": code},
                    "diagnostics": diagnostics,
                }
            ],
        }
    )
    return dict(json.loads(resource.model_dump_json(exclude_none=True)))
