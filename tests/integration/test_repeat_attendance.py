"""Seeing the pattern across crises: the frequent-attender rule over the real database and worker."""

from __future__ import annotations

from fastapi.testclient import TestClient

from schemas.enums import Role
from tests.integration.conftest import Case, Mailbox, World, attendance, run_worker


def _post(client: TestClient, case: Case, source_id: str, arrived_at: str, reasons: list[str]) -> None:
    body = attendance(source_id, arrived_at=arrived_at, reasons=reasons)
    answer = client.post("/api/v1/attendances", json=body, headers=case.hospital.headers)
    assert answer.status_code == 202, answer.text


def test_a_second_self_harm_attendance_in_twelve_weeks_tells_the_safeguarding_lead(
    client: TestClient, world: World, case: Case, mailbox: Mailbox
) -> None:
    world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg.lead@example.org")
    _post(client, case, "V1", "2026-09-01T23:10:00+01:00", ["overdose"])
    run_worker()
    assert [m["To"] for m in mailbox.wait_for(1)] == ["jo.smith@example.org"]  # one crisis: no pattern yet

    _post(client, case, "V2", "2026-10-20T02:40:00+01:00", ["self_harm"])
    run_worker()
    mails = mailbox.wait_for(3)
    [told] = [m for m in mails if m["To"] == "sg.lead@example.org"]
    assert "Repeat attendances" in told["Subject"]
    text = told.get_payload(decode=True).decode()
    assert case.ref in text
    assert "Alex" not in text and "9990000018" not in text and "2005" not in text

    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.social_worker.headers)
    [pattern] = [e for e in events.json()["events"] if e["kind"] == "repeat_attendance"]
    assert pattern["summary"].startswith("Repeat attendances: 2 counted in the last 12 weeks")
    assert "multi-agency meeting" in pattern["summary"]
    # the care team is told of each attendance once; the pattern adds nothing to their count
    listed = client.get("/api/v1/notifications", headers=case.social_worker.headers).json()
    assert sorted(n["kind"] for n in listed if n["recipient"] == "jsmith") == ["attendance", "attendance"]
    told_of_pattern = sorted(n["recipient"] for n in listed if n["kind"] == "repeat_attendance")
    assert told_of_pattern == ["lead", "sglead"]  # the local authority's safeguarding leads


def test_attendances_months_apart_are_not_a_pattern(
    client: TestClient, world: World, case: Case, mailbox: Mailbox
) -> None:
    world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg.lead@example.org")
    _post(client, case, "V1", "2026-01-10T10:00:00+00:00", ["overdose"])
    _post(client, case, "V2", "2026-11-20T10:00:00+00:00", ["self_harm"])
    run_worker()
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["jo.smith@example.org"] * 2
    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.social_worker.headers)
    assert "repeat_attendance" not in [e["kind"] for e in events.json()["events"]]
