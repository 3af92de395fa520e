"""Appointments of any care-team service through the API, over the real database, real rq workers and a
real SMTP server: booked, listed, and a miss told exactly as a discharge follow-up's miss is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from schemas.enums import Agency, Role
from services.kernel.clock import utcnow
from tests.integration.conftest import (
    Case,
    Mailbox,
    Person,
    World,
    add_care_coordinator,
    audit_events,
    run_worker,
)
from tests.integration.test_missed_appointments import (
    CAPACITY,
    DNA,
    WNB,
    assert_ref_only,
    chronology,
    outcome,
    plan_with_missable_follow_ups,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def nurse(client: TestClient, world: World, case: Case) -> Person:
    return add_care_coordinator(client, world, case)


@pytest.fixture
def team(client: TestClient, world: World, case: Case) -> dict[str, Person]:
    """A GP on the care team, a CAMHS clinician (the owning service) on it, and the safeguarding lead."""
    world.team("GP-A", agency=Agency.gp, la=None)
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    people = {
        "gp": world.user("drgp", role=Role.clinician, team="GP-A", email="gp@example.org"),
        "camhs": world.user("camhs1", role=Role.clinician, team="CEC-CAMHS", email="camhs1@example.org"),
        "sg": world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg@example.org"),
    }
    for username, role in (("drgp", "gp"), ("camhs1", "camhs")):
        added = client.post(
            f"/api/v1/young-people/{case.ref}/care-team",
            json={"username": username, "role": role},
            headers=case.lead.headers,
        )
        assert added.status_code == 201, added.text
    return people


def book(client: TestClient, case: Case, person: Person, *, days_ago: float = 1, **extra: Any) -> Response:
    body = {
        "at": (utcnow() - timedelta(days=days_ago)).isoformat(),
        "owner_team": "CEC-CAMHS",
        "kind": "camhs",
        "location": "CAMHS clinic, Crewe",
    } | extra
    return client.post(f"/api/v1/young-people/{case.ref}/appointments", json=body, headers=person.headers)


def appointment_outcome(
    client: TestClient, case: Case, person: Person, appointment_id: int, body: dict[str, Any]
) -> Response:
    return client.post(
        f"/api/v1/young-people/{case.ref}/appointments/{appointment_id}/outcome",
        json=body,
        headers=person.headers,
    )


def missed(client: TestClient, case: Case, person: Person) -> Any:
    answer = client.get(f"/api/v1/young-people/{case.ref}/missed-appointments", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_camhs_appointment_missed_tells_the_lead_social_worker_and_coordinator_by_ref_only(
    client: TestClient, case: Case, nurse: Person, world: World, mailbox: Mailbox
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    booked = book(client, case, nurse)
    assert booked.status_code == 201, booked.text
    appointment = booked.json()
    assert (appointment["status"], appointment["kind"], appointment["owner_team"]) == (
        "scheduled",
        "camhs",
        "CEC-CAMHS",
    )
    listed = client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers)
    assert [a["id"] for a in listed.json()["appointments"]] == [appointment["id"]]

    recorded = appointment_outcome(client, case, nurse, appointment["id"], WNB | {"note": "Rebooked"})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["status"] == "was_not_brought"
    assert recorded.json()["missed"]["told"] == ["jsmith", "nurse"]
    run_worker()
    mails = mailbox.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["jo.smith@example.org", "nurse@example.org"]
    for mail in mails:
        assert mail["Subject"] == f"[liaison] Was not brought: {case.ref} - please acknowledge"
        assert_ref_only(case, mail.as_string())

    again = appointment_outcome(client, case, nurse, appointment["id"], WNB | {"reason": "Bus strike"})
    assert again.status_code == 200  # amended: nobody is told twice
    run_worker()
    assert len(mailbox.wait_for(3, timeout=0.5)) == 2

    [event, *_] = [e for e in chronology(client, case) if e["kind"] == "was_not_brought"]
    assert event["summary"].startswith("CAMHS appointment with Team CEC-CAMHS on ")
    assert "jsmith (lead social worker)" in event["summary"] and "car broke down" not in event["summary"]
    overview = missed(client, case, nurse)
    [miss] = overview["missed"]
    assert (miss["appointment_id"], miss["follow_up_id"], miss["kind"], miss["recorded_by"]) == (
        appointment["id"],
        None,
        "camhs",
        "nurse",
    )
    assert overview["in_window"]["was_not_brought"] == 1
    [audited, _] = audit_events(action="missed_appointment.recorded")
    assert audited.detail["appointment_id"] == appointment["id"] and audited.via == "api"

    attended = appointment_outcome(client, case, nurse, appointment["id"], {"status": "attended"})
    assert attended.status_code == 200 and attended.json()["missed"]["withdrawn_at"] is not None
    assert missed(client, case, nurse)["in_window"]["total"] == 0
    assert [e.action for e in audit_events(action="missed_appointment.withdrawn")] == [
        "missed_appointment.withdrawn"
    ]


def test_the_threshold_counts_a_follow_up_miss_and_an_appointment_miss_together(
    client: TestClient, case: Case, nurse: Person, team: dict[str, Person], mailbox: Mailbox
) -> None:
    plan = plan_with_missable_follow_ups(client, case, nurse, [2])
    assert outcome(client, nurse, case, plan, 0, WNB).status_code == 200
    run_worker()
    assert len(mailbox.wait_for(2)) == 2

    appointment = book(client, case, nurse, kind="community_paediatrics", owner="camhs1").json()
    recorded = appointment_outcome(client, case, nurse, appointment["id"], DNA)
    assert recorded.status_code == 200, recorded.text
    run_worker()
    mails = mailbox.wait_for(7)
    pattern = [m for m in mails if "Repeated missed appointments" in m["Subject"]]
    assert sorted(m["To"] for m in pattern) == [
        "camhs1@example.org",  # the named owner of the missed appointments
        "gp@example.org",
        "jo.smith@example.org",
        "nurse@example.org",
        "sg@example.org",
    ]
    overview = missed(client, case, nurse)
    assert overview["in_window"] == {"total": 2, "was_not_brought": 1, "did_not_attend": 1}
    assert overview["pattern_met"] is True
    assert [m["kind"] for m in overview["missed"]] == ["community_paediatrics", "follow_up"]
    [pattern_event] = [e for e in chronology(client, case) if e["kind"] == "missed_pattern"]
    assert pattern_event["detail"]["appointment_ids"] == [appointment["id"]]
    assert len(pattern_event["detail"]["follow_up_ids"]) == 1


def test_did_not_attend_needs_the_capacity_check_as_for_a_follow_up(
    client: TestClient, case: Case, nurse: Person, world: World, mailbox: Mailbox
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    appointment = book(client, case, nurse).json()
    refused = appointment_outcome(client, case, nurse, appointment["id"], {"status": "did_not_attend"})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail.startswith(f"cannot record did_not_attend for appointment {appointment['id']}")
    assert "missing the adolescent-capacity check" in detail
    future = book(client, case, nurse, days_ago=-2).json()
    early = appointment_outcome(client, case, nurse, future["id"], WNB)
    assert early.status_code == 422 and "cannot be missed before it happens" in early.json()["detail"]
    stray = appointment_outcome(
        client, case, nurse, appointment["id"], {"status": "attended", "barriers": ["cost"]}
    )
    assert stray.status_code == 422
    assert [e.outcome for e in audit_events(action="missed_appointment.record")] == ["refused", "refused"]
    dna = appointment_outcome(client, case, nurse, appointment["id"], DNA)
    assert dna.status_code == 200 and dna.json()["missed"]["capacity"]["framework"] == CAPACITY["framework"]


def test_an_external_id_makes_booking_idempotent_and_is_one_young_persons(
    client: TestClient, case: Case, nurse: Person, world: World
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    ids = {"external_system": "rio", "external_id": "A-123"}
    first = book(client, case, nurse, **ids)
    again = book(client, case, nurse, **ids)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    half = book(client, case, nurse, external_system="rio")
    assert half.status_code == 422
    other = client.post(
        "/api/v1/young-people",
        json={
            "nhs_number": "9990000026",
            "given_name": "Sam",
            "family_name": "Testperson",
            "date_of_birth": "2008-07-02",
            "responsible_la": "CEC",
        },
        headers=case.lead.headers,
    ).json()["ref"]
    clash = client.post(
        f"/api/v1/young-people/{other}/appointments",
        json={"at": utcnow().isoformat(), "owner_team": "CEC-CAMHS", **ids},
        headers=case.lead.headers,
    )
    assert clash.status_code == 409


def test_outside_the_care_team_appointments_are_refused_and_audited_but_the_owning_team_records(
    client: TestClient, case: Case, nurse: Person, team: dict[str, Person], world: World, mailbox: Mailbox
) -> None:
    appointment = book(client, case, nurse).json()
    world.team("OTHER", la=None)
    outsider = world.user("outsider", role=Role.clinician, team="OTHER")
    assert (
        client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=outsider.headers).status_code
        == 403
    )
    assert book(client, case, outsider, owner_team="OTHER").status_code == 403
    assert appointment_outcome(client, case, outsider, appointment["id"], WNB).status_code == 403
    assert appointment_outcome(client, case, outsider, 999999, WNB).status_code == 403  # no existence leak
    denied = audit_events(actor_username="outsider", outcome="denied")
    assert sorted(e.action for e in denied) == [
        "appointment.book",
        "appointment.list",
        "appointment.outcome",
        "appointment.outcome",
    ]
    assert all(e.young_person_ref == case.ref for e in denied)

    # A colleague of the owning CAMHS team (whose member camhs1 is on the care team) books and records.
    colleague = world.user("camhs2", role=Role.clinician, team="CEC-CAMHS")
    theirs = book(client, case, colleague)
    assert theirs.status_code == 201, theirs.text
    recorded = appointment_outcome(client, case, colleague, theirs.json()["id"], WNB)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["recorded_by"] == "camhs2"
    assert (
        client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=colleague.headers).status_code
        == 403
    )
    assert audit_events(action="missed_appointment.recorded")[0].actor_username == "camhs2"
