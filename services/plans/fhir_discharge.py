"""FHIR R4 export of a multi-agency discharge plan as a `CarePlan` (category `discharge-plan`), checked with
the `fhir.resources` R4B model. Pure: built from the read model (`DischargePlanRead`), no I/O.

- `status`: draft -> `draft`, issued and reviewed -> `active`, superseded -> `revoked`; `period.start` the
  discharge; `basedOn` the care plan and safety plan versions it was issued with (by identifier);
  `supportingInfo` the needs assessment (a QuestionnaireResponse, by identifier).
- Each follow-up appointment is an activity (`detail.kind` `Appointment`, `scheduledPeriod.start` when,
  `location.display` where, `performer` the named owner and the owning team). was_not_brought and
  did_not_attend are `stopped` with the words in `statusReason`: never blame the child.
- The care coordinator and lead social worker are extensions holding Practitioner references; agency
  contacts are `contributor`s; readiness (drafts), the review date and the distribution list (issued:
  who was reached when, against the 24 h of NICE QS159) are extensions.
- The CNEST level appears only as what it is: the likelihood of Tier 4 admission, placement breakdown or
  custody, in the same extension as the assessment export. It is never a readiness criterion, and never
  called a risk (NICE NG225).
- Free-text sections (crisis plan, out-of-hours contacts, risk formulation, safety alerts, reasonable
  adjustments, views, legal notes) are `note`s, each starting with its heading.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan

from schemas.api.plans import DischargePlanRead, DischargePlanStatus, FollowUpRead, FollowUpStatus
from services.assessments.fhir import ASSESSMENT_SYSTEM, BASE, LEVEL
from services.people.fhir import care_team_identifier, instant, staff, subject, team
from services.plans.fhir import CONSENT_TO_SHARE, LAWFUL_BASIS, REVIEW_DATE, category, plan_identifier

DISCHARGE_PLAN_SYSTEM = "https://liaison.example/Id/discharge-plan"
CARE_COORDINATOR = f"{BASE}/StructureDefinition/care-coordinator"
LEAD_SOCIAL_WORKER = f"{BASE}/StructureDefinition/lead-social-worker"
FIRST_CONTACT = f"{BASE}/StructureDefinition/first-contact-due-by"
READINESS = f"{BASE}/StructureDefinition/discharge-readiness"
DISTRIBUTION = f"{BASE}/StructureDefinition/discharge-distribution"

STATUS = {
    DischargePlanStatus.draft: "draft",
    DischargePlanStatus.issued: "active",
    DischargePlanStatus.reviewed: "active",
    DischargePlanStatus.superseded: "revoked",
}
FOLLOW_UP_STATUS = {
    FollowUpStatus.scheduled: "scheduled",
    FollowUpStatus.attended: "completed",
    FollowUpStatus.was_not_brought: "stopped",
    FollowUpStatus.did_not_attend: "stopped",
    FollowUpStatus.cancelled: "cancelled",
}


def _follow_up(f: FollowUpRead) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "kind": "Appointment",
        "status": FOLLOW_UP_STATUS[f.status],
        "scheduledPeriod": {"start": instant(f.at)},
        "location": {"display": f.location},
        "performer": [team(f.owner_team)] + ([staff(f.owner)] if f.owner else []),
    }
    if f.purpose:
        detail["description"] = f.purpose
    if f.status in (FollowUpStatus.was_not_brought, FollowUpStatus.did_not_attend, FollowUpStatus.cancelled):
        detail["statusReason"] = {"text": f.status.value.replace("_", " ")}
    activity: dict[str, Any] = {"detail": detail}
    if f.note:
        activity["progress"] = [{"text": f.note}]
    return activity


def _part(url: str, key: str, value: Any) -> dict[str, Any]:
    return {"url": url, key: value}


def _readiness(plan: DischargePlanRead) -> dict[str, Any] | None:
    if plan.readiness is None:
        return None
    parts = [_part("ready", "valueBoolean", plan.readiness.ready)]
    parts += [_part("missing", "valueString", m) for m in plan.readiness.missing]
    parts += [_part("warning", "valueString", w) for w in plan.readiness.warnings]
    return {"url": READINESS, "extension": parts}


def _distribution(plan: DischargePlanRead) -> dict[str, Any] | None:
    found = plan.distribution
    if found is None:
        return None
    parts = [
        _part("dueBy", "valueDateTime", instant(found.due_by)),
        _part("reached", "valueInteger", found.reached),
        _part("named", "valueInteger", found.named),
    ]
    if found.all_reached_within_24h is not None:
        parts.append(_part("allReachedWithin24h", "valueBoolean", found.all_reached_within_24h))
    for r in found.recipients:
        recipient = [_part("who", "valueReference", staff(r.username))]
        recipient += [_part("namedAs", "valueCode", n) for n in r.named_as]
        for name, moment in (("reachedAt", r.reached_at), ("acknowledgedAt", r.acknowledged_at)):
            if moment is not None:
                recipient.append(_part(name, "valueDateTime", instant(moment)))
        parts.append({"url": "recipient", "extension": recipient})
    return {"url": DISTRIBUTION, "extension": parts}


def _cnest(plan: DischargePlanRead) -> dict[str, Any] | None:
    if plan.cnest is None:
        return None
    return {
        "url": LEVEL,
        "extension": [
            _part("level", "valueCode", plan.cnest.level),
            _part("label", "valueString", plan.cnest.label),
            _part("note", "valueString", plan.cnest.note),
        ],
    }


def _notes(plan: DischargePlanRead) -> list[dict[str, str]]:
    sections: list[tuple[str, str | None]] = [
        ("Crisis plan", plan.crisis_plan),
        (
            "Out-of-hours contacts",
            "; ".join(
                " ".join(filter(None, (c.name, c.phone, f"({c.when})" if c.when else None)))
                for c in plan.out_of_hours_contacts
            ),
        ),
        ("Risk formulation", plan.risk_formulation),
        ("Risk to self", plan.safety_alerts.risk_to_self),
        ("Risk to others", plan.safety_alerts.risk_to_others),
        ("Risk from others", plan.safety_alerts.risk_from_others),
        ("Reasonable adjustments", "; ".join(plan.reasonable_adjustments)),
        ("Young person's views", plan.young_person_views),
        ("Family's views", plan.family_views),
        ("Gillick competence / MCA", plan.legal.gillick_mca_notes),
        ("Mental Health Act status", plan.legal.mha_status),
        ("Safeguarding actions", "; ".join(plan.legal.safeguarding_actions)),
    ]
    return [{"text": f"{heading}: {text}"} for heading, text in sections if text]


def discharge_identifier(plan_id: int) -> dict[str, str]:
    return {"system": DISCHARGE_PLAN_SYSTEM, "value": str(plan_id)}


def discharge_plan(plan: DischargePlanRead) -> dict[str, Any]:
    """The discharge plan as an R4 CarePlan (see the module notes for the mapping)."""
    ref = plan.young_person_ref
    author = plan.issued_by or plan.created_by
    extensions: list[dict[str, Any]] = []
    for url, person in (
        (CARE_COORDINATOR, plan.care_coordinator),
        (LEAD_SOCIAL_WORKER, plan.lead_social_worker),
    ):
        if person is not None:
            extensions.append({"url": url, "valueReference": staff(person.username, person.display_name)})
    if plan.first_contact_due_by is not None:
        extensions.append({"url": FIRST_CONTACT, "valueDateTime": instant(plan.first_contact_due_by)})
    if plan.review_date is not None:
        extensions.append({"url": REVIEW_DATE, "valueDate": plan.review_date.isoformat()})
    if plan.legal.consent_to_share is not None:
        extensions.append({"url": CONSENT_TO_SHARE, "valueBoolean": plan.legal.consent_to_share})
    if plan.legal.lawful_basis:
        extensions.append({"url": LAWFUL_BASIS, "valueString": plan.legal.lawful_basis})
    extensions += [e for e in (_readiness(plan), _distribution(plan), _cnest(plan)) if e is not None]
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": f"discharge-plan-{plan.id}",
        "identifier": [discharge_identifier(plan.id)],
        "status": STATUS[plan.status],
        "intent": "plan",
        "category": [category("discharge-plan")],
        "title": f"Discharge plan {plan.id}",
        "subject": subject(ref),
        "created": instant(plan.issued_at or plan.created_at),
        "author": staff(author),
        "careTeam": [{"type": "CareTeam", "identifier": care_team_identifier(ref)}],
        "extension": extensions,
    }
    if plan.discharge_at is not None:
        resource["period"] = {"start": instant(plan.discharge_at)}
    based_on = [
        {"type": "CarePlan", "identifier": plan_identifier(kind, ref, version)}
        for kind, version in (
            ("care-plan", plan.care_plan_version),
            ("safety-plan", plan.safety_plan_version),
        )
        if version is not None
    ]
    if based_on:
        resource["basedOn"] = based_on
    if plan.cnest is not None:
        resource["supportingInfo"] = [
            {
                "type": "QuestionnaireResponse",
                "identifier": {"system": ASSESSMENT_SYSTEM, "value": str(plan.cnest.assessment_id)},
            }
        ]
    if plan.agency_contacts:
        resource["contributor"] = [staff(p.username, p.display_name) for p in plan.agency_contacts]
    if plan.follow_ups:
        resource["activity"] = [_follow_up(f) for f in plan.follow_ups]
    notes = _notes(plan)
    if notes:
        resource["note"] = notes
    FhirCarePlan.model_validate(resource)
    return resource
