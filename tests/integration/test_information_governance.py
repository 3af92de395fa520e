"""Information governance reads the audit trail and every access log, and nothing of the records: the
admin is no longer the only reader of the trail, and the reader of the trail is not a reader of records."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from schemas.enums import Role
from tests.integration.conftest import YOUNG_PERSON, Case, World, attendance, audit_events


def test_the_ig_officer_reads_the_trail_and_access_logs_but_no_record(
    client: TestClient, case: Case, world: World
) -> None:
    world.team("IG", la=None)
    ig = world.user("dpo", role=Role.ig_officer, team="IG")
    client.get(f"/api/v1/young-people/{case.ref}", headers=case.social_worker.headers)

    trail = client.get(f"/api/v1/audit?ref={case.ref}", headers=ig.headers)
    assert trail.status_code == 200
    assert ("jsmith", "young_person.read") in {
        (e["actor_username"], e["action"]) for e in trail.json()["events"]
    }
    log = client.get(f"/api/v1/young-people/{case.ref}/access-log", headers=ig.headers)
    assert log.status_code == 200
    for answer in (trail, log):  # what the trail holds is who did what, never the record's content
        text = json.dumps(answer.json())
        assert YOUNG_PERSON["nhs_number"] not in text and "Alex" not in text and "2005-03-14" not in text

    # Every read of a record the API has (walked from its OpenAPI), but the access log and the subject
    # access export (a disclosure, theirs to make: tests/integration/test_subject_access.py): refused.
    reads = [
        path
        for path, operations in client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        if path.startswith("/api/v1/young-people/{ref}")
        and "get" in operations
        and path.count("{") == 1
        and not path.endswith(("/access-log", "/subject-access"))
    ]
    assert len(reads) >= 20
    for path in reads:
        refused = client.get(path.replace("{ref}", case.ref), headers=ig.headers)
        assert refused.status_code == 403, (path, refused.status_code)
        assert "Alex" not in refused.text
    assert client.get("/api/v1/young-people", headers=ig.headers).json() == []  # an empty caseload
    assert client.patch(f"/api/v1/young-people/{case.ref}", json={}, headers=ig.headers).status_code == 403
    assert client.post("/api/v1/attendances", json=attendance(), headers=ig.headers).status_code == 403
    denied = {e.action for e in audit_events(actor_username="dpo", outcome="denied")}
    assert {"young_person.read", "young_person.update"} <= denied
    assert {e.action for e in audit_events(actor_username="dpo", outcome="allowed")} >= {
        "audit.read",
        "access_log.read",
    }


def test_an_ig_officer_or_a_feed_is_never_put_on_a_care_team(
    client: TestClient, case: Case, world: World
) -> None:
    world.team("IG", la=None)
    world.user("dpo", role=Role.ig_officer, team="IG")
    world.team("RBT-ED", la=None)
    world.user("rbtfeed", role=Role.integration, team="RBT-ED")
    for username in ("dpo", "rbtfeed"):
        refused = client.post(
            f"/api/v1/young-people/{case.ref}/care-team",
            json={"username": username, "role": "camhs"},
            headers=case.lead.headers,
        )
        assert refused.status_code == 422 and "never on a care team" in refused.json()["detail"]
    kept = audit_events(action="care_team.member_added", outcome="refused")
    assert [e.detail["username"] for e in kept] == ["dpo", "rbtfeed"]
