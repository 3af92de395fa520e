"""The safety plan and the discharge plan export to valid FHIR R4 CarePlans, told apart from the care plan
by category; the CNEST level travels only as what it means and never as a readiness criterion."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan

from schemas.api.plans import (
    CnestLevel,
    DischargePlanRead,
    Distribution,
    FollowUpRead,
    Legal,
    NamedPerson,
    Readiness,
    Recipient,
    RecipientDelivery,
    SafetyAlerts,
    SafetyPlanContent,
)
from schemas.enums import Channel, DeliveryStatus
from services.assessments.fhir import LEVEL
from services.people.models import YoungPerson
from services.plans.fhir import AVAILABLE_24_7, PLAN_KIND, SAFETY_PLAN_STEP, care_plan, safety_plan
from services.plans.fhir_discharge import CARE_COORDINATOR, DISTRIBUTION, READINESS, discharge_plan
from services.plans.models import SafetyPlan
from services.staff.models import User
from tests.unit.test_plan_fhir import REF
from tests.unit.test_plan_fhir import plan as care_plan_row

AT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SAFETY = SafetyPlanContent.model_validate(
    {
        "warning_signs": ["I stop answering my phone"],
        "internal_coping_strategies": ["Music in my headphones", "A cold shower"],
        "people_who_can_help": [{"name": "My sister", "phone": "07700900001"}],
        "professionals_and_agencies": [
            {"name": "Crisis line", "phone": "0800 000 0000", "available_24_7": True}
        ],
        "reasons_for_living": ["My dog"],
        "key_contact": {"name": "Nurse", "relationship": "care coordinator"},
        "agreed_with_young_person": True,
        "review_date": "2027-01-15",
    }
)
LABEL = "Likelihood of Tier 4 admission, placement breakdown or custody"


def safety_row(version: int = 2, status: str = "current") -> SafetyPlan:
    young_person = YoungPerson(
        ref=REF,
        nhs_number="9990000018",
        given_name="Alex",
        family_name="Testperson",
        date_of_birth=date(2005, 3, 14),
    )
    return SafetyPlan(
        id=3,
        young_person=young_person,
        version=version,
        status=status,
        content=SAFETY.model_dump(mode="json"),
        review_date=date(2027, 1, 15),
        recorded_by=User(username="nurse"),
        recorded_at=AT,
    )


def _codes(resource: dict[str, Any]) -> list[str]:
    return [c["code"] for c in resource["category"][0]["coding"] if c["system"] == PLAN_KIND]


def test_a_safety_plan_is_a_versioned_careplan_told_apart_from_the_care_plan_by_category() -> None:
    resource = safety_plan(safety_row(), previous_version=1)
    parsed = FhirCarePlan.model_validate(resource)
    assert (parsed.meta.versionId, parsed.status, parsed.intent) == ("2", "active", "plan")
    assert _codes(resource) == ["safety-plan"] and _codes(care_plan(care_plan_row())) == ["care-plan"]
    assert care_plan(care_plan_row(version=3))["meta"] == {"versionId": "3"}
    assert parsed.subject.identifier.value == REF
    assert parsed.replaces[0].identifier.value == f"{REF}/v1"
    steps = [(a.detail.code.coding[0].code, a.detail.description) for a in parsed.activity]
    assert steps == [
        ("warning-signs", "I stop answering my phone"),
        ("internal-coping-strategies", "Music in my headphones"),
        ("internal-coping-strategies", "A cold shower"),
        ("people-who-can-help", "My sister: 07700900001"),
        ("professionals-and-agencies", "Crisis line: 0800 000 0000"),
        ("reasons-for-living", "My dog"),
        ("key-contact", "Nurse (care coordinator)"),
    ]
    assert all(a.detail.code.coding[0].system == SAFETY_PLAN_STEP for a in parsed.activity)
    crisis_line = parsed.activity[4].detail
    assert [(e.url, e.valueBoolean) for e in crisis_line.extension] == [(AVAILABLE_24_7, True)]
    whole = json.dumps(resource).lower()
    for identifier in ("9990000018", "alex", "testperson", "2005-03-14"):
        assert identifier not in whole


def test_a_superseded_safety_plan_version_is_revoked() -> None:
    assert FhirCarePlan.model_validate(safety_plan(safety_row(1, "superseded"))).status == "revoked"


def person(username: str) -> NamedPerson:
    return NamedPerson(
        username=username,
        display_name=username.title(),
        care_team_role=None,
        team="T",
        agency="gp",
        reachable_by=[Channel.email],
    )


def follow_up(status: str = "scheduled", owner: str | None = "drgp") -> FollowUpRead:
    return FollowUpRead.model_validate(
        {
            "id": 1,
            "at": AT + timedelta(hours=30),
            "owner_team": "GP-A",
            "owner": owner,
            "location": "GP surgery",
            "purpose": "First review",
            "status": status,
            "note": None,
            "recorded_by": None,
            "recorded_at": None,
            "within_first_contact_target": True,
        }
    )


def read(**changes: Any) -> DischargePlanRead:
    base: dict[str, Any] = {
        "id": 9,
        "young_person_ref": REF,
        "status": "draft",
        "attendance_id": None,
        "care_coordinator": person("nurse"),
        "lead_social_worker": person("jsmith"),
        "agency_contacts": [person("nurse"), person("jsmith")],
        "follow_ups": [follow_up()],
        "discharge_at": AT,
        "first_contact_hours": 72,
        "first_contact_due_by": AT + timedelta(hours=72),
        "crisis_plan": "Call the duty team",
        "out_of_hours_contacts": [],
        "risk_formulation": None,
        "cnest": CnestLevel(assessment_id=4, level="3", label=LABEL, note="Not a measure of suicide risk"),
        "safety_alerts": SafetyAlerts(),
        "reasonable_adjustments": ["Written copies"],
        "young_person_views": None,
        "family_views": None,
        "agreed_with_young_person": True,
        "legal": Legal(consent_to_share=True),
        "review_date": date(2027, 1, 10),
        "care_plan_version": 2,
        "safety_plan_version": 1,
        "readiness": Readiness(
            ready=False, missing=["a named care coordinator"], warnings=[], first_contact_due_by=AT
        ),
        "created_by": "nurse",
        "created_at": AT,
        "issued_by": None,
        "issued_at": None,
        "distribution": None,
        "reviewed_by": None,
        "reviewed_at": None,
        "review_outcome": None,
        "superseded_by_id": None,
    }
    return DischargePlanRead.model_validate(base | changes)


def _extensions(resource: dict[str, Any]) -> dict[str, Any]:
    return {e["url"]: e for e in resource["extension"]}


def test_a_draft_discharge_plan_carries_follow_ups_coordinator_readiness_and_the_labelled_level() -> None:
    resource = discharge_plan(read())
    parsed = FhirCarePlan.model_validate(resource)
    assert (parsed.status, _codes(resource)) == ("draft", ["discharge-plan"])
    [activity] = parsed.activity
    assert (activity.detail.kind, activity.detail.status, activity.detail.location.display) == (
        "Appointment",
        "scheduled",
        "GP surgery",
    )
    assert [p.identifier.value for p in activity.detail.performer] == ["GP-A", "drgp"]
    extensions = _extensions(resource)
    assert extensions[CARE_COORDINATOR]["valueReference"]["identifier"]["value"] == "nurse"
    readiness = [
        (p["url"], p.get("valueBoolean", p.get("valueString"))) for p in extensions[READINESS]["extension"]
    ]
    assert readiness == [("ready", False), ("missing", "a named care coordinator")]
    level = {p["url"]: p for p in extensions[LEVEL]["extension"]}
    assert level["label"]["valueString"] == LABEL
    assert "level" not in json.dumps(extensions[READINESS]).lower()  # never a discharge gate
    assert [b.identifier.value for b in parsed.basedOn] == [f"{REF}/v2", f"{REF}/v1"]
    assert parsed.supportingInfo[0].identifier.value == "4"
    assert parsed.period.start == AT
    assert {n.text for n in parsed.note} == {
        "Crisis plan: Call the duty team",
        "Reasonable adjustments: Written copies",
    }


def test_an_issued_plan_carries_its_distribution_and_a_missed_follow_up_is_stopped_not_blamed() -> None:
    reached = AT + timedelta(hours=2)
    distribution = Distribution(
        due_by=AT + timedelta(hours=24),
        reached=1,
        named=1,
        all_reached_within_24h=True,
        recipients=[
            Recipient(
                username="drgp",
                named_as=["follow_up_owner"],
                notification_id=5,
                notified_at=AT,
                deliveries=[
                    RecipientDelivery(
                        channel=Channel.email, status=DeliveryStatus.delivered, delivered_at=reached
                    )
                ],
                reached_at=reached,
                reached_within_24h=True,
                acknowledged_at=None,
            )
        ],
    )
    plan = read(
        status="issued",
        issued_by="nurse",
        issued_at=AT,
        readiness=None,
        distribution=distribution,
        cnest=None,
        follow_ups=[follow_up("was_not_brought", owner=None)],
    )
    resource = discharge_plan(plan)
    parsed = FhirCarePlan.model_validate(resource)
    assert parsed.status == "active"
    detail = parsed.activity[0].detail
    assert (detail.status, detail.statusReason.text) == ("stopped", "was not brought")
    extensions = _extensions(resource)
    assert READINESS not in extensions and LEVEL not in extensions
    parts = extensions[DISTRIBUTION]["extension"]
    [recipient] = [p for p in parts if p["url"] == "recipient"]
    assert {p["url"]: p for p in recipient["extension"]}["reachedAt"]["valueDateTime"] == reached.isoformat()
    assert {p["url"]: p.get("valueBoolean") for p in parts}["allReachedWithin24h"] is True
