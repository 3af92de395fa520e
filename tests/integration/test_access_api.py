"""Refusals through the HTTP API, each one left in the audit trail; bad input stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, text

from schemas.enums import Role
from services.attendances.models import Attendance
from services.kernel.db import get_engine, session_scope
from services.people.models import YoungPerson
from tests.integration.conftest import YOUNG_PERSON, Case, Person, World, attendance, audit_events

UNREGISTERED = "9990000026"


def assert_denied(person: Person, action: str, ref: str | None) -> None:
    denied = audit_events(actor_username=person.username, outcome="denied")
    assert [(e.action, e.young_person_ref) for e in denied] == [(action, ref)]
    assert denied[0].actor_role and denied[0].via == "api"


@pytest.fixture
def stranger(world: World, case: Case) -> Person:
    world.team("CEC-CSC2")
    return world.user("stranger", role=Role.social_worker, team="CEC-CSC2", email="s@example.org")


def _notification_id(client: TestClient, case: Case) -> int:
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert accepted.status_code == 202, accepted.text
    [notification] = client.get("/api/v1/notifications", headers=case.social_worker.headers).json()
    return int(notification["id"])


@pytest.mark.parametrize(
    ("method", "path", "body", "action"),
    [
        ("GET", "/api/v1/young-people/{ref}", None, "young_person.read"),
        ("GET", "/api/v1/young-people/{ref}/chronology", None, "young_person.read"),
        ("PATCH", "/api/v1/young-people/{ref}", {"residence_la": "FIF"}, "young_person.update"),
        (
            "POST",
            "/api/v1/young-people/{ref}/care-team",
            {"username": "stranger", "role": "other"},
            "care_team.add",
        ),
        ("GET", "/api/v1/notifications?young_person={ref}", None, "notification.list"),
    ],
)
def test_a_social_worker_off_the_care_team_is_refused_and_audited(
    client: TestClient, case: Case, stranger: Person, method: str, path: str, body: Any, action: str
) -> None:
    answer = client.request(method, path.format(ref=case.ref), json=body, headers=stranger.headers)
    assert answer.status_code == 403, answer.text
    assert "Alex" not in answer.text
    assert_denied(stranger, action, case.ref)
    if method != "GET":
        read = client.get(f"/api/v1/young-people/{case.ref}", headers=case.lead.headers).json()
        assert read["residence_la"] is None
        assert [m["username"] for m in read["care_team"]] == ["jsmith"]


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("POST", "/acknowledge")])
def test_someone_elses_notification_is_refused_and_audited(
    client: TestClient, case: Case, stranger: Person, method: str, suffix: str
) -> None:
    notification_id = _notification_id(client, case)
    answer = client.request(
        method, f"/api/v1/notifications/{notification_id}{suffix}", headers=stranger.headers
    )
    assert answer.status_code == 403
    action = "notification.read" if method == "GET" else "notification.acknowledge"
    assert_denied(stranger, action, case.ref)
    mine = client.get(f"/api/v1/notifications/{notification_id}", headers=case.social_worker.headers).json()
    assert mine["acknowledged_at"] is None
    assert client.get("/api/v1/notifications", headers=stranger.headers).json() == []


def test_integration_accounts_read_nothing(client: TestClient, world: World, case: Case) -> None:
    world.team("EDIS", la=None)
    feed = world.user("edis", role=Role.integration, team="EDIS")
    assert client.get(f"/api/v1/young-people/{case.ref}", headers=feed.headers).status_code == 403
    assert_denied(feed, "young_person.read", case.ref)
    notification_id = _notification_id(client, case)
    assert client.get(f"/api/v1/notifications/{notification_id}", headers=feed.headers).status_code == 403
    denied = audit_events(actor_username="edis", outcome="denied")
    assert [e.action for e in denied] == ["young_person.read", "notification.read"]


def test_liaison_cannot_register(client: TestClient, case: Case) -> None:
    other = {**YOUNG_PERSON, "nhs_number": UNREGISTERED}
    answer = client.post("/api/v1/young-people", json=other, headers=case.hospital.headers)
    assert answer.status_code == 403
    assert_denied(case.hospital, "young_person.register", None)
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(YoungPerson)) == 1


def test_a_social_worker_cannot_record_an_attendance(client: TestClient, case: Case) -> None:
    answer = client.post("/api/v1/attendances", json=attendance(), headers=case.social_worker.headers)
    assert answer.status_code == 403
    assert_denied(case.social_worker, "attendance.record", None)
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_a_safeguarding_lead_of_another_la_is_refused(client: TestClient, world: World, case: Case) -> None:
    world.team("FIF-SG", la="FIF")
    other_lead = world.user("fiflead", role=Role.safeguarding_lead, team="FIF-SG")
    assert client.get(f"/api/v1/young-people/{case.ref}", headers=other_lead.headers).status_code == 403
    assert_denied(other_lead, "young_person.read", case.ref)
    second = {**YOUNG_PERSON, "nhs_number": UNREGISTERED, "responsible_la": "CEC"}
    assert client.post("/api/v1/young-people", json=second, headers=other_lead.headers).status_code == 403
    assert (
        client.post(
            "/api/v1/young-people", json={**second, "responsible_la": "FIF"}, headers=other_lead.headers
        ).status_code
        == 201
    )


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer lia_not-a-real-token"}, {"Authorization": "Basic eDp5"}]
)
def test_no_or_a_bad_token_is_401(client: TestClient, case: Case, headers: dict[str, str]) -> None:
    answer = client.get(f"/api/v1/young-people/{case.ref}", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/api/v1/attendances", json=attendance(), headers=headers).status_code == 401


def test_an_unknown_ref_is_404(client: TestClient, case: Case) -> None:
    answer = client.get("/api/v1/young-people/YP-00000-00000", headers=case.lead.headers)
    assert answer.status_code == 404
    assert (
        client.get("/api/v1/notifications?young_person=YP-00000-00000", headers=case.lead.headers).status_code
        == 404
    )


def _counts() -> tuple[int, int]:
    with session_scope() as session:
        return (
            session.scalar(select(func.count()).select_from(YoungPerson)) or 0,
            session.scalar(select(func.count()).select_from(Attendance)) or 0,
        )


def test_a_bad_check_digit_is_422_and_stores_nothing(client: TestClient, case: Case) -> None:
    before = _counts()
    bad = "9990000019"
    answer = client.post(
        "/api/v1/attendances", json=attendance(nhs_number=bad), headers=case.hospital.headers
    )
    assert answer.status_code == 422
    assert "check digit" in answer.text
    answer = client.post(
        "/api/v1/young-people", json={**YOUNG_PERSON, "nhs_number": bad}, headers=case.lead.headers
    )
    assert answer.status_code == 422
    assert _counts() == before


def _everything_in_the_database() -> str:
    engine = get_engine()
    dumped: list[str] = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                dumped.append(repr(tuple(row)))
    return "\n".join(dumped)


def test_an_unregistered_nhs_number_is_accepted_and_forgotten(client: TestClient, case: Case) -> None:
    answer = client.post(
        "/api/v1/attendances",
        json=attendance(source_id="V0009", nhs_number="999 000 0026"),
        headers=case.hospital.headers,
    )
    assert answer.status_code == 202
    assert answer.json() == {
        "id": None,
        "young_person_ref": None,
        "notifications_queued": 0,
        "outcome": "not_registered",
    }
    assert _counts() == (1, 0)
    [event] = audit_events(action="attendance.not_registered")
    assert event.actor_username == "hosp" and event.young_person_ref is None
    assert UNREGISTERED not in repr(event.detail)
    everything = _everything_in_the_database()
    assert "9990000018" in everything  # the scan does see NHS numbers that are meant to be stored
    for form in (UNREGISTERED, "999 000 0026", "999-000-0026"):
        assert form not in everything


def test_registering_twice_is_409_with_the_existing_ref(client: TestClient, case: Case) -> None:
    again = client.post(
        "/api/v1/young-people", json={**YOUNG_PERSON, "nhs_number": "999 000 0018"}, headers=case.lead.headers
    )
    assert again.status_code == 409
    assert again.json()["ref"] == case.ref
    assert _counts() == (1, 0)
    [event] = audit_events(action="young_person.register_duplicate")
    assert event.young_person_ref == case.ref and event.actor_username == "lead"


def test_the_newest_notification_you_may_see_is_listed_whatever_others_receive(
    client: TestClient, world: World, case: Case
) -> None:
    world.team("CEC-CSC2")
    other = world.user("other", role=Role.social_worker, team="CEC-CSC2", email="o@example.org")
    second = {**YOUNG_PERSON, "nhs_number": UNREGISTERED}
    ref = client.post("/api/v1/young-people", json=second, headers=case.lead.headers).json()["ref"]
    client.post(
        f"/api/v1/young-people/{ref}/care-team",
        json={"username": "other", "role": "lead_social_worker"},
        headers=case.lead.headers,
    )
    client.post("/api/v1/attendances", json=attendance("V1"), headers=case.hospital.headers)
    client.post(
        "/api/v1/attendances", json=attendance("V2", nhs_number=UNREGISTERED), headers=case.hospital.headers
    )
    assert len(client.get("/api/v1/notifications", headers=other.headers).json()) == 1
    mine = client.get("/api/v1/notifications?limit=1", headers=case.social_worker.headers).json()
    assert [n["young_person_ref"] for n in mine] == [case.ref]
