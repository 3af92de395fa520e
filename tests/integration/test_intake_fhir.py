"""FHIR R4 Encounter intake: an ED Encounter is one attendance, a resend is a repeat, and every error is an
OperationOutcome that fhir.resources parses back."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.operationoutcome import OperationOutcome
from httpx import Response

from schemas.enums import Role
from tests.integration.conftest import Case, Mailbox, Person, World, audit_events, run_worker
from tests.integration.intake_helpers import FIXTURES, count, tables_containing

pytestmark = pytest.mark.integration

ENCOUNTER: dict[str, Any] = json.loads((FIXTURES / "fhir" / "encounter-ed.json").read_text())
FHIR_JSON = {"content-type": "application/fhir+json"}


@pytest.fixture
def edsys(world: World, case: Case) -> Person:
    return world.user("edsys", role=Role.integration, team="RBT-LIA")


def post(client: TestClient, body: Any, person: Person | None) -> Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {**FHIR_JSON, **(person.headers if person else {})}
    return client.post("/api/v1/fhir/Encounter", content=content, headers=headers)


def outcome(answer: Response) -> OperationOutcome:
    assert answer.headers["content-type"].startswith("application/fhir+json"), answer.text
    return OperationOutcome.model_validate(answer.json())


def test_an_ed_encounter_is_one_attendance_and_a_resend_alerts_nobody_again(
    client: TestClient, case: Case, edsys: Person, mailbox: Mailbox
) -> None:
    first = post(client, ENCOUNTER, edsys)
    assert first.status_code == 201, first.text
    [issue] = outcome(first).issue
    assert issue.severity == "information" and issue.details.coding[0].code == "recorded"
    assert case.ref in (issue.diagnostics or "")
    run_worker()
    [mail] = mailbox.wait_for(1)
    assert case.ref in mail["Subject"]

    again = post(client, ENCOUNTER, edsys)
    assert again.status_code == 200 and outcome(again).issue[0].details.coding[0].code == "duplicate"
    run_worker()
    assert len(mailbox.wait_for(2, timeout=1)) == 1
    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers).json()
    [attendance] = [e for e in events["events"] if e["kind"] == "attendance"]
    assert "emergency department" in attendance["summary"] and "overdose" in attendance["summary"]
    assert attendance["at"].startswith("2022-12-08T09:25")


def test_a_cancelled_encounter_cancels_its_attendance_and_tells_those_alerted(
    client: TestClient, case: Case, edsys: Person, mailbox: Mailbox
) -> None:
    assert post(client, ENCOUNTER, edsys).status_code == 201
    run_worker()
    mailbox.wait_for(1)
    cancelled = ENCOUNTER | {"status": "entered-in-error"}
    answer = post(client, cancelled, edsys)
    assert answer.status_code == 200, answer.text
    assert outcome(answer).issue[0].details.coding[0].code == "cancelled"
    again = post(client, cancelled, edsys)
    assert outcome(again).issue[0].details.coding[0].code == "unchanged"
    run_worker()
    mails = mailbox.wait_for(2)
    [notice] = [m for m in mails if "Attendance cancelled" in m["Subject"]]  # once, though sent twice
    assert notice["To"] == "jo.smith@example.org" and case.ref in notice["Subject"]
    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers).json()
    assert [e["kind"] for e in events["events"]].count("attendance_cancelled") == 1


def test_a_cancelled_encounter_never_recorded_changes_nothing(
    client: TestClient, case: Case, edsys: Person
) -> None:
    answer = post(client, ENCOUNTER | {"status": "cancelled"}, edsys)
    assert answer.status_code == 200, answer.text
    assert outcome(answer).issue[0].details.coding[0].code == "not_found"
    assert count("attendances") == 0


def test_an_unregistered_nhs_number_is_answered_and_nothing_identifying_is_kept(
    client: TestClient, case: Case, edsys: Person
) -> None:
    body = copy.deepcopy(ENCOUNTER)
    body["subject"]["identifier"]["value"] = "9990000034"
    answer = post(client, body, edsys)
    assert answer.status_code == 200
    assert outcome(answer).issue[0].details.coding[0].code == "not_registered"
    assert count("attendances") == 0 and tables_containing("9990000034") == []


def _with(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(ENCOUNTER)
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(leaf)
        else:
            target[leaf] = value
    return body


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "not JSON"),
        ({"resourceType": "Patient", "id": "x"}, 400, "resourceType"),
        (_with(period__start="yesterday"), 400, "period.start"),
        (_with(subject__identifier__value="9990000019"), 422, "modulus 11"),
        (_with(subject__identifier__system="https://example.org/mrn"), 422, "nhs-number"),
        (_with(class_={"code": "AMB"}), 422, "EMER or IMP"),
        (_with(period__start="2022-12-08"), 422, "period.start"),
        (_with(serviceProvider=None), 422, "serviceProvider"),
    ],
)
def test_an_encounter_that_cannot_be_used_gets_an_operation_outcome_and_keeps_nothing(
    client: TestClient, case: Case, edsys: Person, body: Any, status: int, words: str
) -> None:
    if isinstance(body, dict) and "class_" in body:
        body["class"] = body.pop("class_")
    answer = post(client, body, edsys)
    assert answer.status_code == status, answer.text
    [issue] = outcome(answer).issue
    assert issue.severity == "error" and words in (issue.diagnostics or "")
    assert count("attendances") == 0 and tables_containing("9990000019") == []
    assert audit_events(action="fhir.rejected")


def test_callers_without_a_token_or_the_role_get_an_operation_outcome(client: TestClient, case: Case) -> None:
    anonymous = post(client, ENCOUNTER, None)
    assert anonymous.status_code == 401 and outcome(anonymous).issue[0].severity == "error"
    refused = post(client, ENCOUNTER, case.social_worker)
    assert refused.status_code == 403 and "may not record" in (outcome(refused).issue[0].diagnostics or "")
    [denied] = audit_events(action="fhir.encounter")
    assert denied.outcome == "denied" and denied.actor_username == "jsmith"
    assert count("attendances") == 0
