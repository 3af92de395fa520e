"""Was not brought / did not attend through the API, over the real database, real rq workers and a real
SMTP server: a missed follow-up is never only recorded."""

from __future__ import annotations

from datetime import timedelta
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
    audit_events,
    complete_assessment,
    run_worker,
)
from tests.integration.test_closures import _answer, _decide, _propose

IDENTIFIERS = ("alex", "testperson", "9990000018", "2005-03-14", "car broke down", "transport", "college")
WNB = {"status": "was_not_brought", "reason": "Mum's car broke down", "barriers": ["transport"]}
CAPACITY = {
    "framework": "mca",
    "competent": True,
    "informed_choice": True,
    "assessed_on": utcnow().date().isoformat(),
    "note": "Understood the appointment; chose to go to college instead.",
}
DNA = {"status": "did_not_attend", "reason": "Chose college", "barriers": ["other"], "capacity": CAPACITY}


@pytest.fixture
def nurse(client: TestClient, world: World, case: Case) -> Person:
    return add_care_coordinator(client, world, case)


@pytest.fixture
def team(client: TestClient, world: World, case: Case) -> dict[str, Person]:
    """A GP on the care team, a CAMHS clinician who owns the follow-ups (the referrer) and the local
    authority's safeguarding lead, each with an email address."""
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


def plan_with_missable_follow_ups(client: TestClient, case: Case, person: Person, days_ago: list[int]) -> Any:
    """A discharge plan three days ago whose CAMHS follow-ups (no named owner) are already past."""
    now = utcnow()
    body = {
        "discharge_at": (now - timedelta(days=3)).isoformat(),
        "follow_ups": [
            {
                "at": (now - timedelta(days=d)).isoformat(),
                "owner_team": "CEC-CAMHS",
                "location": "CAMHS clinic",
            }
            for d in days_ago
        ],
        "review_date": "2027-01-10",
    }
    made = client.post(f"/api/v1/young-people/{case.ref}/discharge-plans", json=body, headers=person.headers)
    assert made.status_code == 201, made.text
    return made.json()


def outcome(
    client: TestClient, person: Person, case: Case, plan: Any, index: int, body: dict[str, Any]
) -> Any:
    follow_up = plan["follow_ups"][index]
    return client.post(
        f"/api/v1/young-people/{case.ref}/discharge-plans/{plan['id']}/follow-ups/{follow_up['id']}/outcome",
        json=body,
        headers=person.headers,
    )


def chronology(client: TestClient, case: Case) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.social_worker.headers)
    return list(answer.json()["events"])


def assert_ref_only(case: Case, text: str) -> None:
    assert case.ref in text
    for identifier in IDENTIFIERS:
        assert identifier not in text.lower(), identifier


def test_a_cp_plan_childs_miss_reaches_the_lead_social_worker_by_ref_only(
    client: TestClient, case: Case, nurse: Person, world: World, mailbox: Mailbox
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    plan = plan_with_missable_follow_ups(client, case, nurse, [1])
    recorded = outcome(client, nurse, case, plan, 0, WNB | {"note": "Rebooked for next week"})
    assert recorded.status_code == 200, recorded.text
    [follow_up] = recorded.json()["follow_ups"]
    assert follow_up["status"] == "was_not_brought"
    assert follow_up["missed"]["told"] == ["jsmith", "nurse"]

    run_worker()
    mails = mailbox.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["jo.smith@example.org", "nurse@example.org"]
    for mail in mails:
        assert mail["Subject"] == f"[liaison] Was not brought: {case.ref} - please acknowledge"
        assert_ref_only(case, mail.as_string())
        assert f"/young-people/{case.ref}/missed-appointments" in mail.get_payload(decode=True).decode()
    assert len(mailbox.wait_for(3, timeout=0.5)) == 2  # the coordinator's message asks the re-score itself

    kinds = [e["kind"] for e in chronology(client, case)]
    assert "was_not_brought" in kinds and "rescore_prompt" in kinds and "appointment" not in kinds
    [event] = [e for e in chronology(client, case) if e["kind"] == "was_not_brought"]
    assert "jsmith (lead social worker)" in event["summary"] and "barriers: transport" in event["summary"]
    [audited] = audit_events(action="missed_appointment.recorded")
    assert (audited.actor_username, audited.young_person_ref, audited.via) == ("nurse", case.ref, "api")

    listed = client.get(f"/api/v1/young-people/{case.ref}/missed-appointments", headers=nurse.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert (body["in_window"], body["pattern_met"], body["threshold"], body["window_days"]) == (
        {"total": 1, "was_not_brought": 1, "did_not_attend": 0},
        False,
        2,
        90,
    )
    assert body["missed"][0]["reason"] == "Mum's car broke down"


def test_two_misses_reach_the_gp_referrer_and_safeguarding_lead_once(
    client: TestClient, case: Case, nurse: Person, team: dict[str, Person], mailbox: Mailbox
) -> None:
    plan = plan_with_missable_follow_ups(client, case, nurse, [2, 1])
    assert outcome(client, nurse, case, plan, 0, WNB).status_code == 200
    run_worker()
    first = mailbox.wait_for(2)
    assert sorted(m["To"] for m in first) == ["jo.smith@example.org", "nurse@example.org"]

    second = outcome(client, nurse, case, plan, 1, DNA)
    assert second.status_code == 200, second.text
    again = outcome(client, nurse, case, plan, 1, DNA | {"note": "Amended: spoke to her today"})
    assert again.status_code == 200, again.text  # the same appointment: nobody is told twice
    run_worker()
    mails = mailbox.wait_for(7)
    pattern = [m for m in mails if "Repeated missed appointments" in m["Subject"]]
    assert sorted(m["To"] for m in pattern) == [
        "camhs1@example.org",  # owns the missed appointments
        "gp@example.org",
        "jo.smith@example.org",
        "nurse@example.org",
        "sg@example.org",
    ]
    for mail in pattern:
        assert_ref_only(case, mail.as_string())
    assert len(mailbox.wait_for(8, timeout=0.5)) == 7

    kinds = [e["kind"] for e in chronology(client, case)]
    assert kinds.count("missed_pattern") == 1 and kinds.count("did_not_attend") == 2
    overview = client.get(
        f"/api/v1/young-people/{case.ref}/missed-appointments", headers=nurse.headers
    ).json()
    assert overview["in_window"] == {"total": 2, "was_not_brought": 1, "did_not_attend": 1}
    assert overview["pattern_met"] is True
    assert overview["missed"][0]["capacity"]["assessed_by"] == "nurse"
    assert [e.action for e in audit_events(action="rule.missed_pattern")] == ["rule.missed_pattern"]

    # Corrected to attended, the miss no longer counts.
    assert outcome(client, nurse, case, plan, 0, {"status": "attended"}).status_code == 200
    overview = client.get(
        f"/api/v1/young-people/{case.ref}/missed-appointments", headers=nurse.headers
    ).json()
    assert overview["in_window"]["total"] == 1 and overview["missed"][1]["withdrawn_at"] is not None


def test_did_not_attend_is_refused_without_a_capacity_check(
    client: TestClient, case: Case, nurse: Person, world: World, mailbox: Mailbox
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    plan = plan_with_missable_follow_ups(client, case, nurse, [1])
    refused = outcome(client, nurse, case, plan, 0, {"status": "did_not_attend"})
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "missing the reason" in detail and "missing the barriers" in detail
    assert "missing the adolescent-capacity check" in detail and "recorded as was_not_brought" in detail
    not_competent = DNA | {"capacity": CAPACITY | {"competent": False}}
    assert "record was_not_brought" in outcome(client, nurse, case, plan, 0, not_competent).json()["detail"]
    wrong_framework = DNA | {"capacity": CAPACITY | {"framework": "gillick"}}
    assert "use mca" in outcome(client, nurse, case, plan, 0, wrong_framework).json()["detail"]
    stranger = DNA | {"capacity": CAPACITY | {"assessed_by": "nobody"}}
    assert (
        "capacity.assessed_by: no user 'nobody'"
        in outcome(client, nurse, case, plan, 0, stranger).json()["detail"]
    )
    stray = outcome(client, nurse, case, plan, 0, {"status": "attended", "barriers": ["cost"]})
    assert stray.status_code == 422 and "only for a missed appointment" in stray.json()["detail"]

    [follow_up] = client.get(
        f"/api/v1/young-people/{case.ref}/discharge-plans/{plan['id']}", headers=nurse.headers
    ).json()["follow_ups"]
    assert (follow_up["status"], follow_up["missed"]) == ("scheduled", None)
    assert [e.outcome for e in audit_events(action="missed_appointment.record")] == ["refused"] * 4
    run_worker()
    assert mailbox.wait_for(1, timeout=0.5) == []


def test_a_non_engagement_closure_is_refused_after_was_not_brought_misses(
    client: TestClient, case: Case, nurse: Person, team: dict[str, Person]
) -> None:
    plan = plan_with_missable_follow_ups(client, case, nurse, [2, 1])
    assert outcome(client, nurse, case, plan, 0, WNB).status_code == 200
    assert outcome(client, nurse, case, plan, 1, WNB).status_code == 200
    camhs = team["camhs"]
    closure_id = _propose(client, case, camhs)["id"]
    complete_assessment(client, nurse, case.ref)
    for person in (nurse, case.social_worker):
        answered = _answer(client, closure_id, person, "agree")
    [blocker] = answered["blockers"]
    assert blocker.startswith("2 missed appointment(s) in the last 90 days were recorded as was not brought")
    refused = _decide(client, closure_id, camhs)
    assert refused.status_code == 409
    assert (
        "non-engagement is not the young person's choice when they were not brought"
        in refused.json()["detail"]
    )


def test_outside_the_care_team_missed_appointments_are_refused_and_audited(
    client: TestClient, case: Case, nurse: Person, world: World
) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    plan = plan_with_missable_follow_ups(client, case, nurse, [1])
    world.team("OTHER", la=None)
    outsider = world.user("outsider", role=Role.clinician, team="OTHER")
    listed = client.get(f"/api/v1/young-people/{case.ref}/missed-appointments", headers=outsider.headers)
    assert listed.status_code == 403
    assert outcome(client, outsider, case, plan, 0, WNB).status_code == 403
    denied = audit_events(actor_username="outsider", outcome="denied")
    assert sorted(e.action for e in denied) == ["discharge_plan.follow_up_outcome", "missed_appointment.list"]
    assert all(e.young_person_ref == case.ref for e in denied)
    assert audit_events(action="missed_appointment.recorded") == []
