"""Care plans, safety plans and multi-agency discharge plans through the API, over the real database, with
real rq workers and a real SMTP server."""

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
    attendance,
    audit_events,
    run_worker,
)
from worker import jobs

CARE_PLAN: dict[str, Any] = {
    "aims": ["Feel safe at home and at college"],
    "long_term_goals": ["Start the apprenticeship in September"],
    "interventions": [
        {
            "action": "Weekly CAMHS sessions",
            "owning_team": "CEC-CSC",
            "owner": "jsmith",
            "status": "planned",
            "due_date": "2026-12-20",
        },
        {"action": "Drug and alcohol key worker", "agency": "substance_misuse"},
    ],
    "made_jointly_with_young_person": True,
    "young_person_views": "I want to stay near my sister.",
    "family_views": "Mum wants more help at weekends.",
    "sharing": {"consent_to_share": True, "lawful_basis": "UK GDPR Art 6(1)(e), 9(2)(h)"},
    "review_date": "2027-01-15",
}
SAFETY_PLAN: dict[str, Any] = {
    "warning_signs": ["I stop answering my phone"],
    "internal_coping_strategies": ["Music in my headphones"],
    "people_and_places_for_distraction": ["The skate park"],
    "people_who_can_help": [{"name": "My sister", "phone": "07700900001"}],
    "professionals_and_agencies": [
        {"name": "CAMHS crisis line", "phone": "0800 000 0000", "available_24_7": True}
    ],
    "making_the_environment_safe": ["Medicines locked away"],
    "reasons_for_living": ["My dog"],
    "key_contact": {"name": "Nurse", "relationship": "care coordinator"},
    "agreed_with_young_person": True,
    "review_date": "2027-01-15",
}
IDENTIFIERS = ("alex", "testperson", "9990000018", "2005-03-14", "sister", "overdose", "camhs sessions")


@pytest.fixture
def nurse(client: TestClient, world: World, case: Case) -> Person:
    return add_care_coordinator(client, world, case)


@pytest.fixture
def gp(world: World) -> Person:
    """A GP outside the care team who owns the first follow-up appointment."""
    world.team("GP-A", agency=Agency.gp, la=None)
    return world.user("drgp", role=Role.clinician, team="GP-A", email="gp@example.org")


def follow_up(hours: float = 30, **extra: Any) -> dict[str, Any]:
    at = utcnow() + timedelta(hours=hours)
    return {"at": at.isoformat(), "owner_team": "GP-A", "owner": "drgp", "location": "GP surgery"} | extra


def discharge_plan(**extra: Any) -> dict[str, Any]:
    return {
        "follow_ups": [follow_up()],
        "crisis_plan": "Call the out-of-hours duty team, then the crisis line.",
        "out_of_hours_contacts": [{"name": "EDT", "phone": "0300 000 0000", "when": "evenings and weekends"}],
        "risk_formulation": "Four overdoses in fourteen weeks after a move; protective: sister, college.",
        "reasonable_adjustments": ["Written copies; quiet room"],
        "legal": {"consent_to_share": True, "gillick_mca_notes": "16+: capacity presumed"},
        "review_date": "2027-01-10",
    } | extra


def post(client: TestClient, person: Person, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, json=body, headers=person.headers)


def chronology(client: TestClient, case: Case) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.social_worker.headers)
    return list(answer.json()["events"])


def test_an_issued_plan_reaches_everyone_named_in_it_by_ref_only(
    client: TestClient, case: Case, nurse: Person, gp: Person, mailbox: Mailbox
) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    assert post(client, nurse, f"{base}/care-plan", CARE_PLAN).status_code == 201
    assert post(client, nurse, f"{base}/safety-plan", SAFETY_PLAN).status_code == 201
    made = post(client, nurse, f"{base}/discharge-plans", discharge_plan())
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["status"] == "draft"
    assert plan["care_coordinator"]["username"] == "nurse"  # from the care team
    assert plan["lead_social_worker"]["username"] == "jsmith"
    assert plan["readiness"] == {
        "ready": True,
        "missing": [],
        "warnings": [],
        "first_contact_due_by": plan["readiness"]["first_contact_due_by"],
    }
    assert plan["first_contact_hours"] == 72
    assert plan["follow_ups"][0]["within_first_contact_target"] is True

    issued = post(client, nurse, f"{base}/discharge-plans/{plan['id']}/issue")
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert (body["status"], body["care_plan_version"], body["safety_plan_version"]) == ("issued", 1, 1)
    named = {r["username"]: r["named_as"] for r in body["distribution"]["recipients"]}
    assert named == {
        "nurse": ["care_coordinator", "agency_contact"],
        "jsmith": ["lead_social_worker", "agency_contact"],
        "drgp": ["follow_up_owner"],
    }

    run_worker()
    mails = mailbox.wait_for(3)
    assert sorted(m["To"] for m in mails) == ["gp@example.org", "jo.smith@example.org", "nurse@example.org"]
    for mail in mails:
        assert "Discharge plan issued" in mail["Subject"] and case.ref in mail["Subject"]
        whole = mail.as_string().lower()
        assert f"/young-people/{case.ref.lower()}/plans" in whole
        for identifier in IDENTIFIERS:
            assert identifier not in whole, identifier

    notifications = client.get("/api/v1/notifications", headers=nurse.headers).json()
    [mine] = [n for n in notifications if n["kind"] == "plan_issued" and n["recipient"] == "nurse"]
    assert post(client, nurse, f"/api/v1/notifications/{mine['id']}/acknowledge").status_code == 200
    after = client.get(f"{base}/discharge-plans/{plan['id']}", headers=case.social_worker.headers).json()
    distribution = after["distribution"]
    assert (distribution["reached"], distribution["named"], distribution["all_reached_within_24h"]) == (
        3,
        3,
        True,
    )
    by_name = {r["username"]: r for r in distribution["recipients"]}
    assert by_name["nurse"]["acknowledged_at"] is not None and by_name["jsmith"]["acknowledged_at"] is None
    assert by_name["drgp"]["deliveries"][0]["channel"] == "email"
    assert by_name["drgp"]["deliveries"][0]["status"] == "delivered"

    kinds = [e["kind"] for e in chronology(client, case)]
    assert kinds.count("discharge_plan_issued") == 1
    assert jobs.check_plans(now=utcnow() + timedelta(hours=25)) == 0
    [checked] = [e for e in chronology(client, case) if e["kind"] == "discharge_plan_distribution"]
    assert "reached all 3 people named in it within 24 h" in checked["summary"]


def test_a_named_person_not_reached_within_24_hours_shows_in_the_plan_and_the_chronology(
    client: TestClient, world: World, case: Case, nurse: Person, mailbox: Mailbox
) -> None:
    world.team("GP-B", agency=Agency.gp, la=None)
    world.user("nomail", role=Role.clinician, team="GP-B")  # no channel at all
    base = f"/api/v1/young-people/{case.ref}"
    post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    made = post(
        client,
        nurse,
        f"{base}/discharge-plans",
        discharge_plan(follow_ups=[follow_up(owner_team="GP-B", owner=None)]),
    ).json()
    assert post(client, nurse, f"{base}/discharge-plans/{made['id']}/issue").status_code == 200
    run_worker()
    plan = client.get(f"{base}/discharge-plans/{made['id']}", headers=nurse.headers).json()
    [no_mail] = [r for r in plan["distribution"]["recipients"] if r["username"] == "nomail"]
    assert (no_mail["named_as"], no_mail["deliveries"], no_mail["reached_at"]) == (
        ["follow_up_owner"],
        [],
        None,
    )
    assert plan["distribution"]["all_reached_within_24h"] is None  # the 24 h are still running

    jobs.check_plans(now=utcnow() + timedelta(hours=25))
    jobs.check_plans(now=utcnow() + timedelta(hours=26))  # once per plan
    notes = [e for e in chronology(client, case) if e["kind"] == "discharge_plan_distribution"]
    assert len(notes) == 1
    assert "did not reach nomail within 24 h" in notes[0]["summary"]


def test_without_a_care_coordinator_the_plan_cannot_be_issued(
    client: TestClient, case: Case, gp: Person, mailbox: Mailbox
) -> None:
    worker = case.social_worker
    base = f"/api/v1/young-people/{case.ref}"
    assert post(client, worker, f"{base}/care-plan", CARE_PLAN).status_code == 201
    plan = post(client, worker, f"{base}/discharge-plans", discharge_plan()).json()
    assert plan["care_coordinator"] is None
    assert plan["readiness"]["ready"] is False

    refused = post(client, worker, f"{base}/discharge-plans/{plan['id']}/issue")
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail.startswith("the discharge plan cannot be issued yet: missing a named care coordinator")
    readiness = client.get(f"{base}/discharge-plans/{plan['id']}/readiness", headers=worker.headers).json()
    assert [m.split(" (")[0] for m in readiness["missing"]] == ["a named care coordinator"]

    [attempt] = audit_events(action="discharge_plan.issue", outcome="refused")
    assert (attempt.actor_username, attempt.young_person_ref) == ("jsmith", case.ref)
    still = client.get(f"{base}/discharge-plans/{plan['id']}", headers=worker.headers).json()
    assert (still["status"], still["distribution"]) == ("draft", None)
    run_worker()
    assert mailbox.messages == []

    not_a_coordinator = client.patch(
        f"{base}/discharge-plans/{plan['id']}", json={"care_coordinator": "jsmith"}, headers=worker.headers
    )
    assert not_a_coordinator.status_code == 422
    assert "not care_coordinator" in not_a_coordinator.json()["detail"]


def test_a_safety_plan_without_a_care_plan_is_a_warning_everywhere(
    client: TestClient, case: Case, nurse: Person, gp: Person
) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    saved = post(client, nurse, f"{base}/safety-plan", SAFETY_PLAN)
    assert saved.status_code == 201, saved.text
    assert "safety plan without care plan" in saved.json()["warnings"]
    overview = client.get(f"{base}/plans", headers=case.social_worker.headers).json()
    assert overview["warnings"] == ["safety plan without care plan"]
    assert overview["care_plan"] is None and overview["safety_plan"]["version"] == 1
    [warning] = [e for e in chronology(client, case) if e["kind"] == "plan_warning"]
    assert "safety plan without care plan" in warning["summary"].lower()

    plan = post(client, nurse, f"{base}/discharge-plans", discharge_plan()).json()
    assert plan["readiness"]["missing"] == ["a care plan (NICE NG225: a safety plan is not a care plan)"]
    assert "safety plan without care plan" in plan["readiness"]["warnings"]
    assert post(client, nurse, f"{base}/discharge-plans/{plan['id']}/issue").status_code == 422

    post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    assert client.get(f"{base}/plans", headers=nurse.headers).json()["warnings"] == []
    assert post(client, nurse, f"{base}/discharge-plans/{plan['id']}/issue").status_code == 200


def test_care_and_safety_plans_keep_every_version(client: TestClient, case: Case, nurse: Person) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    assert client.put(f"{base}/care-plan", json=CARE_PLAN, headers=nurse.headers).status_code == 404
    assert post(client, nurse, f"{base}/care-plan", CARE_PLAN).status_code == 201
    again = post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    assert again.status_code == 409 and "PUT" in again.json()["detail"]
    changed = CARE_PLAN | {
        "aims": ["Feel safe at home", "Back to college"],
        "made_jointly_with_young_person": False,
    }
    updated = client.put(f"{base}/care-plan", json=changed, headers=case.social_worker.headers)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["version"], updated.json()["recorded_by"]) == (2, "jsmith")
    assert "not made jointly with the young person" in updated.json()["warnings"]

    history = client.get(f"{base}/care-plan/versions", headers=nurse.headers).json()
    assert [(v["version"], v["status"], v["recorded_by"]) for v in history] == [
        (2, "current", "jsmith"),
        (1, "superseded", "nurse"),
    ]
    first = client.get(f"{base}/care-plan/versions/1", headers=nurse.headers).json()
    assert first["aims"] == ["Feel safe at home and at college"]
    assert client.get(f"{base}/care-plan", headers=nurse.headers).json()["aims"] == changed["aims"]

    post(client, nurse, f"{base}/safety-plan", SAFETY_PLAN)
    client.put(
        f"{base}/safety-plan",
        json=SAFETY_PLAN | {"reasons_for_living": ["My dog", "Football"]},
        headers=nurse.headers,
    )
    safety = client.get(f"{base}/safety-plan/versions", headers=nurse.headers).json()
    assert [(v["version"], v["reasons_for_living"]) for v in safety] == [
        (2, ["My dog", "Football"]),
        (1, ["My dog"]),
    ]
    kinds = [e["kind"] for e in chronology(client, case)]
    assert (kinds.count("care_plan_saved"), kinds.count("safety_plan_saved")) == (2, 2)

    unknown_team = CARE_PLAN | {"interventions": [{"action": "x", "owning_team": "NOPE"}]}
    assert client.put(f"{base}/care-plan", json=unknown_team, headers=nurse.headers).status_code == 404
    unowned = CARE_PLAN | {"interventions": [{"action": "x"}]}
    assert client.put(f"{base}/care-plan", json=unowned, headers=nurse.headers).status_code == 422


def test_outside_the_care_team_plans_are_refused_and_audited(
    client: TestClient, world: World, case: Case, nurse: Person
) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    plan = post(client, nurse, f"{base}/discharge-plans", discharge_plan(follow_ups=[])).json()
    world.team("OTHER-LIA", la=None)
    outsider = world.user("outsider", role=Role.liaison, team="OTHER-LIA")
    answers = [
        client.get(f"{base}/care-plan", headers=outsider.headers),
        client.post(f"{base}/safety-plan", json=SAFETY_PLAN, headers=outsider.headers),
        client.get(f"{base}/discharge-plans/{plan['id']}", headers=outsider.headers),
        client.post(f"{base}/discharge-plans/{plan['id']}/issue", headers=outsider.headers),
    ]
    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    denied = audit_events(actor_username="outsider", outcome="denied")
    assert [e.action for e in denied] == [
        "care_plan.read",
        "safety_plan.create",
        "discharge_plan.read",
        "discharge_plan.issue",
    ]
    assert all(e.young_person_ref == case.ref for e in denied)
    # an integration account reads no record
    world.team("SYS", la=None)
    system = world.user("edsys", role=Role.integration, team="SYS")
    assert client.get(f"{base}/plans", headers=system.headers).status_code == 403
    # reads that are allowed are audited too
    client.get(f"{base}/care-plan", headers=case.social_worker.headers)
    assert [e.outcome for e in audit_events(actor_username="jsmith", action="care_plan.read")] == ["allowed"]


def test_a_care_plan_review_prompts_the_care_coordinator_to_re_score(
    client: TestClient, case: Case, nurse: Person, mailbox: Mailbox
) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    review = {"outcome": "Goals still right; add college mentor", "next_review_date": "2027-03-01"}
    made = post(client, case.social_worker, f"{base}/care-plan/reviews", review)
    assert made.status_code == 201, made.text
    assert (made.json()["reviewed_by"], made.json()["care_plan_version"]) == ("jsmith", 1)
    run_worker()
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "nurse@example.org" and "Re-score" in mail["Subject"] and case.ref in mail["Subject"]
    assert "college mentor" not in mail.as_string()

    plan = client.get(f"{base}/care-plan", headers=nurse.headers).json()
    assert plan["review_date"] == "2027-03-01"
    assert [r["outcome"] for r in plan["reviews"]] == ["Goals still right; add college mentor"]
    kinds = [e["kind"] for e in chronology(client, case)]
    assert (kinds.count("care_plan_reviewed"), kinds.count("rescore_prompt")) == (1, 1)
    post(client, nurse, f"{base}/care-plan/reviews", review | {"next_review_date": "2027-06-01"})
    kinds = [e["kind"] for e in chronology(client, case)]
    assert kinds.count("rescore_prompt") == 2  # one prompt per review


def test_a_care_plan_past_its_review_date_prompts_once_per_date(
    client: TestClient, case: Case, nurse: Person, mailbox: Mailbox
) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    due = (utcnow() + timedelta(days=3)).date()
    post(client, nurse, f"{base}/care-plan", CARE_PLAN | {"review_date": due.isoformat()})
    assert jobs.check_plans(now=utcnow()) == 0
    later = utcnow() + timedelta(days=5)
    assert jobs.check_plans(now=later) == 1
    assert jobs.check_plans(now=later + timedelta(days=1)) == 0
    run_worker()
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "nurse@example.org" and "Care plan review due" in mail["Subject"]
    assert f"/young-people/{case.ref}/care-plan" in mail.as_string()

    next_due = (utcnow() + timedelta(days=10)).date()
    post(
        client,
        nurse,
        f"{base}/care-plan/reviews",
        {"outcome": "Reviewed late", "next_review_date": next_due.isoformat()},
    )
    assert jobs.check_plans(now=utcnow() + timedelta(days=8)) == 0
    assert jobs.check_plans(now=utcnow() + timedelta(days=12)) == 1
    kinds = [e["kind"] for e in chronology(client, case)]
    assert kinds.count("care_plan_review_due") == 2


def test_follow_up_outcomes_and_a_newer_plan_superseding_the_older(
    client: TestClient, case: Case, nurse: Person, gp: Person
) -> None:
    base = f"/api/v1/young-people/{case.ref}"
    post(client, nurse, f"{base}/care-plan", CARE_PLAN)
    seen = post(client, case.hospital, "/api/v1/attendances", attendance()).json()
    wrong = post(client, nurse, f"{base}/discharge-plans", discharge_plan(attendance_id=seen["id"] + 1))
    assert wrong.status_code == 404
    earlier = {
        "attendance_id": seen["id"],
        "discharge_at": (utcnow() - timedelta(days=2)).isoformat(),
        "follow_ups": [follow_up(hours=-24)],  # yesterday, so it can have been missed
    }
    first = post(client, nurse, f"{base}/discharge-plans", discharge_plan(**earlier)).json()
    assert first["attendance_id"] == seen["id"]
    issued = post(client, nurse, f"{base}/discharge-plans/{first['id']}/issue").json()
    assert issued["first_contact_due_by"] is not None
    assert post(client, nurse, f"{base}/discharge-plans/{first['id']}/issue").status_code == 409
    [appointment] = first["follow_ups"]
    recorded = post(
        client,
        case.social_worker,
        f"{base}/discharge-plans/{first['id']}/follow-ups/{appointment['id']}/outcome",
        {
            "status": "was_not_brought",
            "note": "Rebooked",
            "reason": "Mum unwell",
            "barriers": ["caring_duties"],
        },
    )
    assert recorded.status_code == 200, recorded.text
    [after] = recorded.json()["follow_ups"]
    assert (after["status"], after["recorded_by"], after["note"]) == ("was_not_brought", "jsmith", "Rebooked")
    assert (after["missed"]["reason"], after["missed"]["barriers"]) == ("Mum unwell", ["caring_duties"])
    [event] = [e for e in chronology(client, case) if e["kind"] == "was_not_brought"]
    assert "was not brought" in event["summary"]

    frozen = client.patch(
        f"{base}/discharge-plans/{first['id']}", json={"crisis_plan": "x"}, headers=nurse.headers
    )
    assert frozen.status_code == 409
    second = post(client, nurse, f"{base}/discharge-plans", discharge_plan(first_contact_hours=48)).json()
    assert second["first_contact_hours"] == 48
    assert post(client, nurse, f"{base}/discharge-plans/{second['id']}/issue").status_code == 200
    listed = client.get(f"{base}/discharge-plans", headers=nurse.headers).json()
    assert [(p["id"], p["status"]) for p in listed] == [(second["id"], "issued"), (first["id"], "superseded")]
    old = client.get(f"{base}/discharge-plans/{first['id']}", headers=nurse.headers).json()
    assert old["superseded_by_id"] == second["id"]
