"""The closure guard through the API: a service cannot close for non-attendance without the care team."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Role
from tests.integration.conftest import (
    Case,
    Mailbox,
    Person,
    World,
    add_care_coordinator,
    audit_events,
    complete_assessment,
    run_worker,
)


@pytest.fixture
def camhs(client: TestClient, world: World, case: Case) -> Person:
    world.team("CEC-CAMHS", la=None)
    clinician = world.user("camhs1", role=Role.clinician, team="CEC-CAMHS", email="camhs1@example.org")
    added = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": "camhs1", "role": "camhs"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201, added.text
    return clinician


def _propose(
    client: TestClient, case: Case, person: Person, reason: str = "non_engagement"
) -> dict[str, Any]:
    made = client.post(
        f"/api/v1/young-people/{case.ref}/closures",
        json={"reason": reason, "rationale": "Three missed appointments; letters not answered."},
        headers=person.headers,
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _answer(client: TestClient, closure_id: int, person: Person, stance: str) -> dict[str, Any]:
    answered = client.post(
        f"/api/v1/closures/{closure_id}/responses",
        json={"stance": stance, "comment": "Discussed at the core group."},
        headers=person.headers,
    )
    assert answered.status_code == 200, answered.text
    body: dict[str, Any] = answered.json()
    return body


def _decide(client: TestClient, closure_id: int, person: Person, decision: str = "close") -> Any:
    return client.post(
        f"/api/v1/closures/{closure_id}/decision",
        json={"decision": decision, "note": "Agreed at the core group on 2026-11-28."},
        headers=person.headers,
    )


def test_closing_for_non_attendance_needs_the_care_team_and_a_re_score(
    client: TestClient, world: World, case: Case, camhs: Person, mailbox: Mailbox
) -> None:
    nurse = add_care_coordinator(client, world, case)
    closure = _propose(client, case, camhs)
    assert closure["status"] == "proposed"
    assert len(closure["blockers"]) == 3  # consultation, re-score, CP plan needs the social worker

    run_worker()
    mails = mailbox.wait_for(3)  # the lead social worker and the coordinator are consulted; a re-score
    assert sorted(
        (m["To"], "Closure proposed" in m["Subject"], "Re-score" in m["Subject"]) for m in mails
    ) == [
        ("jo.smith@example.org", True, False),
        ("nurse@example.org", False, True),
        ("nurse@example.org", True, False),
    ]
    for mail in mails:
        text = mail.get_payload(decode=True).decode()
        assert case.ref in text and "Alex" not in text and "missed appointments" not in text

    refused = _decide(client, closure["id"], camhs)
    assert refused.status_code == 409
    assert "the care team is still being consulted" in refused.json()["detail"]
    assert "re-score the needs assessment" in refused.json()["detail"]

    objected = _answer(client, closure["id"], case.social_worker, "object")["blockers"]
    assert objected[-1] == "a care-team member objected: a team manager or safeguarding lead must decide"
    complete_assessment(client, nurse, case.ref)
    _answer(client, closure["id"], nurse, "agree")
    [standing] = _answer(client, closure["id"], case.social_worker, "agree")["blockers"] or [None]
    assert standing is None  # everyone answered, re-scored, the social worker agrees

    decided = _decide(client, closure["id"], camhs)
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["decided_by"]) == ("closed", "camhs1")
    team = client.get(f"/api/v1/young-people/{case.ref}", headers=case.social_worker.headers).json()
    assert "camhs1" not in [m["username"] for m in team["care_team"]]
    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.social_worker.headers)
    kinds = [e["kind"] for e in events.json()["events"]]
    assert [k for k in kinds if k.startswith("closure")] == [
        "closure_proposed",
        "closure_response",
        "closure_response",
        "closure_response",
        "closure",
    ]
    run_worker()
    told = [m["To"] for m in mailbox.wait_for(6) if "Closure decided" in m["Subject"]]
    assert sorted(told) == ["camhs1@example.org", "jo.smith@example.org", "nurse@example.org"]


def test_an_objection_means_a_manager_decides(
    client: TestClient, world: World, case: Case, camhs: Person
) -> None:
    add_care_coordinator(client, world, case)
    closure = _propose(client, case, camhs, reason="moved_away")
    _answer(client, closure["id"], case.social_worker, "object")
    refused = _decide(client, closure["id"], camhs)
    assert refused.status_code == 409
    assert "a team manager or safeguarding lead must decide" in refused.json()["detail"]
    kept = _decide(client, closure["id"], case.lead, decision="keep_open")
    assert kept.status_code == 200, kept.text
    assert kept.json()["status"] == "kept_open"
    again = _decide(client, closure["id"], case.lead)
    assert again.status_code == 409  # already decided


def test_outside_the_care_team_closures_are_refused_and_audited(
    client: TestClient, world: World, case: Case, camhs: Person
) -> None:
    closure = _propose(client, case, camhs, reason="needs_met")
    world.team("OTHER", la=None)
    stranger = world.user("stranger", role=Role.clinician, team="OTHER")
    assert (
        client.get(f"/api/v1/young-people/{case.ref}/closures", headers=stranger.headers).status_code == 403
    )
    assert client.get(f"/api/v1/closures/{closure['id']}", headers=stranger.headers).status_code == 403
    assert _decide(client, closure["id"], stranger).status_code == 403
    denied = audit_events(outcome="denied", actor_username="stranger")
    assert sorted(e.action for e in denied) == ["closure.decide", "closure.list", "closure.read"]
    not_member = client.post(
        f"/api/v1/young-people/{case.ref}/closures",
        json={"reason": "needs_met", "rationale": "Not on this care team at all."},
        headers=case.lead.headers,
    )
    assert not_member.status_code == 422
    assert "not on this young person's care team" in not_member.json()["detail"]
