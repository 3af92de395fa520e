"""`GET /api/v1/me/pending`: the caller's own notifications not yet acknowledged (what the bot's /pending
shows), the one waiting longest first, audited like the notification list."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from schemas.api.notifications import PendingAlerts
from schemas.enums import Role
from tests.integration.conftest import (
    YOUNG_PERSON,
    Case,
    Person,
    World,
    add_care_coordinator,
    attendance,
    audit_events,
)

SECOND = "9990000026"  # a second synthetic young person


def _pending(client: TestClient, person: Person, query: str = "") -> PendingAlerts:
    answer = client.get(f"/api/v1/me/pending{query}", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return PendingAlerts.model_validate(answer.json())


def _second_young_person(client: TestClient, case: Case) -> str:
    created = client.post(
        "/api/v1/young-people", json={**YOUNG_PERSON, "nhs_number": SECOND}, headers=case.lead.headers
    )
    assert created.status_code == 201, created.text
    ref = str(created.json()["ref"])
    added = client.post(
        f"/api/v1/young-people/{ref}/care-team",
        json={"username": "jsmith", "role": "lead_social_worker"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201, added.text
    return ref


def test_your_unacknowledged_alerts_oldest_first_and_acknowledged_ones_drop_out(
    client: TestClient, case: Case
) -> None:
    second = _second_young_person(client, case)
    for source_id, nhs_number in (("V1", "9990000018"), ("V2", SECOND), ("V3", "9990000018")):
        sent = client.post(
            "/api/v1/attendances",
            json=attendance(source_id, nhs_number=nhs_number),
            headers=case.hospital.headers,
        )
        assert sent.status_code == 202, sent.text
    everything = client.get("/api/v1/notifications?limit=500", headers=case.social_worker.headers).json()
    mine = sorted(
        (n for n in everything if n["recipient"] == "jsmith" and n["acknowledged_at"] is None),
        key=lambda n: (n["created_at"], n["id"]),
    )
    assert len(mine) >= 3

    page = _pending(client, case.social_worker)
    assert page.total == len(mine)
    assert [n.id for n in page.notifications] == [n["id"] for n in mine]
    assert {n.young_person_ref for n in page.notifications} == {case.ref, second}
    assert all(n.recipient == "jsmith" and n.acknowledged_at is None for n in page.notifications)

    oldest = page.notifications[0]
    acked = client.post(f"/api/v1/notifications/{oldest.id}/acknowledge", headers=case.social_worker.headers)
    assert acked.status_code == 200, acked.text
    after = _pending(client, case.social_worker)
    assert oldest.id not in [n.id for n in after.notifications]
    # A reminder is the same alert again: acknowledging one takes both off the list.
    assert after.total == len(after.notifications) <= page.total - 1


def test_a_page_is_limited_and_counts_them_all(client: TestClient, case: Case) -> None:
    for source_id in ("V1", "V2", "V3"):
        client.post("/api/v1/attendances", json=attendance(source_id), headers=case.hospital.headers)
    whole = _pending(client, case.social_worker, "?limit=100")
    first = _pending(client, case.social_worker, "?limit=2")
    rest = _pending(client, case.social_worker, "?limit=2&offset=2")
    assert first.total == rest.total == whole.total >= 3
    assert [n.id for n in first.notifications + rest.notifications] == [n.id for n in whole.notifications][:4]
    assert len(first.notifications) == 2
    for bad in ("?limit=0", "?limit=101", "?offset=-1"):
        assert client.get(f"/api/v1/me/pending{bad}", headers=case.social_worker.headers).status_code == 422


def test_another_persons_alerts_are_not_shown_though_you_may_see_them(
    client: TestClient, world: World, case: Case
) -> None:
    nurse = add_care_coordinator(client, world, case)
    world.team("CEC-CSC2")
    stranger = world.user("stranger", role=Role.social_worker, team="CEC-CSC2", email="s@example.org")
    client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    seen = client.get("/api/v1/notifications", headers=nurse.headers).json()
    assert "jsmith" in {n["recipient"] for n in seen}  # the care team may see each other's alerts
    page = _pending(client, nurse)
    assert page.total == 1
    assert [n.recipient for n in page.notifications] == ["nurse"]
    assert _pending(client, stranger) == PendingAlerts(total=0, notifications=[])
    # The safeguarding lead may read the young person's alerts, but none was sent to them.
    assert client.get(f"/api/v1/notifications?young_person={case.ref}", headers=case.lead.headers).json()
    assert _pending(client, case.lead) == PendingAlerts(total=0, notifications=[])


def test_each_listed_young_person_is_audited_and_an_empty_list_audits_nothing(
    client: TestClient, world: World, case: Case
) -> None:
    world.team("CEC-CSC2")
    stranger = world.user("stranger", role=Role.social_worker, team="CEC-CSC2", email="s@example.org")
    client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    _pending(client, case.social_worker)
    listed = audit_events(actor_username="jsmith", action="notification.list")
    assert [(e.young_person_ref, e.outcome, e.via) for e in listed] == [(case.ref, "allowed", "api")]
    _pending(client, stranger)
    assert audit_events(actor_username="stranger") == []


def test_integration_accounts_are_refused_and_audited(client: TestClient, world: World, case: Case) -> None:
    world.team("EDIS", la=None)
    feed = world.user("edis", role=Role.integration, team="EDIS")
    client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers)
    answer = client.get("/api/v1/me/pending", headers=feed.headers)
    assert answer.status_code == 403
    [denied] = audit_events(actor_username="edis", outcome="denied")
    assert (denied.action, denied.young_person_ref) == ("notification.list", None)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}])
def test_no_or_a_bad_token_is_401(client: TestClient, case: Case, headers: dict[str, str]) -> None:
    assert client.get("/api/v1/me/pending", headers=headers).status_code == 401
