"""Who may change a young person's record and care team, role by role, through the HTTP API (issue 13,
item 1): an integration account sends attendances and registers young people, but reads no record and
changes no record or care team, so it can neither learn who a child is nor hand anyone access. Every
refusal is in the audit trail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Agency, Role
from tests.integration.conftest import YOUNG_PERSON, Case, Person, World, audit_events

IDENTIFIERS = ("9990000018", "Alex", "Testperson", "2005-03-14")


def _read(client: TestClient, case: Case) -> dict[str, object]:
    answer = client.get(f"/api/v1/young-people/{case.ref}", headers=case.lead.headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture
def intruder(world: World) -> Person:
    """Someone an intruder would like to put on the care team: a social worker of another LA."""
    world.team("OTH-CSC", la="OTH")
    return world.user("intruder", role=Role.social_worker, team="OTH-CSC")


def _person(client: TestClient, world: World, case: Case, role: Role) -> Person:
    """A user of `role` as close to the young person as that role gets: on the care team where a role can
    be, in the young person's local authority otherwise."""
    if role == Role.integration:
        world.team("RBT-SYS", agency=Agency.acute_liaison, la="CEC")
        return world.user("system", role=role, team="RBT-SYS")
    if role == Role.safeguarding_lead:
        return case.lead
    if role == Role.admin:
        world.team("OPS", la=None)
        return world.user("ops", role=role, team="OPS")
    if role == Role.team_manager:
        return world.user("manager", role=role, team="CEC-CSC")  # manages jsmith's team
    if role == Role.social_worker:
        return case.social_worker
    person = world.user(role.value, role=role, team="RBT-LIA")
    added = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": person.username, "role": "other"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201, added.text
    return person


@pytest.mark.parametrize(
    ("role", "may_update", "may_build_team"),
    [
        (Role.admin, True, True),
        (Role.safeguarding_lead, True, True),
        (Role.team_manager, True, True),
        (Role.social_worker, True, False),
        (Role.liaison, False, False),
        (Role.clinician, False, False),
        (Role.integration, False, False),
    ],
)
def test_who_may_change_the_record_and_build_the_care_team(
    client: TestClient,
    world: World,
    case: Case,
    intruder: Person,
    role: Role,
    may_update: bool,
    may_build_team: bool,
) -> None:
    person = _person(client, world, case, role)
    url = f"/api/v1/young-people/{case.ref}"

    empty = client.patch(url, json={}, headers=person.headers)
    assert empty.status_code == (200 if may_update else 403), empty.text
    if not may_update:
        assert not any(value in empty.text for value in IDENTIFIERS), empty.text

    changed = client.patch(url, json={"statuses": [], "responsible_la": "OTH"}, headers=person.headers)
    assert changed.status_code == (200 if may_update else 403), changed.text
    after = _read(client, case)
    assert (after["statuses"], after["responsible_la"]) == (
        ([], "OTH") if may_update else (["cp_plan"], "CEC")
    )

    added = client.post(
        f"{url}/care-team", json={"username": "intruder", "role": "other"}, headers=person.headers
    )
    assert added.status_code == (201 if may_build_team else 403), added.text
    on_team = "intruder" in [m["username"] for m in _read(client, case)["care_team"]]  # type: ignore[union-attr]
    assert on_team is may_build_team

    denied = [
        (e.action, e.young_person_ref) for e in audit_events(actor_username=person.username, outcome="denied")
    ]
    expected = [("young_person.update", case.ref)] * 2 * (not may_update)
    expected += [("care_team.add", case.ref)] * (not may_build_team)
    assert denied == expected
    assert all(
        e.actor_role == role.value for e in audit_events(actor_username=person.username, outcome="denied")
    )


def test_an_integration_account_still_registers_and_sends_attendances_but_learns_nothing(
    client: TestClient, world: World, case: Case
) -> None:
    system = _person(client, world, case, Role.integration)
    other = {**YOUNG_PERSON, "nhs_number": "9990000026"}
    registered = client.post("/api/v1/young-people", json=other, headers=system.headers)
    assert registered.status_code == 201, registered.text
    ref = registered.json()["ref"]
    assert set(registered.json()) == {"ref"}
    # not even a young person it registered itself: a feed is not a reader
    for answer in (
        client.get(f"/api/v1/young-people/{ref}", headers=system.headers),
        client.patch(f"/api/v1/young-people/{ref}", json={}, headers=system.headers),
        client.post(
            f"/api/v1/young-people/{ref}/care-team",
            json={"username": "jsmith", "role": "other"},
            headers=system.headers,
        ),
    ):
        assert answer.status_code == 403 and "Alex" not in answer.text and "9990000026" not in answer.text
    assert [e.action for e in audit_events(actor_username="system", outcome="denied")] == [
        "young_person.read",
        "young_person.update",
        "care_team.add",
    ]
