"""A care plan version exports to a valid FHIR R4 CarePlan that names the young person by ref only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan

from schemas.api.plans import CarePlanContent
from services.people.models import YoungPerson
from services.plans.fhir import MADE_JOINTLY, REVIEW_DATE, care_plan
from services.plans.models import CarePlan
from services.staff.models import User

REF = "YP-7KQ2M-9XW4T"
CONTENT = CarePlanContent.model_validate(
    {
        "aims": ["Feel safe at home"],
        "long_term_goals": ["Start the apprenticeship"],
        "interventions": [
            {"action": "Weekly CAMHS sessions", "owning_team": "CAMHS-1", "status": "in_progress"},
            {
                "action": "Key worker",
                "agency": "substance_misuse",
                "owner": "kw",
                "due_date": "2026-12-20",
                "status": "completed",
                "outcome": "Engaged well",
            },
        ],
        "made_jointly_with_young_person": True,
        "young_person_views": "I want to stay near my sister.",
        "sharing": {"consent_to_share": True, "lawful_basis": "Art 6(1)(e)"},
        "review_date": "2027-01-15",
    }
)


def plan(version: int = 1, status: str = "current") -> CarePlan:
    young_person = YoungPerson(
        ref=REF,
        nhs_number="9990000018",
        given_name="Alex",
        family_name="Testperson",
        date_of_birth=date(2005, 3, 14),
        responsible_la="CEC",
    )
    return CarePlan(
        id=7,
        young_person=young_person,
        version=version,
        status=status,
        content=CONTENT.model_dump(mode="json"),
        review_date=date(2027, 1, 15),
        recorded_by=User(username="nurse"),
        recorded_at=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
    )


def test_a_care_plan_exports_to_a_valid_fhir_careplan() -> None:
    resource = care_plan(plan())
    parsed = FhirCarePlan.model_validate(resource)
    assert (parsed.status, parsed.intent) == ("active", "plan")
    assert parsed.subject.identifier.value == REF
    assert [g.reference for g in parsed.goal] == ["#aim-1", "#goal-1"]
    details = [a.detail for a in parsed.activity]
    assert [(d.status, d.description) for d in details] == [
        ("in-progress", "Weekly CAMHS sessions"),
        ("completed", "Key worker"),
    ]
    assert details[1].performer[0].display == "kw"
    assert parsed.activity[1].outcomeCodeableConcept[0].text == "Engaged well"
    extensions = {e.url: e for e in parsed.extension}
    assert extensions[MADE_JOINTLY].valueBoolean is True
    assert str(extensions[REVIEW_DATE].valueDate) == "2027-01-15"
    whole = json.dumps(resource).lower()
    for identifier in ("9990000018", "alex", "testperson", "2005-03-14"):
        assert identifier not in whole


def test_a_superseded_version_is_revoked_and_a_newer_one_replaces_it() -> None:
    old = FhirCarePlan.model_validate(care_plan(plan(1, "superseded")))
    assert old.status == "revoked"
    newer = FhirCarePlan.model_validate(care_plan(plan(2), previous_version=1))
    assert newer.replaces[0].identifier.value == f"{REF}/v1"
