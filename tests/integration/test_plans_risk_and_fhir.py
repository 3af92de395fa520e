"""A discharge plan shows the CNEST level labelled for what it is, and never lets it decide issue; the care
plan exports as a FHIR R4 CarePlan."""

from __future__ import annotations

from fastapi.testclient import TestClient
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan

from schemas.enums import Role
from tests.integration.conftest import Case, Person, World, audit_events, default_answers, start_and_answer
from tests.integration.test_plans import CARE_PLAN, discharge_plan, gp, nurse, post

__all__ = ["gp", "nurse"]  # fixtures shared with test_plans


def test_the_cnest_level_is_shown_labelled_and_does_not_decide_issue(
    client: TestClient, case: Case, nurse: Person, gp: Person
) -> None:
    assessment_id = start_and_answer(client, nurse, case.ref, default_answers())
    done = post(client, nurse, f"/api/v1/assessments/{assessment_id}/complete", {"formulation": "Settled."})
    assert done.status_code == 200, done.text
    base = f"/api/v1/young-people/{case.ref}"
    post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    plan = post(client, nurse, f"{base}/discharge-plans", discharge_plan(care_coordinator=None)).json()
    cnest = plan["cnest"]
    assert (cnest["assessment_id"], cnest["level"]) == (assessment_id, done.json()["level"])
    assert cnest["label"] == "Likelihood of Tier 4 admission, placement breakdown or custody"
    assert "not a measure of suicide or self-harm risk" in cnest["note"]
    # the level neither blocks nor allows issue: the missing care coordinator does
    assert [m.split(" (")[0] for m in plan["readiness"]["missing"]] == ["a named care coordinator"]
    named = client.patch(
        f"{base}/discharge-plans/{plan['id']}", json={"care_coordinator": "nurse"}, headers=nurse.headers
    )
    assert named.json()["readiness"]["ready"] is True


def test_the_care_plan_exports_as_fhir_and_the_export_is_audited(
    client: TestClient, world: World, case: Case, nurse: Person
) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    client.put(f"{base}/care-plan", json=CARE_PLAN | {"aims": ["Back to college"]}, headers=nurse.headers)
    answer = client.get(f"{base}/care-plan/fhir", headers=case.social_worker.headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/fhir+json")
    parsed = FhirCarePlan.model_validate(answer.json())
    assert (parsed.status, parsed.subject.identifier.value) == ("active", case.ref)
    assert parsed.replaces[0].identifier.value == f"{case.ref}/v1"
    assert "9990000018" not in answer.text and "Testperson" not in answer.text
    old = client.get(f"{base}/care-plan/versions/1/fhir", headers=case.social_worker.headers).json()
    assert old["status"] == "revoked"
    assert [e.outcome for e in audit_events(action="care_plan.export_fhir")] == ["allowed", "allowed"]
    world.team("OTHER-LIA", la=None)
    outsider = world.user("outsider", role=Role.liaison, team="OTHER-LIA")
    assert client.get(f"{base}/care-plan/fhir", headers=outsider.headers).status_code == 403
    assert audit_events(action="care_plan.export_fhir", outcome="denied")[0].actor_username == "outsider"
