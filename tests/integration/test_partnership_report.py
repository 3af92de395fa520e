"""The partnership report over the real app and database: each figure is checked against the records seeded
for the period (time travel where a record's time matters), as JSON and as CSV; only the authority's leads
and managers read it, and each refusal is audited."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from schemas.enums import Agency, Role
from services.attendances.models import Attendance
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications.models import Notification
from tests.integration.conftest import Case, World, attendance, audit_events
from tests.integration.test_appointments import book


def _report(client: TestClient, headers: dict[str, str], la: str = "CEC", **extra: str) -> object:
    today = utcnow().date()
    params = {"la": la, "from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat(), **extra}
    return client.get("/api/v1/reports/partnership", params=params, headers=headers)


def test_each_figure_is_what_the_periods_records_say(client: TestClient, case: Case, world: World) -> None:
    world.team("CEC-CAMHS", agency=Agency.camhs)
    nurse = world.user("camhs.nurse", role=Role.clinician, team="CEC-CAMHS")
    first = client.post("/api/v1/attendances", json=attendance("V1"), headers=case.hospital.headers).json()
    second = client.post(
        "/api/v1/attendances",
        json=attendance("V2", reasons=["self_harm"], arrived_at="2026-11-30T21:00:00+00:00"),
        headers=case.hospital.headers,
    ).json()
    [alert] = [
        n
        for n in client.get("/api/v1/notifications", headers=case.social_worker.headers).json()
        if n["attendance_id"] == first["id"]
    ]
    acked = client.post(
        f"/api/v1/notifications/{alert['id']}/acknowledge", headers=case.social_worker.headers
    )
    assert acked.status_code == 200
    now = utcnow()
    with session_scope() as session:  # time travel: the first was recorded 10 minutes before it was taken on
        session.execute(
            update(Notification).where(Notification.id == alert["id"]).values(acknowledged_at=now)
        )
        session.execute(
            update(Attendance)
            .where(Attendance.id == first["id"])
            .values(created_at=now - timedelta(minutes=10), ended_at=now - timedelta(hours=2))
        )
    client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": "camhs.nurse", "role": "camhs"},
        headers=case.lead.headers,
    )
    assert book(client, case, nurse, days_ago=-1, owner_team="CEC-CAMHS").status_code == 201  # within 72 h

    answer = _report(client, case.lead.headers)

    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["attendances"] == 2
    assert found["acknowledgement"]["all"] == {
        "attendances": 2,  # the second is not acknowledged: counted, with no time
        "acknowledged": 1,
        "median_minutes": 10.0,
        "p90_minutes": 10.0,
    }
    assert set(found["acknowledgement"]) == {"all", "social_care"}
    assert found["follow_up_within_72h"] == {"met": 1, "of": 1, "percent": 100.0}
    assert found["repeat_attenders"] == 1  # overdose, then self-harm: the default rule
    assert found["plans_reached_within_24h"] == {"met": 0, "of": 0, "percent": None}
    assert found["misses_by_service"] == {} and found["closures_refused"] == {}
    assert found["not_measured"] and second["young_person_ref"] == case.ref
    assert case.ref not in answer.text and "Alex" not in answer.text  # figures only

    rows = list(csv.reader(io.StringIO(_report(client, case.lead.headers, format="csv").text)))
    assert rows[0] == ["figure", "breakdown", "value"]
    assert ["acknowledgement.median_minutes", "all", "10.0"] in rows
    assert ["follow_up_within_72h.percent", "", "100.0"] in rows
    [read] = [e for e in audit_events(action="report.partnership") if e.outcome == "allowed"][:1]
    assert read.detail["la"] == "CEC" and read.actor_username == "lead"


def test_a_transfer_into_the_authority_counts_for_it_and_is_in_time_only_if_accepted(
    client: TestClient, case: Case, world: World
) -> None:
    world.team("MAN-SG", la="MAN")
    man_lead = world.user("man.lead", role=Role.safeguarding_lead, team="MAN-SG")
    moved = client.patch(
        f"/api/v1/young-people/{case.ref}", json={"residence_la": "MAN"}, headers=case.lead.headers
    )
    assert moved.status_code == 200, moved.text
    found = _report(client, man_lead.headers, la="MAN").json()
    assert found["transfers_accepted_in_time"] == {"met": 0, "of": 1, "percent": 0.0}
    assert _report(client, case.lead.headers).json()["transfers_accepted_in_time"]["of"] == 0


def test_only_the_authoritys_leads_and_managers_read_it_and_each_refusal_is_audited(
    client: TestClient, case: Case, world: World
) -> None:
    world.team("MAN-SG", la="MAN")
    other_lead = world.user("man.lead", role=Role.safeguarding_lead, team="MAN-SG")
    for who in (case.social_worker, case.hospital, other_lead):
        assert _report(client, who.headers).status_code == 403, who.username
    refused = [e for e in audit_events(action="report.partnership") if e.outcome == "denied"]
    assert [e.actor_username for e in refused] == ["jsmith", "hosp", "man.lead"]
    backwards = client.get(
        "/api/v1/reports/partnership",
        params={"la": "CEC", "from": "2026-12-01", "to": "2026-11-01"},
        headers=case.lead.headers,
    )
    assert backwards.status_code == 422
