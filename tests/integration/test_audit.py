"""The audit trail: every read and write of a young person is recorded, and the database keeps it so."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from services.kernel.audit.models import AuditEvent
from services.kernel.db import session_scope
from tests.integration.conftest import Case, Mailbox, attendance, audit_events, run_worker


def _allowed(ref: str) -> list[tuple[str, str, str, str]]:
    return [
        (e.action, e.actor_username, e.actor_role, e.via)
        for e in audit_events(young_person_ref=ref, outcome="allowed")
    ]


def test_registration_and_care_team_changes_are_audited(case: Case) -> None:
    assert _allowed(case.ref) == [
        ("young_person.registered", "lead", "safeguarding_lead", "api"),
        ("care_team.member_added", "lead", "safeguarding_lead", "api"),
    ]
    added = audit_events(action="care_team.member_added")[0]
    assert added.detail == {"username": "jsmith", "role": "lead_social_worker"}
    assert added.actor_user_id is not None


@pytest.mark.parametrize(
    ("method", "path", "body", "action"),
    [
        ("GET", "/api/v1/young-people/{ref}", None, "young_person.read"),
        ("GET", "/api/v1/young-people/{ref}/chronology", None, "chronology.read"),
        # a move also opens a transfer between local authorities (docs/transfers.md)
        (
            "PATCH",
            "/api/v1/young-people/{ref}",
            {"residence_la": "FIF"},
            "young_person.updated transfer.opened",
        ),
        ("GET", "/api/v1/notifications?young_person={ref}", None, "notification.list"),
    ],
)
def test_each_read_and_write_by_a_member_is_audited(
    client: TestClient, case: Case, method: str, path: str, body: object, action: str
) -> None:
    client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    before = len(audit_events())
    answer = client.request(method, path.format(ref=case.ref), json=body, headers=case.social_worker.headers)
    assert answer.status_code == 200, answer.text
    new = audit_events()[before:]
    assert [
        (e.action, e.actor_username, e.actor_role, e.young_person_ref, e.via, e.outcome) for e in new
    ] == [(each, "jsmith", "social_worker", case.ref, "api", "allowed") for each in action.split()]


def test_attendance_delivery_and_acknowledgement_are_audited(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    run_worker()
    mailbox.wait_for(1)
    [notification] = client.get("/api/v1/notifications", headers=case.social_worker.headers).json()
    client.get(f"/api/v1/notifications/{notification['id']}", headers=case.social_worker.headers)
    client.post(f"/api/v1/notifications/{notification['id']}/acknowledge", headers=case.social_worker.headers)
    actions = [(a, who) for a, who, _role, _via in _allowed(case.ref)]
    assert ("attendance.recorded", "hosp") in actions
    assert ("notification.list", "jsmith") in actions
    assert ("notification.read", "jsmith") in actions
    assert ("notification.acknowledged", "jsmith") in actions
    assert ("notification.delivered", "liaison-system") in actions
    recorded = audit_events(action="attendance.recorded")[0]
    assert recorded.detail["notifications"] == 1 and recorded.actor_role == "liaison"


def test_audit_events_cannot_be_changed_or_removed(case: Case) -> None:
    [first, *_] = audit_events(young_person_ref=case.ref)
    with pytest.raises(DBAPIError, match="append-only"), session_scope() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == first.id).values(actor_username="someone"))
    with pytest.raises(DBAPIError, match="append-only"), session_scope() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == first.id))
    with pytest.raises(DBAPIError, match="append-only"), session_scope() as session:
        session.execute(text("DELETE FROM audit_events"))
    [again, *_] = audit_events(young_person_ref=case.ref)
    assert (again.id, again.actor_username) == (first.id, "lead")
    assert len(audit_events()) >= 2
