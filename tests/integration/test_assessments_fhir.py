"""FHIR R4 export through the API: a template version as a Questionnaire, a completed assessment as a
QuestionnaireResponse that fhir.resources R4B parses back; reads are audited, outsiders refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from schemas.checklists import bundled_templates
from schemas.enums import Role
from services.assessments import fhir
from tests.integration.conftest import (
    Case,
    Person,
    World,
    add_care_coordinator,
    audit_events,
    complete_assessment,
    default_answers,
)

TEMPLATE = bundled_templates()[0]
FHIR_JSON = "application/fhir+json"


def _answers() -> dict[str, Any]:
    overrides = {"a.self_harm": "once", "b.engagement": "mostly_missed", "b.engagement_reasons": "Shifts"}
    return default_answers(overrides, score=1)


@pytest.fixture
def nurse(client: TestClient, world: World, case: Case) -> Person:
    return add_care_coordinator(client, world, case)


def test_a_template_version_is_served_as_a_questionnaire(client: TestClient, nurse: Person) -> None:
    got = client.get(
        f"/api/v1/assessment-templates/{TEMPLATE.id}/versions/{TEMPLATE.version}/fhir", headers=nurse.headers
    )
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith(FHIR_JSON)
    parsed = Questionnaire.model_validate(got.json())
    assert (parsed.url, parsed.version) == (fhir.canonical_url(TEMPLATE), str(TEMPLATE.version))
    missing = client.get(
        f"/api/v1/assessment-templates/{TEMPLATE.id}/versions/99/fhir", headers=nurse.headers
    )
    assert missing.status_code == 404


def test_a_completed_assessment_is_served_as_a_questionnaire_response_and_audited(
    client: TestClient, case: Case, nurse: Person
) -> None:
    answers = _answers()
    assessment_id = complete_assessment(client, nurse, case.ref, answers)
    got = client.get(f"/api/v1/assessments/{assessment_id}/fhir", headers=case.social_worker.headers)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith(FHIR_JSON)
    parsed = QuestionnaireResponse.model_validate(got.json())
    assert parsed.status == "completed"
    assert parsed.questionnaire == f"{fhir.canonical_url(TEMPLATE)}|{TEMPLATE.version}"
    assert parsed.subject.identifier.value == case.ref
    assert parsed.author.display == "nurse"
    read = client.get(f"/api/v1/assessments/{assessment_id}", headers=nurse.headers).json()
    assert fhir.response_answers(got.json()) == read["answers"]
    extensions = {e["url"]: e for e in got.json()["extension"]}
    parts = {p["url"]: p for p in extensions[fhir.LEVEL]["extension"]}
    assert parts["level"]["valueCode"] == read["level"]
    assert parts["label"]["valueString"] == "Likelihood of Tier 4 admission, placement breakdown or custody"
    assert extensions[fhir.FORMULATION]["valueString"] == read["formulation"]
    whole = got.text.lower()
    for identifier in ("alex", "testperson", "9990000018", "2005-03-14"):
        assert identifier not in whole, identifier

    [event] = audit_events(action="assessment.export_fhir")
    assert (event.actor_username, event.outcome, event.young_person_ref) == ("jsmith", "allowed", case.ref)


def test_an_in_progress_assessment_exports_as_in_progress(
    client: TestClient, case: Case, nurse: Person
) -> None:
    started = client.post(f"/api/v1/young-people/{case.ref}/assessments", json={}, headers=nurse.headers)
    assessment_id = started.json()["id"]
    client.put(
        f"/api/v1/assessments/{assessment_id}/answers/b.la_moves", json={"value": 2}, headers=nurse.headers
    )
    got = client.get(f"/api/v1/assessments/{assessment_id}/fhir", headers=nurse.headers)
    assert got.status_code == 200, got.text
    parsed = QuestionnaireResponse.model_validate(got.json())
    assert parsed.status == "in-progress" and parsed.extension is None
    assert fhir.response_answers(got.json()) == {"b.la_moves": 2}


def test_outside_the_care_team_the_export_is_refused_and_audited(
    client: TestClient, world: World, case: Case, nurse: Person
) -> None:
    assessment_id = complete_assessment(client, nurse, case.ref, _answers())
    world.team("OTHER-LIA", la=None)
    outsider = world.user("outsider", role=Role.liaison, team="OTHER-LIA")
    refused = client.get(f"/api/v1/assessments/{assessment_id}/fhir", headers=outsider.headers)
    assert refused.status_code == 403
    assert case.ref not in refused.text
    [denied] = audit_events(actor_username="outsider", outcome="denied")
    assert (denied.action, denied.young_person_ref) == ("assessment.export_fhir", case.ref)
    assert audit_events(actor_username="outsider", outcome="allowed") == []
