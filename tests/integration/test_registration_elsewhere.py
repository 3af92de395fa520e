"""Whether a child is known to services does not travel across local authorities: registering a known NHS
number from outside the young person's authorities answers which authority to contact, never the ref;
that authority's safeguarding lead is told by ref; each attempt is audited against the ref."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from schemas.enums import Agency, Role
from services.kernel.db import session_scope
from services.notifications.models import Notification
from services.people.models import YoungPerson
from tests.integration.conftest import YOUNG_PERSON, Case, World, audit_events

ELSEWHERE = {**YOUNG_PERSON, "nhs_number": "999 000 0018", "responsible_la": "OTH", "given_name": "Alexander"}


def test_a_lead_of_another_authority_learns_where_to_call_not_the_ref(
    client: TestClient, case: Case, world: World
) -> None:
    world.team("CEC-DUTY", duty=True)
    world.team("OTH-SG", la="OTH")
    outsider = world.user("othlead", role=Role.safeguarding_lead, team="OTH-SG")

    answer = client.post("/api/v1/young-people", json=ELSEWHERE, headers=outsider.headers)

    assert answer.status_code == 409
    body = answer.json()
    assert "ref" not in body and case.ref not in answer.text  # not the ref, nor anything of the record
    assert body["known_to"] == "CEC" and body["contact"] == [{"code": "CEC-DUTY", "name": "Team CEC-DUTY"}]
    assert "contact CEC's duty team" in body["detail"]
    assert "Alex" not in answer.text and "2005" not in answer.text
    with session_scope() as session:
        assert session.scalar(select(YoungPerson.given_name)) == "Alex"  # nothing was changed or added
        assert len(session.scalars(select(YoungPerson.id)).all()) == 1

    # The holding authority's safeguarding lead is told, by ref only, and asked to expect the call.
    [told] = client.get("/api/v1/notifications", headers=case.lead.headers).json()
    assert (told["kind"], told["young_person_ref"]) == ("registration_elsewhere", case.ref)
    [attempt] = audit_events(action="young_person.register_duplicate")
    assert (attempt.actor_username, attempt.young_person_ref) == ("othlead", case.ref)
    assert attempt.detail == {"ref_told": False, "registrant_la": "OTH"}
    # The access log, read by the holding authority's lead, shows who tried.
    log = client.get(f"/api/v1/young-people/{case.ref}/access-log", headers=case.lead.headers).json()
    assert any(
        e["action"] == "young_person.register_duplicate" and e["actor_username"] == "othlead"
        for e in log["events"]
    )


def test_the_holding_authority_and_its_own_system_are_told_the_ref_and_nobody_is_alerted(
    client: TestClient, case: Case, world: World
) -> None:
    again = client.post(
        "/api/v1/young-people", json={**YOUNG_PERSON, "nhs_number": "999 000 0018"}, headers=case.lead.headers
    )
    assert again.status_code == 409 and again.json()["ref"] == case.ref
    world.team("CEC-SYS", agency=Agency.social_care, la="CEC")
    system = world.user("cecsys", role=Role.integration, team="CEC-SYS")
    by_its_system = client.post("/api/v1/young-people", json=YOUNG_PERSON, headers=system.headers)
    assert by_its_system.status_code == 409 and by_its_system.json()["ref"] == case.ref
    with session_scope() as session:
        assert not session.scalars(
            select(Notification.id).where(Notification.kind == "registration_elsewhere")
        ).all()
    assert [e.detail["ref_told"] for e in audit_events(action="young_person.register_duplicate")] == [
        True,
        True,
    ]


def test_a_feed_of_no_authority_learns_no_ref_either(client: TestClient, case: Case, world: World) -> None:
    world.team("RBT-ED", la=None)
    feed = world.user("rbtfeed", role=Role.integration, team="RBT-ED")
    answer = client.post("/api/v1/young-people", json=YOUNG_PERSON, headers=feed.headers)
    assert answer.status_code == 409 and "ref" not in answer.json()
    assert answer.json()["known_to"] == "CEC" and answer.json()["contact"] == []  # CEC has no duty team
    assert "contact CEC;" in answer.json()["detail"]
