"""Whose acknowledgement counts (issue 13, item 3). Anyone who could see a young person could acknowledge
another recipient's alert: its channels not yet sent were cancelled and its chase stopped, so a colleague
(or an admin) could silence the lead social worker's alert. Now a notification is acknowledged by its own
recipient, or explicitly on their behalf by a team manager of their team or the local authority's
safeguarding lead, which is recorded as such, still lets the recipient be told, and touches nobody else's
notification. Every refusal is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Agency, Role
from services.kernel.clock import utcnow
from tests.integration.conftest import (
    Case,
    Mailbox,
    Person,
    World,
    add_care_coordinator,
    attendance,
    audit_events,
    run_worker,
)
from worker import jobs


@dataclass
class Scene:
    alert: dict[str, Any]  # jsmith's attendance alert, not yet delivered
    nurse: Person  # the care coordinator, alerted of the same attendance
    t0: datetime


@pytest.fixture
def scene(client: TestClient, world: World, case: Case, mailbox: Mailbox) -> Scene:
    nurse = add_care_coordinator(client, world, case)
    t0 = utcnow()
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert accepted.status_code == 202, accepted.text
    [alert] = _mine(client, case.social_worker)
    return Scene(alert, nurse, t0)


def _mine(client: TestClient, person: Person) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/notifications", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return [n for n in answer.json() if n["recipient"] == person.username and n["kind"] == "attendance"]


def _someone(client: TestClient, world: World, case: Case, who: str) -> Person:
    """People around jsmith (social worker, team CEC-CSC, lead social worker of a CEC young person)."""
    match who:
        case "admin":
            world.team("OPS", la=None)
            return world.user("ops", role=Role.admin, team="OPS")
        case "lead":
            return case.lead
        case "other_lead":
            world.team("FIF-SG", la="FIF")
            return world.user("fiflead", role=Role.safeguarding_lead, team="FIF-SG")
        case "manager":
            return world.user("mgr", role=Role.team_manager, team="CEC-CSC", email="mgr@example.org")
        case "other_manager":
            return world.user("liamgr", role=Role.team_manager, team="RBT-LIA")  # the nurse's manager
        case "colleague":
            return world.user("colleague", role=Role.social_worker, team="CEC-CSC")
        case "gp":
            world.team("GP-PRAC", agency=Agency.gp, la=None)
            gp = world.user("drgp", role=Role.clinician, team="GP-PRAC")
            added = client.post(
                f"/api/v1/young-people/{case.ref}/care-team",
                json={"username": "drgp", "role": "gp"},
                headers=case.lead.headers,
            )
            assert added.status_code == 201, added.text
            return gp
        case "integration":
            world.team("RBT-SYS", la=None)
            return world.user("edsys", role=Role.integration, team="RBT-SYS")
    raise AssertionError(who)


def _reminded(at: datetime, mailbox: Mailbox) -> list[str]:
    mailbox.messages.clear()
    jobs.escalate(now=at)
    run_worker()
    return sorted(str(m["To"]) for m in mailbox.messages)


@pytest.mark.parametrize("who", ["admin", "lead", "manager", "colleague", "gp", "integration"])
def test_nobody_but_the_recipient_acknowledges_a_notification(
    client: TestClient, world: World, case: Case, scene: Scene, mailbox: Mailbox, who: str
) -> None:
    person = _someone(client, world, case, who)
    refused = client.post(f"/api/v1/notifications/{scene.alert['id']}/acknowledge", headers=person.headers)
    assert refused.status_code == 403, refused.text
    denied = audit_events(actor_username=person.username, outcome="denied")
    assert [(e.action, e.young_person_ref) for e in denied] == [("notification.acknowledge", case.ref)]

    run_worker()  # jsmith is still told, and still chased
    assert "jo.smith@example.org" in [str(m["To"]) for m in mailbox.wait_for(2)]
    [alert] = _mine(client, case.social_worker)
    assert (alert["acknowledged_at"], alert["status"]) == (None, "delivered")
    assert "jo.smith@example.org" in _reminded(scene.t0 + timedelta(minutes=31), mailbox)

    own = client.post(
        f"/api/v1/notifications/{scene.alert['id']}/acknowledge", headers=case.social_worker.headers
    )
    assert own.status_code == 200 and own.json()["acknowledged_by"] == "jsmith"
    assert own.json()["acknowledged_on_behalf"] is False


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("manager", True),  # jsmith's own team manager
        ("lead", True),  # the safeguarding lead of the young person's local authority
        ("other_manager", False),  # a manager of another team
        ("other_lead", False),  # another local authority's lead
        ("admin", False),  # the system's administrator takes no care decision
        ("colleague", False),  # same team, same role: not theirs to take on
        ("gp", False),  # on the care team
        ("integration", False),
    ],
)
def test_acknowledging_on_someone_s_behalf(
    client: TestClient, world: World, case: Case, scene: Scene, mailbox: Mailbox, who: str, allowed: bool
) -> None:
    person = _someone(client, world, case, who)
    url = f"/api/v1/notifications/{scene.alert['id']}/acknowledge-on-behalf"
    answer = client.post(url, headers=person.headers)
    if not allowed:
        assert answer.status_code == 403, answer.text
        denied = audit_events(actor_username=person.username, outcome="denied")
        assert [(e.action, e.young_person_ref) for e in denied] == [
            ("notification.acknowledge_on_behalf", case.ref)
        ]
        assert _mine(client, case.social_worker)[0]["acknowledged_at"] is None
        return

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["recipient"], body["acknowledged_by"], body["acknowledged_on_behalf"]) == (
        "jsmith",
        person.username,
        True,
    )
    [event] = audit_events(action="notification.acknowledged_on_behalf")
    assert (event.actor_username, event.young_person_ref) == (person.username, case.ref)
    assert event.detail["on_behalf_of"] == "jsmith"
    chronology = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers).json()
    assert f"acknowledged by {person.username} on behalf of Jsmith via api" in " ".join(
        e["summary"] for e in chronology["events"]
    )
    assert client.post(url, headers=person.headers).json()["acknowledged_by"] == person.username  # a repeat

    # jsmith is still told (the channel not yet sent still goes), but no longer chased; the nurse,
    # told of the same attendance, is chased as before
    run_worker()
    assert sorted(str(m["To"]) for m in mailbox.wait_for(2)) == ["jo.smith@example.org", "nurse@example.org"]
    assert _reminded(scene.t0 + timedelta(minutes=31), mailbox) == ["nurse@example.org"]
    [nurse_alert] = _mine(client, scene.nurse)
    assert nurse_alert["acknowledged_at"] is None

    # and jsmith may still say they have it: then it is their own acknowledgement
    own = client.post(
        f"/api/v1/notifications/{scene.alert['id']}/acknowledge", headers=case.social_worker.headers
    )
    assert own.status_code == 200
    assert (own.json()["acknowledged_by"], own.json()["acknowledged_on_behalf"]) == ("jsmith", False)


def test_one_s_own_notification_is_acknowledged_not_on_behalf(
    client: TestClient, case: Case, scene: Scene
) -> None:
    answer = client.post(
        f"/api/v1/notifications/{scene.alert['id']}/acknowledge-on-behalf", headers=case.social_worker.headers
    )
    assert answer.status_code == 409 and "acknowledge" in answer.json()["detail"]
    assert _mine(client, case.social_worker)[0]["acknowledged_at"] is None
