"""Delivery against real peers: a real SMTP server that refuses or is away, real Redis and rq, the sweeper."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import select, update

from schemas.enums import Agency, Role
from schemas.settings import get_settings
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications import delivery
from services.notifications.models import Delivery, DeliveryAttempt
from tests.conftest import _reset_settings
from tests.integration.conftest import (
    YOUNG_PERSON,
    Case,
    Mailbox,
    Person,
    World,
    _free_port,
    attendance,
    run_worker,
)
from worker import jobs


def _record(client: TestClient, case: Case, source_id: str = "V0001") -> None:
    accepted = client.post("/api/v1/attendances", json=attendance(source_id), headers=case.hospital.headers)
    assert accepted.status_code == 202, accepted.text


def _mine(client: TestClient, person: Person) -> list[dict[str, Any]]:
    """Notifications addressed to this person (they may also see others about young people they may view)."""
    answer = client.get("/api/v1/notifications", headers=person.headers)
    assert answer.status_code == 200
    return [n for n in answer.json() if n["recipient"] == person.username]


def _only_delivery() -> Delivery:
    with session_scope() as session:
        [found] = session.scalars(select(Delivery))
        return found


def _kinds(client: TestClient, case: Case) -> list[str]:
    chronology = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers)
    return [e["kind"] for e in chronology.json()["events"]]


def test_a_refused_address_fails_after_one_attempt(client: TestClient, case: Case, mailbox: Mailbox) -> None:
    mailbox.refuse = "550 5.1.1 mailbox unavailable"
    _record(client, case)
    run_worker()
    [notification] = _mine(client, case.social_worker)
    assert notification["status"] == "failed"
    [channel] = notification["deliveries"]
    assert (channel["status"], channel["attempts"], channel["next_attempt_at"]) == ("failed", 1, None)
    assert "550" in channel["last_error"]
    assert "notification_failed" in _kinds(client, case)
    assert jobs.deliver(_only_delivery().id) == "skipped"
    assert mailbox.messages == []


def test_a_temporary_refusal_is_retried_later_and_then_delivered(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    mailbox.refuse = "451 4.3.0 try again later"
    _record(client, case)
    before = utcnow()
    run_worker()
    [notification] = _mine(client, case.social_worker)
    [channel] = notification["deliveries"]
    assert (notification["status"], channel["status"], channel["attempts"]) == ("pending", "retrying", 1)
    assert "451" in channel["last_error"]
    first = _only_delivery()
    assert first.next_attempt_at is not None
    base = get_settings().delivery_retry_base_seconds
    assert before + timedelta(seconds=base - 1) <= first.next_attempt_at <= utcnow() + timedelta(seconds=base)

    mailbox.refuse = None
    assert jobs.deliver(first.id) == "skipped"  # not due yet: the retry waits its turn
    with session_scope() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id == first.id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    assert jobs.deliver(first.id) == "delivered"
    assert len(mailbox.wait_for(1)) == 1
    [notification] = _mine(client, case.social_worker)
    [channel] = notification["deliveries"]
    assert (notification["status"], channel["status"], channel["attempts"]) == ("delivered", "delivered", 2)
    assert channel["last_error"] is None
    with session_scope() as session:
        attempts = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.attempt)).all()
        assert [(a.attempt, a.outcome) for a in attempts] == [(1, "failed"), (2, "delivered")]


def test_smtp_server_down_means_retrying(
    client: TestClient, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(_free_port()))
    _reset_settings()
    _record(client, case)
    run_worker()
    [notification] = _mine(client, case.social_worker)
    [channel] = notification["deliveries"]
    assert (notification["status"], channel["status"], channel["attempts"]) == ("pending", "retrying", 1)
    assert "unreachable" in channel["last_error"]
    assert channel["next_attempt_at"] is not None


def test_a_job_run_twice_sends_once(client: TestClient, case: Case, mailbox: Mailbox) -> None:
    _record(client, case)
    delivery_id = _only_delivery().id
    assert jobs.deliver(delivery_id) == "delivered"
    assert jobs.deliver(delivery_id) == "skipped"
    run_worker()  # the job the API queued finds nothing to do either
    assert len(mailbox.wait_for(2, timeout=0.5)) == 1
    assert _only_delivery().attempts == 1


def test_acknowledgement_cancels_channels_not_yet_sent(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    _record(client, case)
    [notification] = _mine(client, case.social_worker)
    acked = client.post(
        f"/api/v1/notifications/{notification['id']}/acknowledge", headers=case.social_worker.headers
    )
    assert acked.status_code == 200
    run_worker()
    assert mailbox.wait_for(1, timeout=0.5) == []
    [notification] = _mine(client, case.social_worker)
    assert notification["status"] == "acknowledged"
    assert [d["status"] for d in notification["deliveries"]] == ["cancelled"]


def test_the_sweeper_redrives_an_alert_whose_job_was_lost(
    client: TestClient, case: Case, mailbox: Mailbox, redis_url: str
) -> None:
    recorded = utcnow()
    _record(client, case)
    Redis.from_url(redis_url).flushdb()  # Redis restarted without its data: the job is gone
    run_worker()
    assert mailbox.messages == []
    # within the grace period the normal job gets its chance (a given time: a loaded machine is slow)
    assert jobs.sweep(now=recorded + timedelta(seconds=1)) == 0
    grace = get_settings().sweep_interval_seconds
    assert jobs.sweep(now=utcnow() + timedelta(seconds=grace + 1)) == 1
    run_worker()
    [mail] = mailbox.wait_for(1)
    assert case.ref in mail["Subject"]
    assert _mine(client, case.social_worker)[0]["status"] == "delivered"
    assert jobs.sweep(now=utcnow() + timedelta(seconds=grace + 1)) == 0


def test_a_delivery_stuck_in_sending_past_the_lease_is_released_and_redriven(
    client: TestClient, case: Case, mailbox: Mailbox, redis_url: str
) -> None:
    _record(client, case)
    Redis.from_url(redis_url).flushdb()
    delivery_id = _only_delivery().id
    lease = get_settings().delivery_lease_seconds
    with session_scope() as session:  # a worker took it and died before it could send
        assert delivery.claim(session, delivery_id=delivery_id, now=utcnow() - timedelta(seconds=lease + 60))
    assert _only_delivery().status == "sending"
    assert jobs.deliver(delivery_id) == "skipped"  # nobody else may take a held claim

    assert jobs.sweep() == 1
    released = _only_delivery()
    assert (released.status, released.last_error) == ("retrying", "worker lost during attempt")
    run_worker()
    assert len(mailbox.wait_for(1)) == 1
    finished = _only_delivery()
    assert (finished.status, finished.attempts) == ("delivered", 2)
    with session_scope() as session:
        attempts = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.attempt)).all()
        assert [(a.attempt, a.outcome) for a in attempts] == [(1, "lost"), (2, "delivered")]
        assert attempts[0].finished_at is not None


def test_a_fresh_claim_is_not_released(client: TestClient, case: Case, redis_url: str) -> None:
    _record(client, case)
    Redis.from_url(redis_url).flushdb()
    delivery_id = _only_delivery().id
    with session_scope() as session:
        assert delivery.claim(session, delivery_id=delivery_id, now=utcnow())
    assert jobs.sweep() == 0
    assert _only_delivery().status == "sending"


def _duty(world: World, la: str) -> Person:
    world.team(f"{la}-EDT", agency=Agency.emergency_duty, la=la, duty=True)
    return world.user(
        f"duty{la.lower()}", role=Role.social_worker, team=f"{la}-EDT", email=f"edt@{la.lower()}.example"
    )


def test_without_a_lead_social_worker_the_duty_team_is_alerted(
    client: TestClient, world: World, mailbox: Mailbox
) -> None:
    world.team("CEC-SG")
    world.team("CAMHS", agency=Agency.camhs)
    world.team("RBT-LIA", la=None)
    lead = world.user("lead", role=Role.safeguarding_lead, team="CEC-SG")
    camhs = world.user("camhs", role=Role.clinician, team="CAMHS", email="camhs@example.org")
    hospital = world.user("hosp", role=Role.liaison, team="RBT-LIA")
    duty = _duty(world, "CEC")
    _duty(world, "FIF")  # another authority's duty team hears nothing
    ref = client.post("/api/v1/young-people", json=YOUNG_PERSON, headers=lead.headers).json()["ref"]
    added = client.post(
        f"/api/v1/young-people/{ref}/care-team",
        json={"username": "camhs", "role": "camhs"},
        headers=lead.headers,
    )
    assert added.status_code == 201
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=hospital.headers)
    assert accepted.json()["notifications_queued"] == 2
    run_worker()
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["camhs@example.org", "edt@cec.example"]
    [told] = _mine(client, duty)
    assert (told["recipient_role"], told["status"], told["young_person_ref"]) == ("duty", "delivered", ref)
    assert [n["recipient_role"] for n in _mine(client, camhs)] == ["camhs"]
    # A duty worker told of an attendance may open the record to act on it.
    assert client.get(f"/api/v1/young-people/{ref}", headers=duty.headers).status_code == 200


def test_a_move_across_the_border_alerts_the_duty_team_where_they_live(
    client: TestClient, world: World, case: Case, mailbox: Mailbox
) -> None:
    responsible_duty = _duty(world, "CEC")
    residence_duty = _duty(world, "FIF")
    moved = client.patch(
        f"/api/v1/young-people/{case.ref}", json={"residence_la": "FIF"}, headers=case.lead.headers
    )
    assert moved.status_code == 200
    accepted = client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    assert accepted.json()["notifications_queued"] == 2
    run_worker()
    mails = mailbox.wait_for(3)  # the two alerts, and the move's re-score prompt to the lead social worker
    alerted = sorted(m["To"] for m in mails if "Acute attendance" in m["Subject"])
    assert alerted == ["edt@fif.example", "jo.smith@example.org"]
    # There is a lead social worker in the responsible LA. (Both duty teams are also told that the move
    # opened a transfer: docs/transfers.md.)
    assert [n for n in _mine(client, responsible_duty) if n["kind"] == "attendance"] == []
    [told] = [n for n in _mine(client, residence_duty) if n["kind"] == "attendance"]
    assert (told["recipient_role"], told["status"]) == ("duty", "delivered")
    assert "moved" in _kinds(client, case)
