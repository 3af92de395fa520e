"""FHIR R4 export of a care plan version and of a safety plan version, each as a `CarePlan` checked with
the `fhir.resources` R4B model. The discharge plan is in `fhir_discharge.py`.

Pure: no I/O. The young person is the subject by opaque `ref` only (never the NHS number, name or birth
date). `category` says which plan it is (a liaison code: `care-plan`, `safety-plan`, `discharge-plan`) and
`meta.versionId` which version. Care plan: aims and long-term goals are contained `Goal` resources; each
intervention is an activity whose performer is its owner or owning team. Safety plan: each item of each
Stanley-Brown step is an activity whose `detail.code` names the step, in the young person's own words.
What FHIR has no element for (made jointly with the young person, consent to share, the review date)
travels in liaison extensions.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan

from schemas.api.plans import InterventionStatus, VersionStatus
from services.assessments.fhir import BASE, MEDIA_TYPE
from services.people.fhir import instant, subject
from services.plans.models import CarePlan, SafetyPlan

__all__ = ["MEDIA_TYPE", "care_plan", "safety_plan"]

CARE_PLAN_SYSTEM = "https://liaison.example/Id/care-plan-version"
SAFETY_PLAN_SYSTEM = "https://liaison.example/Id/safety-plan-version"
PLAN_KIND = f"{BASE}/CodeSystem/plan-kind"
SAFETY_PLAN_STEP = f"{BASE}/CodeSystem/safety-plan-step"
MADE_JOINTLY = f"{BASE}/StructureDefinition/made-jointly-with-young-person"
CONSENT_TO_SHARE = f"{BASE}/StructureDefinition/consent-to-share"
LAWFUL_BASIS = f"{BASE}/StructureDefinition/lawful-basis"
REVIEW_DATE = f"{BASE}/StructureDefinition/review-date"
IN_OWN_WORDS = f"{BASE}/StructureDefinition/in-young-persons-own-words"
AGREED = f"{BASE}/StructureDefinition/agreed-with-young-person"
AVAILABLE_24_7 = f"{BASE}/StructureDefinition/available-24-7"

PLAN_KINDS = {
    "care-plan": "Care plan (NICE NG225)",
    "safety-plan": "Safety plan (Stanley-Brown)",
    "discharge-plan": "Multi-agency discharge plan",
}
# The Stanley-Brown steps in the order the young person works through them, then the UK key contact.
SAFETY_STEPS = (
    ("warning_signs", "warning-signs", "Warning signs"),
    ("internal_coping_strategies", "internal-coping-strategies", "Internal coping strategies"),
    ("people_and_places_for_distraction", "distraction", "People and places for distraction"),
    ("people_who_can_help", "people-who-can-help", "People who can help"),
    ("professionals_and_agencies", "professionals-and-agencies", "Professionals and agencies"),
    ("making_the_environment_safe", "making-the-environment-safe", "Making the environment safe"),
    ("reasons_for_living", "reasons-for-living", "Reasons for living"),
    ("key_contact", "key-contact", "Key contact"),
)

STATUS = {VersionStatus.current: "active", VersionStatus.superseded: "revoked"}
ACTIVITY_STATUS = {
    InterventionStatus.requested: "not-started",
    InterventionStatus.planned: "scheduled",
    InterventionStatus.in_progress: "in-progress",
    InterventionStatus.completed: "completed",
    InterventionStatus.cancelled: "cancelled",
}


def _identifier(ref: str, version: int, system: str = CARE_PLAN_SYSTEM) -> dict[str, str]:
    return {"system": system, "value": f"{ref}/v{version}"}


def plan_identifier(kind: str, ref: str, version: int) -> dict[str, str]:
    """The business identifier of a care plan or safety plan version (`kind` as in PLAN_KINDS)."""
    return _identifier(ref, version, SAFETY_PLAN_SYSTEM if kind == "safety-plan" else CARE_PLAN_SYSTEM)


def category(kind: str) -> dict[str, Any]:
    """Which plan this is, as a liaison code (no SNOMED CT concept for a safety plan is verified)."""
    return {
        "coding": [{"system": PLAN_KIND, "code": kind, "display": PLAN_KINDS[kind]}],
        "text": PLAN_KINDS[kind],
    }


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
            "subject": subject(ref),
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
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": f"care-plan-{plan.id}",
        "identifier": [_identifier(ref, plan.version)],
        "meta": {"versionId": str(plan.version)},
        "status": STATUS[VersionStatus(plan.status)],
        "intent": "plan",
        "category": [category("care-plan")],
        "title": f"Care plan version {plan.version}",
        "subject": subject(ref),
        "created": instant(plan.recorded_at),
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


def _contact(contact: dict[str, Any]) -> str:
    words = contact["name"]
    if contact.get("relationship"):
        words += f" ({contact['relationship']})"
    if contact.get("phone"):
        words += f": {contact['phone']}"
    return str(words)


def _step_activities(content: dict[str, Any]) -> list[dict[str, Any]]:
    activities = []
    for field, code, display in SAFETY_STEPS:
        items = content.get(field) or []
        for item in items if isinstance(items, list) else [items]:
            detail: dict[str, Any] = {
                "code": {"coding": [{"system": SAFETY_PLAN_STEP, "code": code, "display": display}]},
                "status": "not-started",
                "description": _contact(item) if isinstance(item, dict) else item,
            }
            if isinstance(item, dict) and item.get("available_24_7"):
                detail["extension"] = [{"url": AVAILABLE_24_7, "valueBoolean": True}]
            activities.append({"detail": detail})
    return activities


def safety_plan(plan: SafetyPlan, *, previous_version: int | None = None) -> dict[str, Any]:
    """One safety plan version as an R4 CarePlan: every item of every step is an activity (`detail.code` the
    step, `detail.description` the young person's words, `status` `not-started`: the plan says what to do
    when the warning signs come, nothing is scheduled). `replaces` names the version it superseded."""
    content = plan.content
    ref = plan.young_person.ref
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": f"safety-plan-{plan.id}",
        "meta": {"versionId": str(plan.version)},
        "identifier": [plan_identifier("safety-plan", ref, plan.version)],
        "status": STATUS[VersionStatus(plan.status)],
        "intent": "plan",
        "category": [category("safety-plan")],
        "title": f"Safety plan version {plan.version}",
        "subject": subject(ref),
        "created": instant(plan.recorded_at),
        "author": {"display": plan.recorded_by.username},
        "extension": [
            {"url": IN_OWN_WORDS, "valueBoolean": bool(content.get("in_own_words", True))},
            {"url": AGREED, "valueBoolean": bool(content.get("agreed_with_young_person"))},
            {"url": REVIEW_DATE, "valueDate": plan.review_date.isoformat()},
        ],
    }
    activities = _step_activities(content)
    if activities:
        resource["activity"] = activities
    if previous_version is not None:
        resource["replaces"] = [{"identifier": plan_identifier("safety-plan", ref, previous_version)}]
    FhirCarePlan.model_validate(resource)
    return resource
