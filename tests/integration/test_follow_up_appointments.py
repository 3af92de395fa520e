"""A discharge plan's follow-up is an appointment with the plan's id: its outcome is recorded through the one
appointment outcome endpoint or the plan's alias path, with one body, and the miss is keyed as any
appointment's. Over the real database, rq workers and SMTP server."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from schemas.enums import Agency, Role
from services.db import session_scope
from services.notifications.models import Notification
from services.staff.models import User
from tests.integration.conftest import Case, Person, World, add_care_coordinator, audit_events
from tests.integration.test_appointments import appointment_outcome, book
from tests.integration.test_missed_appointments import WNB, outcome, plan_with_missable_follow_ups

pytestmark = pytest.mark.integration


@pytest.fixture
def nurse(client: TestClient, world: World, case: Case) -> Person:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    return add_care_coordinator(client, world, case)


def _keys() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(Notification.dedup_key).order_by(Notification.id)))


def _user_id(person: Person) -> int:
    with session_scope() as session:
        return session.scalars(select(User.id).where(User.username == person.username)).one()


def _missed(client: TestClient, case: Case, person: Person) -> Any:
    return client.get(f"/api/v1/young-people/{case.ref}/missed-appointments", headers=person.headers).json()


def test_the_outcome_endpoint_records_a_follow_up_and_the_plan_path_is_its_alias(
    client: TestClient, case: Case, nurse: Person
) -> None:
    plan = plan_with_missable_follow_ups(client, case, nurse, [2, 1])
    first, second = (f["id"] for f in plan["follow_ups"])

    recorded = appointment_outcome(client, case, nurse, first, WNB)
    assert recorded.status_code == 200, recorded.text
    answer = recorded.json()
    assert (answer["kind"], answer["discharge_plan_id"], answer["status"]) == (
        "follow_up",
        plan["id"],
        "was_not_brought",
    )
    assert answer["missed"]["told"] == ["jsmith", "nurse"]
    [audited] = audit_events(action="discharge_plan.follow_up_outcome", outcome="allowed")
    assert audited.detail == {
        "appointment_id": first,
        "appointment_kind": "follow_up",
        "discharge_plan_id": plan["id"],
        "status": "was_not_brought",
    }
    # Keyed as any appointment's miss: once per appointment, whichever path records it.
    assert f"missed_appt:{first}:{_user_id(nurse)}" in _keys()
    assert not [k for k in _keys() if k.startswith("missed:")]
    [miss] = _missed(client, case, nurse)["missed"]
    assert (miss["follow_up_id"], miss["appointment_id"], miss["discharge_plan_id"], miss["kind"]) == (
        first,
        first,
        plan["id"],
        "follow_up",
    )

    told = [k for k in _keys() if k.startswith(f"missed_appt:{first}:")]
    assert len(told) == 2
    again = outcome(client, nurse, case, plan, 0, WNB)  # the alias: same body, answered with the plan
    assert again.status_code == 200, again.text
    assert again.json()["follow_ups"][0]["missed"]["told"] == ["jsmith", "nurse"]
    assert [k for k in _keys() if k.startswith(f"missed_appt:{first}:")] == told  # nobody told twice

    attended = outcome(client, nurse, case, plan, 0, {"status": "attended", "note": "Seen at home"})
    assert attended.status_code == 200, attended.text
    [follow_up, _] = attended.json()["follow_ups"]
    assert follow_up["status"] == "attended" and follow_up["missed"]["withdrawn_at"] is not None
    assert f"withdrawn:missed_appt:{first}:{_user_id(nurse)}" in _keys()

    refused = appointment_outcome(client, case, nurse, second, {"status": "did_not_attend", "reason": "x"})
    assert refused.status_code == 422 and f"for follow-up {second}:" in refused.json()["detail"]


def test_follow_ups_stay_with_their_plan(client: TestClient, case: Case, nurse: Person, world: World) -> None:
    plan = plan_with_missable_follow_ups(client, case, nurse, [1])
    [follow_up] = plan["follow_ups"]
    listed = client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers)
    assert listed.status_code == 200 and listed.json()["appointments"] == []

    moved = client.patch(
        f"/api/v1/young-people/{case.ref}/appointments/{follow_up['id']}",
        json={"kind": "camhs"},
        headers=nurse.headers,
    )
    assert moved.status_code == 409 and f"discharge plan {plan['id']}" in moved.json()["detail"]
    assert book(client, case, nurse, kind="follow_up").status_code == 422

    # The owning team may record its own appointments' outcomes, not a discharge plan's follow-up's.
    clinic = world.user("camhs1", role=Role.clinician, team="CEC-CAMHS")
    denied = appointment_outcome(client, case, clinic, follow_up["id"], {"status": "attended"})
    assert denied.status_code == 403
    assert [e.action for e in audit_events(actor_username="camhs1", outcome="denied")] == [
        "discharge_plan.follow_up_outcome"
    ]
