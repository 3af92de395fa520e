"""FHIR R4 export of a care plan version as a `CarePlan`, checked with the `fhir.resources` R4B model.

Pure: no I/O. The young person is the subject by opaque `ref` only (never the NHS number, name or birth
date). Aims and long-term goals are contained `Goal` resources; each intervention is an activity whose
performer is its owner or owning team. What FHIR has no element for (made jointly with the young person,
consent to share, the review date) travels in liaison extensions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan

from services.assessments.fhir import BASE, MEDIA_TYPE, YOUNG_PERSON_SYSTEM
from services.plans.models import CarePlan
from services.plans.schemas import InterventionStatus, VersionStatus

__all__ = ["MEDIA_TYPE", "care_plan"]

CARE_PLAN_SYSTEM = "https://liaison.example/Id/care-plan-version"
MADE_JOINTLY = f"{BASE}/StructureDefinition/made-jointly-with-young-person"
CONSENT_TO_SHARE = f"{BASE}/StructureDefinition/consent-to-share"
LAWFUL_BASIS = f"{BASE}/StructureDefinition/lawful-basis"
REVIEW_DATE = f"{BASE}/StructureDefinition/review-date"

STATUS = {VersionStatus.current: "active", VersionStatus.superseded: "revoked"}
ACTIVITY_STATUS = {
    InterventionStatus.requested: "not-started",
    InterventionStatus.planned: "scheduled",
    InterventionStatus.in_progress: "in-progress",
    InterventionStatus.completed: "completed",
    InterventionStatus.cancelled: "cancelled",
}


def _subject(ref: str) -> dict[str, Any]:
    return {"type": "Patient", "identifier": {"system": YOUNG_PERSON_SYSTEM, "value": ref}}


def _identifier(ref: str, version: int) -> dict[str, str]:
    return {"system": CARE_PLAN_SYSTEM, "value": f"{ref}/v{version}"}


def _activity(intervention: dict[str, Any]) -> dict[str, Any]:
    performer = intervention.get("owner") or intervention.get("owning_team") or intervention.get("agency")
    detail: dict[str, Any] = {
        "status": ACTIVITY_STATUS[InterventionStatus(intervention.get("status", "planned"))],
        "description": intervention["action"],
        "performer": [{"display": str(performer)}],
    }
    if intervention.get("due_date"):
        detail["scheduledPeriod"] = {"end": intervention["due_date"]}
    activity: dict[str, Any] = {"detail": detail}
    if intervention.get("outcome"):
        activity["outcomeCodeableConcept"] = [{"text": intervention["outcome"]}]
    return activity


def care_plan(plan: CarePlan, *, previous_version: int | None = None) -> dict[str, Any]:
    """One care plan version as an R4 CarePlan (`replaces` names the version it superseded)."""
    content = plan.content
    ref = plan.young_person.ref
    goals = [
        {
            "resourceType": "Goal",
            "id": f"{kind}-{n}",
            "lifecycleStatus": "active",
            "category": [{"text": "aim" if kind == "aim" else "long-term goal"}],
            "description": {"text": text},
            "subject": _subject(ref),
        }
        for kind, texts in (("aim", content.get("aims", [])), ("goal", content.get("long_term_goals", [])))
        for n, text in enumerate(texts, start=1)
    ]
    sharing = content.get("sharing") or {}
    extensions: list[dict[str, Any]] = [
        {"url": MADE_JOINTLY, "valueBoolean": bool(content.get("made_jointly_with_young_person"))},
        {"url": REVIEW_DATE, "valueDate": plan.review_date.isoformat()},
    ]
    if sharing.get("consent_to_share") is not None:
        extensions.append({"url": CONSENT_TO_SHARE, "valueBoolean": sharing["consent_to_share"]})
    if sharing.get("lawful_basis"):
        extensions.append({"url": LAWFUL_BASIS, "valueString": sharing["lawful_basis"]})
    notes = [
        {"text": f"{who} views: {content[field]}"}
        for who, field in (("Young person's", "young_person_views"), ("Family's", "family_views"))
        if content.get(field)
    ]
    recorded = plan.recorded_at.astimezone(UTC) if plan.recorded_at.tzinfo else plan.recorded_at
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": f"care-plan-{plan.id}",
        "identifier": [_identifier(ref, plan.version)],
        "status": STATUS[VersionStatus(plan.status)],
        "intent": "plan",
        "category": [{"text": "Care plan (NICE NG225)"}],
        "title": f"Care plan version {plan.version}",
        "subject": _subject(ref),
        "created": _instant(recorded),
        "author": {"display": plan.recorded_by.username},
        "extension": extensions,
    }
    if goals:
        resource["contained"] = goals
        resource["goal"] = [{"reference": f"#{g['id']}"} for g in goals]
    activities = [_activity(i) for i in content.get("interventions", [])]
    if activities:
        resource["activity"] = activities
    if notes:
        resource["note"] = notes
    if previous_version is not None:
        resource["replaces"] = [{"identifier": _identifier(ref, previous_version)}]
    FhirCarePlan.model_validate(resource)
    return resource


def _instant(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
