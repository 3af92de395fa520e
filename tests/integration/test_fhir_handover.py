"""FHIR R4 exports through the API: the safety plan and the discharge plan as CarePlans, the care team as a
CareTeam, the safeguarding flags as Flags, and the handover Bundle a receiving local authority reads when
a case transfers. Each is parsed back with fhir.resources R4B, audited once, and refused (and audited) for
anyone outside the case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.careteam import CareTeam

from schemas.enums import Role
from services.assessments.fhir import LEVEL
from services.kernel.clock import utcnow
from services.plans.fhir import PLAN_KIND
from services.plans.fhir_discharge import CARE_COORDINATOR, DISTRIBUTION, READINESS
from tests.integration.conftest import (
    Case,
    Person,
    World,
    add_care_coordinator,
    attendance,
    audit_events,
    complete_assessment,
)
from tests.integration.test_closures import _answer, _decide, _propose, camhs
from tests.integration.test_plans import CARE_PLAN, SAFETY_PLAN, discharge_plan, gp, post

__all__ = ["camhs", "gp"]  # fixtures shared with test_closures and test_plans
FHIR_JSON = "application/fhir+json"
IDENTIFIERS = ("9990000018", "alex", "testperson", "2005-03-14")
LABEL = "Likelihood of Tier 4 admission, placement breakdown or custody"


def _get(client: TestClient, person: Person, path: str) -> Any:
    answer = client.get(path, headers=person.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    for identifier in IDENTIFIERS:
        assert identifier not in answer.text.lower(), identifier
    return answer.json()


def _kind(resource: dict[str, Any]) -> str:
    return str(next(c["code"] for c in resource["category"][0]["coding"] if c["system"] == PLAN_KIND))


def _outsider(world: World) -> Person:
    world.team("OTHER-LIA", la=None)
    return world.user("outsider", role=Role.liaison, team="OTHER-LIA")


def test_the_safety_plan_exports_versioned_and_told_apart_from_the_care_plan(
    client: TestClient, world: World, case: Case
) -> None:
    nurse = add_care_coordinator(client, world, case)
    base = f"/api/v1/young-people/{case.ref}"
    assert client.get(f"{base}/safety-plan/fhir", headers=nurse.headers).status_code == 404
    [asked] = audit_events(action="safety_plan.export_fhir")  # that there is none is audited too
    assert asked.young_person_ref == case.ref
    assert post(client, nurse, f"{base}/care-plan", CARE_PLAN).status_code == 201
    assert post(client, nurse, f"{base}/safety-plan", SAFETY_PLAN).status_code == 201
    changed = SAFETY_PLAN | {"reasons_for_living": ["My dog", "My sister"]}
    assert client.put(f"{base}/safety-plan", json=changed, headers=nurse.headers).status_code == 200

    current = _get(client, case.social_worker, f"{base}/safety-plan/fhir")
    parsed = CarePlan.model_validate(current)
    assert (parsed.meta.versionId, parsed.status, _kind(current)) == ("2", "active", "safety-plan")
    assert parsed.subject.identifier.value == case.ref
    assert parsed.replaces[0].identifier.value == f"{case.ref}/v1"
    reasons = [
        a.detail.description for a in parsed.activity if a.detail.code.coding[0].code == "reasons-for-living"
    ]
    assert reasons == ["My dog", "My sister"]
    assert _kind(_get(client, case.social_worker, f"{base}/care-plan/fhir")) == "care-plan"
    first = _get(client, case.social_worker, f"{base}/safety-plan/versions/1/fhir")
    assert (first["meta"]["versionId"], first["status"]) == ("1", "revoked")
    assert [(e.outcome, e.detail) for e in audit_events(action="safety_plan.export_fhir")] == [
        ("allowed", {"version": None, "found": False}),
        ("allowed", {"version": 2}),
        ("allowed", {"version": 1}),
    ]
    assert client.get(f"{base}/safety-plan/fhir", headers=_outsider(world).headers).status_code == 403
    assert audit_events(action="safety_plan.export_fhir", outcome="denied")[0].actor_username == "outsider"


def test_the_discharge_plan_exports_with_follow_ups_readiness_distribution_and_the_labelled_level(
    client: TestClient, world: World, case: Case, gp: Person
) -> None:
    nurse = add_care_coordinator(client, world, case)
    base = f"/api/v1/young-people/{case.ref}"
    assessment_id = complete_assessment(client, nurse, case.ref)
    post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    plan = post(client, nurse, f"{base}/discharge-plans", discharge_plan(care_coordinator=None)).json()

    draft = _get(client, case.social_worker, f"{base}/discharge-plans/{plan['id']}/fhir")
    parsed = CarePlan.model_validate(draft)
    assert (parsed.status, _kind(draft)) == ("draft", "discharge-plan")
    [activity] = parsed.activity
    assert (activity.detail.kind, activity.detail.status, activity.detail.location.display) == (
        "Appointment",
        "scheduled",
        "GP surgery",
    )
    extensions = {e["url"]: e for e in draft["extension"]}
    assert CARE_COORDINATOR not in extensions
    readiness = {
        p["url"]: p.get("valueBoolean", p.get("valueString")) for p in extensions[READINESS]["extension"]
    }
    assert readiness["ready"] is False and readiness["missing"].startswith("a named care coordinator")
    level = {p["url"]: p for p in extensions[LEVEL]["extension"]}
    assert level["label"]["valueString"] == LABEL
    assert parsed.supportingInfo[0].identifier.value == str(assessment_id)

    client.patch(
        f"{base}/discharge-plans/{plan['id']}", json={"care_coordinator": "nurse"}, headers=nurse.headers
    )
    assert post(client, nurse, f"{base}/discharge-plans/{plan['id']}/issue").status_code == 200
    issued = _get(client, case.social_worker, f"{base}/discharge-plans/{plan['id']}/fhir")
    extensions = {e["url"]: e for e in issued["extension"]}
    assert issued["status"] == "active" and READINESS not in extensions
    assert extensions[CARE_COORDINATOR]["valueReference"]["identifier"]["value"] == "nurse"
    recipients = [p for p in extensions[DISTRIBUTION]["extension"] if p["url"] == "recipient"]
    assert sorted(r["extension"][0]["valueReference"]["identifier"]["value"] for r in recipients) == [
        "drgp",
        "jsmith",
        "nurse",
    ]
    assert [e.detail for e in audit_events(action="discharge_plan.export_fhir")] == [
        {"discharge_plan_id": plan["id"]}
    ] * 2
    outsider = _outsider(world)
    refused = client.get(f"{base}/discharge-plans/{plan['id']}/fhir", headers=outsider.headers)
    assert refused.status_code == 403
    assert audit_events(action="discharge_plan.export_fhir", outcome="denied")[0].actor_username == "outsider"


def test_the_care_team_export_keeps_a_member_who_left_with_the_end_of_their_period(
    client: TestClient, world: World, case: Case, camhs: Person
) -> None:
    nurse = add_care_coordinator(client, world, case)
    closure = _propose(client, case, camhs, reason="moved_away")
    _answer(client, closure["id"], nurse, "agree")
    _answer(client, closure["id"], case.social_worker, "agree")
    decided = _decide(client, closure["id"], camhs)
    assert decided.status_code == 200, decided.text

    resource = _get(client, case.lead, f"/api/v1/young-people/{case.ref}/care-team/fhir")
    parsed = CareTeam.model_validate(resource)
    rows = [
        (p.member.identifier.value, p.role[0].coding[0].code, p.period.end is None)
        for p in parsed.participant
    ]
    assert rows == [
        ("jsmith", "lead_social_worker", True),
        ("nurse", "care_coordinator", True),
        ("camhs1", "camhs", False),
    ]
    left = parsed.participant[2].period
    assert left.start is not None and left.end >= left.start
    assert sorted(o.identifier.value for o in parsed.managingOrganization) == ["CEC-CSC", "RBT-LIA"]
    [event] = audit_events(action="care_team.export_fhir")
    assert event.detail == {"members": ["jsmith", "nurse", "camhs1"]}


def _flags(client: TestClient, person: Person, ref: str) -> list[tuple[str, str]]:
    bundle = _get(client, person, f"/api/v1/young-people/{ref}/flags/fhir")
    Bundle.model_validate(bundle)
    return [
        (e["resource"]["code"]["coding"][0]["code"], e["resource"]["status"]) for e in bundle.get("entry", [])
    ]


def test_flags_follow_the_record(client: TestClient, world: World, case: Case) -> None:
    assert _flags(client, case.lead, case.ref) == [("cp-plan", "active"), ("no-care-coordinator", "active")]
    now = utcnow()
    for n, days in enumerate((20, 2), start=1):
        at = (now - timedelta(days=days)).isoformat()
        sent = client.post(
            "/api/v1/attendances", json=attendance(f"V{n}", arrived_at=at), headers=case.hospital.headers
        )
        assert sent.status_code == 202, sent.text
    add_care_coordinator(client, world, case)
    moved = client.patch(
        f"/api/v1/young-people/{case.ref}", json={"residence_la": "MAN"}, headers=case.lead.headers
    )
    assert moved.status_code == 200, moved.text
    found = _flags(client, case.lead, case.ref)
    assert found[:3] == [
        ("cp-plan", "active"),
        ("repeat-attendance", "active"),
        ("transfer-in-progress", "active"),
    ]
    assert ("no-care-coordinator", "active") not in found  # a coordinator has joined
    assert audit_events(action="flags.export_fhir")[-1].detail["resources"][0] == "Flag/flag-cp-plan-1"


@pytest.fixture
def receiving_lead(world: World) -> Person:
    world.team("MAN-SG", la="MAN")
    return world.user("man.lead", role=Role.safeguarding_lead, team="MAN-SG")


def test_the_receiving_authority_reads_the_handover_bundle_and_an_unrelated_one_is_refused(
    client: TestClient, world: World, case: Case, gp: Person, receiving_lead: Person
) -> None:
    nurse = add_care_coordinator(client, world, case)
    base = f"/api/v1/young-people/{case.ref}"
    assessment_id = complete_assessment(client, nurse, case.ref)
    post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    post(client, nurse, f"{base}/safety-plan", SAFETY_PLAN)
    plan = post(client, nurse, f"{base}/discharge-plans", discharge_plan()).json()
    assert post(client, nurse, f"{base}/discharge-plans/{plan['id']}/issue").status_code == 200
    later = post(client, nurse, f"{base}/discharge-plans", discharge_plan()).json()  # a newer draft
    assert client.get(f"{base}/fhir/$handover", headers=receiving_lead.headers).status_code == 403
    moved = client.patch(base, json={"responsible_la": "MAN"}, headers=case.lead.headers)
    assert moved.status_code == 200, moved.text

    bundle = _get(client, receiving_lead, f"{base}/fhir/$handover")
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    resources = [e["resource"] for e in bundle["entry"]]
    kinds = [(r["resourceType"], _kind(r) if r["resourceType"] == "CarePlan" else None) for r in resources]
    assert kinds[:5] == [
        ("CareTeam", None),
        ("CarePlan", "care-plan"),
        ("CarePlan", "safety-plan"),
        ("CarePlan", "discharge-plan"),
        ("QuestionnaireResponse", None),
    ]
    assert resources[3]["id"] == f"discharge-plan-{plan['id']}" != f"discharge-plan-{later['id']}"
    flags = [r["code"]["coding"][0]["code"] for r in resources[5:]]
    assert flags == ["cp-plan", "transfer-in-progress"]
    assert all(r["status"] == "active" for r in resources[5:])
    assert "Patient" not in {r["resourceType"] for r in resources}
    assert all(r["subject"]["identifier"]["value"] == case.ref for r in resources)

    [event] = audit_events(action="young_person.export_fhir_handover", outcome="allowed")
    assert (event.actor_username, event.young_person_ref) == ("man.lead", case.ref)
    assert event.detail["resources"] == [f"{r['resourceType']}/{r['id']}" for r in resources]
    assert (event.detail["discharge_plan_id"], event.detail["assessment_id"]) == (plan["id"], assessment_id)
    assert event.detail["flags"] == ["cp-plan", "transfer-in-progress"]

    world.team("LIV-SG", la="LIV")
    unrelated = world.user("liv.lead", role=Role.safeguarding_lead, team="LIV-SG")
    assert client.get(f"{base}/fhir/$handover", headers=unrelated.headers).status_code == 403
    denied = audit_events(action="young_person.export_fhir_handover", outcome="denied")
    assert [e.actor_username for e in denied] == ["man.lead", "liv.lead"]


def test_while_an_assessment_is_being_amended_the_handover_carries_the_version_it_amends(
    client: TestClient, world: World, case: Case
) -> None:
    nurse = add_care_coordinator(client, world, case)
    base = f"/api/v1/young-people/{case.ref}"
    empty = _get(client, case.lead, f"{base}/fhir/$handover")
    assert [e["resource"]["resourceType"] for e in empty["entry"]] == [
        "CareTeam",
        "Flag",
    ]  # CP plan flag only
    first = complete_assessment(client, nurse, case.ref)
    assert post(client, nurse, f"/api/v1/assessments/{first}/amend").status_code == 201
    bundle = _get(client, case.lead, f"{base}/fhir/$handover")
    [response] = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert (response["id"], response["status"]) == (f"assessment-{first}", "amended")
