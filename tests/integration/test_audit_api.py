"""Reading the audit trail over HTTP: the whole trail for the system administrator, one young person's
access log for the safeguarding lead of their local authority; both reads audited, refusals too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Role
from services.kernel.clock import utcnow
from tests.integration.conftest import Case, Person, World, audit_events


@pytest.fixture
def admin(world: World, case: Case) -> Person:
    world.team("OPS", la=None)
    return world.user("sysadmin", role=Role.admin, team="OPS")


def test_the_admin_searches_the_trail_newest_first_a_page_at_a_time(
    client: TestClient, case: Case, admin: Person
) -> None:
    client.get(f"/api/v1/young-people/{case.ref}", headers=case.social_worker.headers)
    client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.social_worker.headers)
    expected = [e.id for e in reversed(audit_events(young_person_ref=case.ref))]
    first = client.get(f"/api/v1/audit?ref={case.ref}&limit=3", headers=admin.headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["id"] for e in page["events"]] == expected[:3]
    assert page["events"][0]["action"] == "chronology.read"
    assert page["events"][0]["actor_username"] == "jsmith"
    rest = client.get(f"/api/v1/audit?ref={case.ref}&before={page['next_before']}", headers=admin.headers)
    assert [e["id"] for e in rest.json()["events"]] == expected[3:]
    assert rest.json()["next_before"] is None

    by_actor = client.get("/api/v1/audit?actor=jsmith&action=young_person.read", headers=admin.headers).json()
    assert [(e["actor_username"], e["action"]) for e in by_actor["events"]] == [
        ("jsmith", "young_person.read")
    ]
    since = (utcnow() - timedelta(hours=1)).isoformat()
    window = client.get(
        "/api/v1/audit", params={"since": since, "until": utcnow().isoformat()}, headers=admin.headers
    )
    assert window.status_code == 200 and len(window.json()["events"]) >= len(expected)
    future = client.get(
        "/api/v1/audit", params={"since": (utcnow() + timedelta(hours=1)).isoformat()}, headers=admin.headers
    )
    assert future.json() == {"events": [], "next_before": None}
    naive = client.get("/api/v1/audit", params={"since": "2026-11-28T10:00:00"}, headers=admin.headers)
    assert naive.status_code == 422

    reads = audit_events(action="audit.read", outcome="allowed")
    assert len(reads) == 5  # the refused (naive) time was never a read
    assert reads[0].actor_username == "sysadmin" and reads[0].young_person_ref == case.ref
    assert reads[0].detail == {"ref": case.ref}


@pytest.mark.parametrize("who", ["lead", "social_worker", "hospital"])
def test_nobody_else_reads_the_trail_and_the_attempt_is_audited(
    client: TestClient, case: Case, who: str
) -> None:
    person: Person = getattr(case, who)
    refused = client.get(f"/api/v1/audit?actor=lead&ref={case.ref}", headers=person.headers)
    assert refused.status_code == 403
    [denied] = audit_events(action="audit.read")
    assert (denied.actor_username, denied.outcome, denied.young_person_ref) == (
        person.username,
        "denied",
        case.ref,
    )
    assert denied.detail == {"actor": "lead", "ref": case.ref}


def test_the_safeguarding_lead_reads_who_looked_at_the_record(client: TestClient, case: Case) -> None:
    client.get(f"/api/v1/young-people/{case.ref}", headers=case.social_worker.headers)
    client.get(f"/api/v1/young-people/{case.ref}", headers=case.hospital.headers)  # not in the care team
    answer = client.get(f"/api/v1/young-people/{case.ref}/access-log", headers=case.lead.headers)
    assert answer.status_code == 200, answer.text
    seen = [(e["actor_username"], e["action"], e["outcome"]) for e in answer.json()["events"]]
    assert seen[:2] == [("hosp", "young_person.read", "denied"), ("jsmith", "young_person.read", "allowed")]
    assert ("lead", "young_person.registered", "allowed") in seen
    [logged] = audit_events(action="access_log.read")
    assert (logged.actor_username, logged.young_person_ref, logged.outcome) == ("lead", case.ref, "allowed")


def test_the_admin_reads_the_access_log_and_the_care_team_does_not(
    client: TestClient, world: World, case: Case, admin: Person
) -> None:
    assert client.get(f"/api/v1/young-people/{case.ref}/access-log", headers=admin.headers).status_code == 200
    world.team("FIF-SG", la="FIF")
    other_lead = world.user("fiflead", role=Role.safeguarding_lead, team="FIF-SG")
    for person in (case.social_worker, case.hospital, other_lead):
        refused = client.get(f"/api/v1/young-people/{case.ref}/access-log", headers=person.headers)
        assert refused.status_code == 403, person.username
    denied = audit_events(action="access_log.read", outcome="denied")
    assert [e.actor_username for e in denied] == ["jsmith", "hosp", "fiflead"]
    missing = client.get("/api/v1/young-people/NOPE/access-log", headers=admin.headers)
    assert missing.status_code == 404
