"""Nobody outside the care team reaches a young person's objects (issue 13), generated from the OpenAPI:
every operation with a `{ref}` or an object id in its path is called with a real young person and real
objects of theirs (a notification, an assessment and its need and Gateway referral, a closure, a
discharge plan and its follow-up, care and safety plan versions, an appointment, a transfer, a token), by
a social worker of another local authority and by another team's team manager. Each is refused (403, or
404 where even the object's existence is not theirs to learn) and each refusal leaves an audit event.
A new operation is covered the day it is added: the walk fails on a path parameter it has no value for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from schemas.enums import Role
from services.appointments.models import Appointment
from services.assessments.models import Assessment, Escalation, UnmetNeed
from services.closures.models import Closure
from services.kernel.audit.models import AuditEvent
from services.kernel.db import session_scope
from services.notifications.models import Notification
from services.plans.models import DischargePlan
from services.staff.models import ApiToken, User
from services.transfers.models import Transfer
from tests.integration.conftest import (
    Case,
    Person,
    World,
    add_care_coordinator,
    attendance,
    default_answers,
    start_and_answer,
)
from tests.integration.test_assessments import HIGH_ANSWERS
from tests.integration.test_plans import CARE_PLAN, SAFETY_PLAN, discharge_plan

pytestmark = pytest.mark.integration

# Not a young person's object: the assessment templates are the same for everyone.
NOT_PERSONAL = re.compile(r"^/api/v1/assessment-templates/")
PARAMETER = re.compile(r"\{([^}]+)\}")
# A body that passes validation where `{}` would not, so the refusal tested is the access rule's, not
# FastAPI's 422 (a new operation that needs one fails the walk below with that 422 until it is added).
BODIES: dict[str, dict[str, Any]] = {
    "PUT /api/v1/assessments/{assessment_id}/answers/{link_id}": {"value": True},
    "POST /api/v1/assessments/{assessment_id}/complete": {"formulation": "x"},
    "POST /api/v1/assessments/{assessment_id}/needs": {
        "link_id": "c.need.family",
        "owning_team": "CEC-CSC",
        "action": "x",
        "due_date": "2027-01-15",
    },
    "PATCH /api/v1/needs/{need_id}": {"status": "met"},
    "POST /api/v1/escalations/{escalation_id}/resolution": {"reason": "x"},
    "POST /api/v1/escalations/{escalation_id}/resolve": {"outcome": "x"},
    "POST /api/v1/closures/{closure_id}/responses": {"stance": "agree", "comment": "x"},
    "POST /api/v1/closures/{closure_id}/decision": {"decision": "close", "note": "Agreed at the meeting."},
    "POST /api/v1/transfers/{transfer_id}/checklist/{item}": {"note": "Done at the handover meeting."},
    "POST /api/v1/young-people/{ref}/appointments": {"at": "2027-01-01T10:00:00Z", "owner_team": "CEC-CSC"},
    "POST /api/v1/young-people/{ref}/appointments/{appointment_id}/outcome": {"status": "attended"},
    "PATCH /api/v1/young-people/{ref}/appointments/{appointment_id}": {"kind": "camhs"},
    "POST /api/v1/transfers/{transfer_id}/decline": {"reason": "Not ours to take."},
    "POST /api/v1/transfers/{transfer_id}/withdraw": {"reason": "Made in error."},
}


def _first_id(model: Any) -> int:
    with session_scope() as session:
        found = session.scalar(select(func.min(model.id)))
    assert found is not None, f"the scenario made no {model.__name__}"
    return int(found)


def _scenario(
    client: TestClient, world: World, case: Case, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """A young person with one of every object the API names by id; the path parameters' values."""
    world.team("CEC-GW")
    world.user("chair", role=Role.team_manager, team="CEC-GW")
    monkeypatch.setenv("GATEWAY_CHAIRS", '{"CEC": ["chair"]}')
    world.team("GP-A", la=None)
    world.user("drgp", role=Role.clinician, team="GP-A")
    world.team("MAN-SG", la="MAN")
    world.user("man.lead", role=Role.safeguarding_lead, team="MAN-SG")
    nurse = add_care_coordinator(client, world, case)
    base = f"/api/v1/young-people/{case.ref}"

    def ok(answer: Any) -> Any:
        assert answer.status_code in (200, 201, 202), answer.text
        return answer.json()

    ok(client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers))
    assessment_id = start_and_answer(client, nurse, case.ref, default_answers(HIGH_ANSWERS))
    need = {
        "link_id": "c.need.family",
        "owning_team": "CEC-CSC",
        "action": "Carer's assessment",
        "due_date": "2027-01-15",
    }
    ok(client.post(f"/api/v1/assessments/{assessment_id}/needs", json=need, headers=nurse.headers))
    done = {"formulation": "Escalating self-harm after a move; protective: sister."}
    ok(client.post(f"/api/v1/assessments/{assessment_id}/complete", json=done, headers=nurse.headers))
    ok(client.post(f"{base}/care-plan", json=CARE_PLAN, headers=nurse.headers))
    ok(client.post(f"{base}/safety-plan", json=SAFETY_PLAN, headers=nurse.headers))
    ok(client.post(f"{base}/discharge-plans", json=discharge_plan(), headers=nurse.headers))
    closure = {"reason": "needs_met", "rationale": "Goals met; the family agrees."}
    ok(client.post(f"{base}/closures", json=closure, headers=case.social_worker.headers))
    ok(client.patch(base, json={"responsible_la": "MAN"}, headers=case.lead.headers))  # opens a transfer
    with session_scope() as session:
        jsmith = session.scalar(select(User.id).where(User.username == "jsmith"))
        token_id = session.scalar(select(func.min(ApiToken.id)).where(ApiToken.user_id == jsmith))
    appointment_id = _first_id(Appointment)
    return {
        "ref": case.ref,
        "notification_id": str(_first_id(Notification)),
        "assessment_id": str(_first_id(Assessment)),
        "link_id": "c.need.family",
        "need_id": str(_first_id(UnmetNeed)),
        "escalation_id": str(_first_id(Escalation)),
        "closure_id": str(_first_id(Closure)),
        "plan_id": str(_first_id(DischargePlan)),
        "follow_up_id": str(appointment_id),
        "appointment_id": str(appointment_id),
        "number": "1",
        "transfer_id": str(_first_id(Transfer)),
        "item": "accepted",
        "username": "jsmith",
        "token_id": str(token_id),
    }


@dataclass(frozen=True)
class Operation:
    method: str
    template: str

    def path(self, values: dict[str, str]) -> str:
        return PARAMETER.sub(lambda m: values[m.group(1)], self.template)


def object_operations(client: TestClient) -> list[Operation]:
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return [
        Operation(method.upper(), template)
        for template, operations in paths.items()
        if PARAMETER.search(template) and not NOT_PERSONAL.match(template)
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _denied_count(username: str) -> int:
    with session_scope() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    AuditEvent.actor_username == username, AuditEvent.outcome == "denied"
                )
            )
            or 0
        )


def test_every_object_operation_refuses_outsiders_and_audits_each_refusal(
    client: TestClient, world: World, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = _scenario(client, world, case, monkeypatch)
    world.team("OTH-CSC", la="OTH")
    outsiders: list[Person] = [
        world.user("oth.sw", role=Role.social_worker, team="OTH-CSC"),
        world.user("oth.tm", role=Role.team_manager, team="OTH-CSC"),
    ]
    operations = object_operations(client)
    assert len(operations) >= 60
    unknown = {p for op in operations for p in PARAMETER.findall(op.template)} - set(values)
    assert not unknown, f"path parameters the walk has no value for: {unknown}"

    failures: list[str] = []
    for person in outsiders:
        for operation in operations:
            before = _denied_count(person.username)
            body = (
                None
                if operation.method == "GET"
                else BODIES.get(f"{operation.method} {operation.template}", {})
            )
            answer = client.request(
                operation.method, operation.path(values), json=body, headers=person.headers
            )
            audited = _denied_count(person.username) - before
            if answer.status_code not in (403, 404) or audited < 1:
                failures.append(
                    f"{person.username} {operation.method} {operation.template}: "
                    f"{answer.status_code}, {audited} audit event(s): {answer.text[:120]}"
                )
            assert "Alex" not in answer.text and "9990000018" not in answer.text
    assert not failures, "\n".join(failures)
