"""Needs assessments through the API: start, answer, complete; HIGH makes a Gateway referral that reaches
the care team and the Gateway chair; access from outside the care team is refused and audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.checklists import bundled_templates
from schemas.enums import Role
from services.kernel.clock import utcnow
from tests.integration.conftest import (
    Case,
    Mailbox,
    Person,
    World,
    add_care_coordinator,
    audit_events,
    default_answers,
    run_worker,
    start_and_answer,
)
from worker import jobs

TEMPLATE = bundled_templates()[0]
HIGH_ANSWERS: dict[str, Any] = {
    "a.self_harm": "repeated",
    "a.suicidal_thoughts": "recent",
    "a.domestic_abuse": True,
    "b.autism": True,
    "b.engagement": "mostly_missed",
    "b.accommodation": "broken_down",
    "b.la_moves": 3,
    "c.need.family": True,
}


@pytest.fixture
def liaison(client: TestClient, world: World, case: Case, monkeypatch: pytest.MonkeyPatch) -> Person:
    world.team("CEC-GW")
    world.user("chair", role=Role.team_manager, team="CEC-GW", email="gateway.chair@example.org")
    monkeypatch.setenv("GATEWAY_CHAIRS", '{"CEC": ["chair"]}')
    return add_care_coordinator(client, world, case)


def test_a_high_result_is_a_gateway_referral_that_reaches_the_care_team_and_the_chair(
    client: TestClient, case: Case, liaison: Person, mailbox: Mailbox
) -> None:
    assessment_id = start_and_answer(client, liaison, case.ref, default_answers(HIGH_ANSWERS))
    refused = client.post(
        f"/api/v1/assessments/{assessment_id}/complete", json={"formulation": "x"}, headers=liaison.headers
    )
    assert refused.status_code == 422
    assert "'c.need.family' shows an unmet need" in refused.json()["detail"]
    need = client.post(
        f"/api/v1/assessments/{assessment_id}/needs",
        json={
            "link_id": "c.need.family",
            "owning_team": "CEC-CSC",
            "action": "Carer's assessment for mum",
            "due_date": "2026-12-15",
        },
        headers=liaison.headers,
    )
    assert need.status_code == 201, need.text

    done = client.post(
        f"/api/v1/assessments/{assessment_id}/complete",
        json={"formulation": "Escalating self-harm after placement move; protective: sister, school."},
        headers=liaison.headers,
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed"
    assert body["level"] == "HIGH"
    assert body["result"]["label"] == "Likelihood of Tier 4 admission, placement breakdown or custody"
    assert "seen or heard domestic abuse" in body["result"]["explanation"]
    assert body["result"]["cetr_prompt"] is True
    [referral] = body["escalations"]
    assert (referral["level"], referral["status"], referral["cetr_prompt"]) == ("gateway", "open", True)

    events = client.get(
        f"/api/v1/young-people/{case.ref}/chronology", headers=case.social_worker.headers
    ).json()
    gateway = [e for e in events["events"] if e["kind"] == "gateway_referral"]
    assert len(gateway) == 1 and "Care, Education and Treatment Review" in gateway[0]["summary"]

    run_worker()
    mails = mailbox.wait_for(3)
    assert sorted(m["To"] for m in mails) == [
        "gateway.chair@example.org",
        "jo.smith@example.org",
        "nurse@example.org",
    ]
    for mail in mails:
        assert "Gateway referral" in mail["Subject"] and case.ref in mail["Subject"]
        whole = mail.as_string().lower()
        for identifier in ("alex", "testperson", "9990000018", "2005-03-14", "self-harm", "domestic"):
            assert identifier not in whole, identifier


def test_outside_the_care_team_starting_or_reading_is_refused_and_audited(
    client: TestClient, world: World, case: Case, liaison: Person
) -> None:
    assessment_id = start_and_answer(client, liaison, case.ref, {"a.self_harm": "once"})
    world.team("OTHER-LIA", la=None)
    outsider = world.user("outsider", role=Role.liaison, team="OTHER-LIA")
    started = client.post(f"/api/v1/young-people/{case.ref}/assessments", json={}, headers=outsider.headers)
    read = client.get(f"/api/v1/assessments/{assessment_id}", headers=outsider.headers)
    answered = client.put(
        f"/api/v1/assessments/{assessment_id}/answers/a.missing",
        json={"value": "one"},
        headers=outsider.headers,
    )
    assert (started.status_code, read.status_code, answered.status_code) == (403, 403, 403)
    denied = audit_events(actor_username="outsider", outcome="denied")
    assert [e.action for e in denied] == ["assessment.start", "assessment.read", "assessment.answer"]
    assert all(e.young_person_ref == case.ref for e in denied)


def test_answers_keep_their_history_and_amending_keeps_the_old_version(
    client: TestClient, case: Case, liaison: Person
) -> None:
    assessment_id = start_and_answer(client, liaison, case.ref, default_answers({"a.self_harm": "once"}))
    client.put(
        f"/api/v1/assessments/{assessment_id}/answers/a.self_harm",
        json={"value": "none"},
        headers=case.social_worker.headers,
    )
    bad = client.put(
        f"/api/v1/assessments/{assessment_id}/answers/a.self_harm",
        json={"value": "often"},
        headers=liaison.headers,
    )
    assert bad.status_code == 422 and "must be one of" in bad.json()["detail"]
    done = client.post(
        f"/api/v1/assessments/{assessment_id}/complete",
        json={"formulation": "Settled."},
        headers=liaison.headers,
    )
    assert done.json()["level"] == "LOW"
    history = [
        (h["answered_by"], h["value"]) for h in done.json()["history"] if h["link_id"] == "a.self_harm"
    ]
    assert history == [("nurse", "once"), ("jsmith", "none")]

    amended = client.post(f"/api/v1/assessments/{assessment_id}/amend", headers=liaison.headers)
    assert amended.status_code == 201, amended.text
    assert (amended.json()["version"], amended.json()["previous_id"]) == (2, assessment_id)
    assert amended.json()["answers"] == done.json()["answers"]
    old = client.get(f"/api/v1/assessments/{assessment_id}", headers=liaison.headers).json()
    assert (old["status"], old["level"]) == ("amended", "LOW")
    listed = client.get(f"/api/v1/young-people/{case.ref}/assessments", headers=liaison.headers).json()
    assert [(a["version"], a["status"]) for a in listed] == [(2, "in_progress"), (1, "amended")]


def test_an_overdue_need_is_notified_once_to_the_care_coordinator(
    client: TestClient, case: Case, liaison: Person, mailbox: Mailbox
) -> None:
    assessment_id = start_and_answer(client, liaison, case.ref, {"c.need.education": True})
    due = (utcnow() + timedelta(days=3)).date()
    client.post(
        f"/api/v1/assessments/{assessment_id}/needs",
        json={
            "link_id": "c.need.education",
            "owning_team": "CEC-CSC",
            "action": "Reduced timetable review",
            "due_date": due.isoformat(),
        },
        headers=liaison.headers,
    )
    assert jobs.check_needs_and_scores(now=utcnow()) == 0
    later = utcnow() + timedelta(days=5)
    assert jobs.check_needs_and_scores(now=later) == 1
    assert jobs.check_needs_and_scores(now=later + timedelta(days=1)) == 0
    run_worker()
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "nurse@example.org" and "Unmet need overdue" in mail["Subject"]
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=liaison.headers).json()[
            "events"
        ]
    ]
    assert kinds.count("need_overdue") == 1
    [need] = client.get(f"/api/v1/young-people/{case.ref}/needs", headers=liaison.headers).json()
    assert need["overdue"] is False  # today it is not yet due; the job ran in the future


def _chronology(client: TestClient, ref: str, person: Person) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/young-people/{ref}/chronology", headers=person.headers)
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def test_an_attendance_and_a_move_prompt_the_care_coordinator_to_re_score(
    client: TestClient, case: Case, liaison: Person, mailbox: Mailbox
) -> None:
    from tests.integration.conftest import attendance

    assert (
        client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers).status_code
        == 202
    )
    moved = client.patch(
        f"/api/v1/young-people/{case.ref}", json={"residence_la": "FIF"}, headers=case.lead.headers
    )
    assert moved.status_code == 200
    run_worker()
    mails = mailbox.wait_for(3)  # lead social worker: the alert; coordinator: the alert, then the move
    # (the move also opens a transfer that tells the care team: docs/transfers.md)
    to_nurse = [m for m in mails if m["To"] == "nurse@example.org" and "Transfer" not in m["Subject"]]
    assert [("Acute attendance" in m["Subject"], "Re-score" in m["Subject"]) for m in to_nurse] == [
        (True, False),
        (False, True),
    ]
    assert (
        "asked to re-score" in to_nurse[0].get_payload(decode=True).decode()
    )  # the alert itself asks, no second message
    prompts = [e for e in _chronology(client, case.ref, liaison) if e["kind"] == "rescore_prompt"]
    assert [p["summary"].startswith("Care coordinator (nurse) asked") for p in prompts] == [True, True]
    kinds = [e["kind"] for e in _chronology(client, case.ref, liaison)]
    assert "no_care_coordinator" not in kinds


def test_without_a_care_coordinator_the_lead_social_worker_is_asked_and_the_gap_is_flagged(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    moved = client.patch(
        f"/api/v1/young-people/{case.ref}", json={"residence_la": "FIF"}, headers=case.lead.headers
    )
    assert moved.status_code == 200
    run_worker()
    [mail] = [m for m in mailbox.wait_for(2) if "Transfer" not in m["Subject"]]  # and the transfer opened
    assert (mail["To"], "Re-score" in mail["Subject"]) == ("jo.smith@example.org", True)
    events = _chronology(client, case.ref, case.social_worker)
    [prompt] = [e for e in events if e["kind"] == "rescore_prompt"]
    assert "No care coordinator is named, so the lead social worker (jsmith)" in prompt["summary"]
    assert [e["kind"] for e in events].count("no_care_coordinator") == 1


def test_a_stale_assessment_prompts_once_even_when_nobody_can_be_asked(
    client: TestClient, world: World, case: Case
) -> None:
    """A young person whose care team has a CAMHS clinician but neither a coordinator nor a lead social
    worker: the stale-assessment prompt reaches nobody, so the chronology says so, once."""
    from tests.integration.conftest import YOUNG_PERSON

    clinician = world.user("camhs1", role=Role.clinician, team="RBT-LIA", email="camhs1@example.org")
    created = client.post(
        "/api/v1/young-people",
        json=YOUNG_PERSON | {"nhs_number": "9990000026", "given_name": "Sam"},
        headers=case.lead.headers,
    )
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    added = client.post(
        f"/api/v1/young-people/{ref}/care-team",
        json={"username": "camhs1", "role": "camhs"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201, added.text
    assessment_id = start_and_answer(client, clinician, ref, default_answers({}))
    done = client.post(
        f"/api/v1/assessments/{assessment_id}/complete",
        json={"formulation": "Settled at home; school attendance improving."},
        headers=clinician.headers,
    )
    assert done.status_code == 200, done.text
    later = utcnow() + timedelta(days=400)
    assert jobs.check_needs_and_scores(now=later) == 0  # nobody to send to
    assert jobs.check_needs_and_scores(now=later + timedelta(days=1)) == 0
    events = _chronology(client, ref, clinician)
    [prompt] = [e for e in events if e["kind"] == "rescore_prompt"]
    assert prompt["summary"].startswith("Nobody could be asked to re-score")
    assert [e["kind"] for e in events].count("no_care_coordinator") == 1


def test_thrive_grouping_keeps_history(client: TestClient, case: Case, liaison: Person) -> None:
    for grouping, on in (("getting_help", "2026-10-01"), ("getting_risk_support", "2026-11-28")):
        made = client.post(
            f"/api/v1/young-people/{case.ref}/thrive",
            json={"grouping": grouping, "on": on, "rationale": "Agreed at MDT", "young_person_agreed": True},
            headers=liaison.headers,
        )
        assert made.status_code == 201, made.text
    history = client.get(f"/api/v1/young-people/{case.ref}/thrive", headers=liaison.headers).json()
    assert [(h["grouping"], h["assessor"]) for h in history] == [
        ("getting_risk_support", "nurse"),
        ("getting_help", "nurse"),
    ]
    refused = client.post(
        f"/api/v1/young-people/{case.ref}/thrive",
        json={"grouping": "thriving", "on": "2026-11-28", "rationale": "x"},
        headers=case.hospital.headers,
    )
    assert refused.status_code == 403


def test_a_used_template_version_cannot_change(client: TestClient, case: Case, liaison: Person) -> None:
    from services.assessments import templates
    from services.kernel.db import session_scope
    from services.kernel.errors import Conflict

    start_and_answer(client, liaison, case.ref, {})
    edited = TEMPLATE.model_copy(update={"title": "Edited title, same version"})
    with session_scope() as session, pytest.raises(Conflict, match="give the edited template a new version"):
        templates.store(session, template=edited)
    with session_scope() as session:
        stored = templates.store(session, template=edited.model_copy(update={"version": 2}))
        assert (stored.version, stored.title) == (2, "Edited title, same version")
