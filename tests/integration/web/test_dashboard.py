"""The managers' dashboard (`/dashboard`) over the real app and database: each section holds what the
seeded records say, scoped by role (a team manager: their team's alerts and the young people their team
is on the care team of; a safeguarding lead: their local authority's), young people by ref only; every
other role is refused with a 403 page, each refusal audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from schemas.enums import Role
from services.assessments.models import UnmetNeed
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from tests.integration.conftest import (
    YOUNG_PERSON,
    Case,
    World,
    add_care_coordinator,
    attendance,
    audit_events,
    default_answers,
    start_and_answer,
)
from tests.integration.test_appointments import book
from tests.integration.test_assessments import HIGH_ANSWERS
from tests.integration.web.helpers import sign_in

OTHER_NHS = "9990000026"


def _section(page: str, anchor: str) -> str:
    """The page's text from one section's heading to the next's."""
    start = page.index(f'id="{anchor}"')
    following = page.find("<h2 ", start + 1)
    return page[start : following if following != -1 else len(page)]


def _refs(html: str) -> list[str]:
    return re.findall(r'href="/young-people/([^"]+)"', html)


@pytest.fixture
def seeded(client: TestClient, world: World, case: Case, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The case with: an alert to its social worker nobody acknowledged; a second attendance that makes a
    repeat attender; a HIGH assessment (an open Gateway referral) with an unmet need past its due date; an
    appointment past with no outcome; a move to another authority (a transfer waiting); and a second young
    person in CEC with no care team (so no care coordinator)."""
    world.team("CEC-GW")
    world.user("chair", role=Role.team_manager, team="CEC-GW")
    monkeypatch.setenv("GATEWAY_CHAIRS", '{"CEC": ["chair"]}')
    world.team("MAN-SG", la="MAN")
    world.user("manager", role=Role.team_manager, team="CEC-CSC", email="manager@example.org")
    world.user("lead2", role=Role.safeguarding_lead, team="CEC-SG", email="lead2@example.org")
    world.user("man.lead", role=Role.safeguarding_lead, team="MAN-SG", email="man.lead@example.org")
    world.team("CEC-OTHER")
    world.user("other.tm", role=Role.team_manager, team="CEC-OTHER", email="other.tm@example.org")
    nurse = add_care_coordinator(client, world, case)
    for body in (
        attendance("V1"),
        attendance("V2", reasons=["self_harm"], arrived_at="2026-11-30T21:00:00+00:00"),
    ):
        assert client.post("/api/v1/attendances", json=body, headers=case.hospital.headers).status_code == 202
    assessment_id = start_and_answer(client, nurse, case.ref, default_answers(HIGH_ANSWERS))
    need = client.post(
        f"/api/v1/assessments/{assessment_id}/needs",
        json={
            "link_id": "c.need.family",
            "owning_team": "CEC-CSC",
            "action": "Carer's assessment for mum",
            "due_date": (utcnow() + timedelta(days=3)).date().isoformat(),
        },
        headers=nurse.headers,
    )
    assert need.status_code == 201, need.text
    done = client.post(
        f"/api/v1/assessments/{assessment_id}/complete",
        json={"formulation": "Escalating self-harm after placement move; protective: sister, school."},
        headers=nurse.headers,
    )
    assert done.status_code == 200 and done.json()["level"] == "HIGH", done.text
    with session_scope() as session:  # time travel: the need fell due yesterday
        session.execute(update(UnmetNeed).values(due_date=(utcnow() - timedelta(days=1)).date()))
    booked = book(client, case, case.lead, days_ago=1, owner_team="CEC-CSC", kind="social_care_visit")
    assert booked.status_code == 201, booked.text
    moved = client.patch(
        f"/api/v1/young-people/{case.ref}", json={"residence_la": "MAN"}, headers=case.lead.headers
    )
    assert moved.status_code == 200, moved.text
    other = client.post(
        "/api/v1/young-people", json=YOUNG_PERSON | {"nhs_number": OTHER_NHS}, headers=case.lead.headers
    )
    assert other.status_code == 201, other.text
    return {"case": case.ref, "other": other.json()["ref"]}


def test_a_safeguarding_lead_sees_their_authoritys_picture(
    client: TestClient, seeded: dict[str, str]
) -> None:
    ref, other = seeded["case"], seeded["other"]
    sign_in(client, "lead2@example.org")
    page = client.get("/dashboard")
    assert page.status_code == 200, page.text
    text = page.text
    alerts = _section(text, "alerts")
    assert ref in alerts and "jsmith" in alerts and "Not chased yet" in alerts
    assert _refs(_section(text, "overdue")) == [ref, ref]  # the appointment and the need
    assert "social care visit" in _section(text, "overdue") and "family" in _section(text, "overdue")
    gateway = _section(text, "gateway")
    assert _refs(gateway) == [ref] and "gateway" in gateway and "Yes" in gateway  # CETR prompted
    transfers = _section(text, "transfers")
    assert _refs(transfers) == [ref] and "MAN" in transfers and "acceptance" in transfers
    assert _refs(_section(text, "repeat")) == [ref]
    assert _refs(_section(text, "no-coordinator")) == [other]  # the case has its nurse
    assert "Alex" not in text and "Testperson" not in text and "9990000018" not in text  # refs only
    [read] = audit_events(action="dashboard.read", actor_username="lead2")
    assert read.via == "web" and read.outcome == "allowed" and read.detail == {"refs": sorted([ref, other])}


def test_a_team_manager_sees_their_teams_alerts_and_young_people_only(
    client: TestClient, seeded: dict[str, str]
) -> None:
    ref, other = seeded["case"], seeded["other"]
    sign_in(client, "manager@example.org")  # CEC-CSC: jsmith's team, on the case's care team
    text = client.get("/dashboard").text
    assert "jsmith" in _section(text, "alerts") and "nurse" not in _section(text, "alerts")
    assert _refs(_section(text, "gateway")) == [ref]
    assert _refs(_section(text, "repeat")) == [ref]
    assert other not in text  # not their team's: not in scope
    client.cookies.clear()
    sign_in(client, "other.tm@example.org")  # a team with nobody on any care team
    text = client.get("/dashboard").text
    assert ref not in text and other not in text
    assert audit_events(action="dashboard.read", actor_username="other.tm")[0].detail == {"refs": []}


def test_a_lead_of_the_receiving_authority_sees_the_transfer_waiting(
    client: TestClient, seeded: dict[str, str]
) -> None:
    sign_in(client, "man.lead@example.org")
    text = client.get("/dashboard").text
    assert _refs(_section(text, "transfers")) == [seeded["case"]]
    assert seeded["other"] not in text


@pytest.mark.parametrize(
    "role", [Role.social_worker, Role.liaison, Role.clinician, Role.ig_officer, Role.admin]
)
def test_every_other_role_is_refused_and_the_refusal_audited(
    client: TestClient, world: World, case: Case, role: Role
) -> None:
    world.user("someone", role=role, team="CEC-CSC", email="someone@example.org")
    sign_in(client, "someone@example.org")
    answer = client.get("/dashboard")
    assert answer.status_code == 403 and "You cannot see this" in answer.text
    assert "team managers and safeguarding leads" in answer.text
    assert case.ref not in answer.text
    [refused] = audit_events(action="dashboard.read")
    assert (refused.actor_username, refused.outcome, refused.via) == ("someone", "denied", "web")
