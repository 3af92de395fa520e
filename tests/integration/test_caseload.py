"""GET /young-people: each person's caseload is exactly the records they may read, no more."""

from __future__ import annotations

from fastapi.testclient import TestClient

from schemas.enums import Role
from tests.integration.conftest import YOUNG_PERSON, Case, Person, World, attendance, audit_events


def _listed(client: TestClient, person: Person) -> list[str]:
    answer = client.get("/api/v1/young-people", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return [entry["ref"] for entry in answer.json()]


def _readable(client: TestClient, person: Person, refs: list[str]) -> set[str]:
    return {
        r for r in refs if client.get(f"/api/v1/young-people/{r}", headers=person.headers).status_code == 200
    }


def test_each_caseload_is_exactly_what_the_person_may_read(
    client: TestClient, world: World, case: Case
) -> None:
    world.team("FIF-SG", la="FIF")
    fife_lead = world.user("fiflead", role=Role.safeguarding_lead, team="FIF-SG")
    made = client.post(
        "/api/v1/young-people",
        json=YOUNG_PERSON | {"nhs_number": "9990000026", "given_name": "Sam", "responsible_la": "FIF"},
        headers=fife_lead.headers,
    )
    assert made.status_code == 201, made.text
    fife_ref = made.json()["ref"]
    manager = world.user("csc_manager", role=Role.team_manager, team="CEC-CSC")
    world.team("OTHER", la=None)
    stranger = world.user("stranger", role=Role.clinician, team="OTHER")
    admin = world.user("admin", role=Role.admin, team="OTHER")
    everyone = [case.ref, fife_ref]

    expected = {
        "lead": {case.ref},  # safeguarding lead for CEC
        "jsmith": {case.ref},  # lead social worker on the care team
        "csc_manager": {case.ref},  # manages a care-team member
        "fiflead": {fife_ref},
        "stranger": set(),
        "admin": {case.ref, fife_ref},
        "hosp": set(),  # hospital liaison: not on any care team, never alerted
    }
    people = [case.lead, case.social_worker, manager, fife_lead, stranger, admin, case.hospital]
    for person in people:
        listed = _listed(client, person)
        assert len(listed) == len(set(listed))
        assert set(listed) == expected[person.username] == _readable(client, person, everyone), (
            person.username
        )


def test_the_caseload_shows_my_role_last_attendance_and_what_waits_for_me(
    client: TestClient, world: World, case: Case
) -> None:
    world.team("RBT-SYS", la=None)
    system = world.user("edsys", role=Role.integration, team="RBT-SYS")
    sent = client.post("/api/v1/attendances", json=attendance(), headers=system.headers)
    assert sent.status_code == 202, sent.text
    [entry] = client.get("/api/v1/young-people", headers=case.social_worker.headers).json()
    assert (entry["ref"], entry["my_role"], entry["unacknowledged_for_me"]) == (
        case.ref,
        "lead_social_worker",
        1,
    )
    assert entry["last_attendance_at"].startswith("2026-11-28T09:25:00")
    assert (
        client.get("/api/v1/young-people", headers=system.headers).json() == []
    )  # integration reads nothing
    [listing] = [e for e in audit_events(action="young_person.list") if e.actor_username == "jsmith"]
    assert listing.detail == {"refs": [case.ref]}
    page = client.get("/api/v1/young-people?limit=0", headers=case.social_worker.headers)
    assert page.status_code == 422
