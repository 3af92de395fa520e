"""The first alert end to end: register, build the care team, record an attendance, a real rq worker
mails the lead social worker through a real SMTP server, who acknowledges it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import _reset_settings
from tests.integration.conftest import Case, Mailbox, attendance, run_worker


def test_attendance_reaches_the_lead_social_worker_by_email_and_is_acknowledged(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    ref, social_worker, hospital = case.ref, case.social_worker.headers, case.hospital.headers

    accepted = client.post("/api/v1/attendances", json=attendance(), headers=hospital)
    assert accepted.status_code == 202
    assert accepted.json()["young_person_ref"] == ref
    assert accepted.json()["notifications_queued"] == 1

    run_worker()
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "jo.smith@example.org"
    assert ref in mail["Subject"]

    [notification] = client.get("/api/v1/notifications", headers=social_worker).json()
    assert notification["status"] == "delivered"
    assert notification["recipient"] == "jsmith"
    assert notification["deliveries"] == [
        {
            "channel": "email",
            "status": "delivered",
            "attempts": 1,
            "last_error": None,
            "delivered_at": notification["deliveries"][0]["delivered_at"],
            "next_attempt_at": None,
        }
    ]

    acked = client.post(f"/api/v1/notifications/{notification['id']}/acknowledge", headers=social_worker)
    assert acked.status_code == 200
    assert acked.json()["status"] == "acknowledged"
    assert acked.json()["acknowledged_by"] == "jsmith"
    again = client.post(f"/api/v1/notifications/{notification['id']}/acknowledge", headers=social_worker)
    assert again.status_code == 200
    assert again.json()["acknowledged_at"] == acked.json()["acknowledged_at"]

    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/young-people/{ref}/chronology", headers=social_worker).json()["events"]
    ]
    assert kinds.count("attendance") == 1
    assert "notification_delivered" in kinds
    assert kinds[-1] == "acknowledged"


def test_the_same_attendance_sent_twice_notifies_once(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    hospital = case.hospital.headers

    first = client.post("/api/v1/attendances", json=attendance(), headers=hospital)
    second = client.post("/api/v1/attendances", json=attendance(), headers=hospital)
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["notifications_queued"] == 0

    run_worker()
    run_worker()
    assert len(mailbox.wait_for(1)) == 1
    assert len(mailbox.wait_for(2, timeout=0.5)) == 1


def test_alert_email_names_the_young_person_by_ref_only(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    ref, hospital = case.ref, case.hospital.headers
    client.post("/api/v1/attendances", json=attendance(), headers=hospital)
    run_worker()
    [mail] = mailbox.wait_for(1)
    whole = mail.as_string()
    for identifier in (
        "Alex",
        "Testperson",
        "9990000018",
        "999 000 0018",
        "2005-03-14",
        "14/03/2005",
        "RBT",
        "overdose",
    ):
        assert identifier.lower() not in whole.lower(), identifier
    assert re.search(re.escape(ref), whole)


def test_the_links_in_an_alert_follow_port_when_public_base_url_is_not_set(
    client: TestClient, case: Case, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default PUBLIC_BASE_URL is where the API listens: with PORT=8123 and no PUBLIC_BASE_URL, the
    link must not point at port 8000, where nothing (or another service) answers."""
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8123")
    _reset_settings()
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert accepted.status_code == 202
    run_worker()
    [mail] = mailbox.wait_for(1)
    body = (
        mail.get_payload(decode=True)
        if not mail.is_multipart()
        else mail.get_payload(0).get_payload(decode=True)
    )
    assert b"http://127.0.0.1:8123/alerts/acknowledge/" in body
    assert b":8000/" not in body
