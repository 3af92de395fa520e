"""FHIR R4 Encounters in, OperationOutcomes out: parsed and built with fhir.resources (R4B). Pure.

An Encounter becomes the same `AttendanceCreate` the JSON intake takes, so it is recorded by the same
function. `source` is `fhir:<ODS site>` and `source_id` the Encounter's first identifier
(`<system>|<value>`), else `Encounter/<id>`: a resend of the same Encounter is a repeat.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError

from schemas.enums import CareSetting
from schemas.nhs import InvalidNhsNumber, check_nhs_number
from services.attendances.schemas import AttendanceCreate
from services.attendances.service import Recorded
from services.intake import snomed
from services.intake.rules import reasons_from
from services.kernel import safejson

MEDIA_TYPE = "application/fhir+json"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
OUTCOME_SYSTEM = "https://liaison.example/CodeSystem/intake-outcome"
ICD10_SYSTEMS = ("http://hl7.org/fhir/sid/icd-10", "http://hl7.org/fhir/sid/icd-10-uk")

# Encounter.class (v3 ActCode) to the care setting.
CLASS_SETTINGS = {
    "EMER": CareSetting.emergency_department,
    "IMP": CareSetting.inpatient_admission,
    "ACUTE": CareSetting.inpatient_admission,
}


class EncounterProblem(Exception):
    """Why an Encounter cannot be used: 400 when it is not a valid FHIR R4 Encounter, 422 when it is valid
    but liaison cannot act on it."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


def json_body(raw: bytes) -> Any:
    """The body as JSON, or a 400 problem: not JSON, or JSON that would knock over what reads it next
    (`services.kernel.safejson`: nesting too deep, an enormous integer, a lone surrogate escape)."""
    try:
        return safejson.loads(raw)
    except safejson.UnsafeJson as exc:
        raise EncounterProblem(400, str(exc)) from exc


def _validation_detail(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]]
    return "not a valid FHIR R4 Encounter: " + "; ".join(parts)


def parse_encounter(body: Any) -> Encounter:
    if not isinstance(body, dict) or body.get("resourceType") != "Encounter":
        raise EncounterProblem(400, 'the body must be a FHIR resource with "resourceType": "Encounter"')
    try:
        return Encounter.model_validate(body)
    except ValidationError as exc:
        raise EncounterProblem(400, _validation_detail(exc)) from exc


WITHDRAWN = frozenset({"cancelled", "entered-in-error"})


def is_withdrawn(body: Any) -> bool:
    """An Encounter that says the visit did not happen (or was recorded in error): like an HL7 A11."""
    return parse_encounter(body).status in WITHDRAWN


def reason_concepts(encounter: Encounter) -> list[CodeableConcept]:
    """Why the patient came: Encounter.reasonCode, and the code of each Condition the Encounter names as a
    diagnosis or reasonReference when that Condition is contained in it (`#id`). A Condition held
    elsewhere is not fetched: its words and codes are not seen."""
    contained = {
        item.id: item.code
        for item in encounter.contained or []
        if isinstance(item, Condition) and item.id and item.code is not None
    }
    references = [d.condition for d in encounter.diagnosis or []] + list(encounter.reasonReference or [])
    local = [
        contained.get(ref.reference[1:])
        for ref in references
        if ref is not None and ref.reference and ref.reference.startswith("#")
    ]
    return [*(encounter.reasonCode or []), *(concept for concept in local if concept is not None)]


def attendance_from_encounter(body: Any) -> AttendanceCreate:
    """The attendance an Encounter describes, or the problem that stops it being recorded. A withdrawn
    Encounter (`is_withdrawn`) maps the same way, so its attendance can be found and cancelled."""
    encounter = parse_encounter(body)
    code = (encounter.class_fhir.code or "").upper()
    if code not in CLASS_SETTINGS:
        raise EncounterProblem(422, f"Encounter.class {code or '(none)'} is not handled: EMER or IMP")
    subject = encounter.subject.identifier if encounter.subject else None
    if subject is None or subject.system != NHS_NUMBER_SYSTEM or not subject.value:
        raise EncounterProblem(422, f"Encounter.subject.identifier must have system {NHS_NUMBER_SYSTEM}")
    try:
        nhs_number = check_nhs_number(subject.value)
    except InvalidNhsNumber as exc:
        raise EncounterProblem(422, f"Encounter.subject.identifier: {exc}") from exc
    provider = encounter.serviceProvider.identifier if encounter.serviceProvider else None
    if provider is None or provider.system != ODS_SYSTEM or not provider.value:
        raise EncounterProblem(422, f"Encounter.serviceProvider.identifier must have system {ODS_SYSTEM}")
    start = encounter.period.start if encounter.period else None
    if not isinstance(start, datetime) or start.tzinfo is None:  # absent, or a date without a time
        raise EncounterProblem(422, "Encounter.period.start must be a date and time with an offset")
    if encounter.identifier and encounter.identifier[0].value:
        first = encounter.identifier[0]
        source_id = f"{first.system or ''}|{first.value}"
    elif encounter.id:
        source_id = f"Encounter/{encounter.id}"
    else:
        raise EncounterProblem(422, "the Encounter needs an identifier (or an id) to be recognised if resent")
    texts: list[str] = []
    codes: list[str] = []
    concepts: list[str] = []
    for concept in reason_concepts(encounter):
        texts.append(concept.text or "")
        for coding in concept.coding or []:
            texts.append(coding.display or "")
            if coding.system in ICD10_SYSTEMS and coding.code:
                codes.append(coding.code)
            elif snomed.is_snomed(coding.system) and coding.code:
                concepts.append(coding.code)
    try:
        return AttendanceCreate(
            nhs_number=nhs_number,
            arrived_at=start,
            site_code=provider.value,
            setting=CLASS_SETTINGS[code],
            reasons=list(reasons_from([t for t in texts if t], codes, concepts)),
            source=f"fhir:{provider.value.upper()}",
            source_id=source_id[:200],
        )
    except ValidationError as exc:
        parts = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise EncounterProblem(422, parts) from exc


def operation_outcome(severity: str, diagnostics: str, *, code: str = "invalid") -> dict[str, Any]:
    resource = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
        }
    )
    return dict(json.loads(resource.model_dump_json(exclude_none=True)))


def cancellation_outcome(attendance_id: int | None, outcome: str) -> dict[str, Any]:
    """The answer to a withdrawn Encounter: `cancelled`, `unchanged` (already cancelled) or `not_found`."""
    words = {
        "cancelled": f"attendance {attendance_id} cancelled; everyone alerted of it is told",
        "unchanged": f"attendance {attendance_id} was already cancelled",
        "not_found": "no attendance was recorded for this Encounter: nothing to cancel",
    }
    resource = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "details": {"coding": [{"system": OUTCOME_SYSTEM, "code": outcome}], "text": outcome},
                    "diagnostics": words[outcome],
                }
            ],
        }
    )
    return dict(json.loads(resource.model_dump_json(exclude_none=True)))


def accepted_outcome(recorded: Recorded) -> dict[str, Any]:
    """The answer to an Encounter taken: an OperationOutcome of severity `information` whose
    `details.coding` says `recorded`, `duplicate` or `not_registered`."""
    if recorded.outcome == "not_registered":
        text = "NHS number not registered with liaison: nothing kept"
    else:
        assert recorded.attendance is not None
        queued = recorded.notifications_queued
        text = (
            f"attendance {recorded.attendance.id} for {recorded.young_person_ref}; "
            f"{queued} notification{'s' if queued != 1 else ''} queued"
        )
    resource = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "information",
                    "code": "informational",
                    "details": {
                        "coding": [{"system": OUTCOME_SYSTEM, "code": recorded.outcome}],
                        "text": recorded.outcome,
                    },
                    "diagnostics": text,
                }
            ],
        }
    )
    return dict(json.loads(resource.model_dump_json(exclude_none=True)))
