"""Access gained from an alert has a bounded life tied to the event (issue 13, 7), per role, over the real
app and database: a duty-team member told of an attendance of a young person with no lead social worker
may read the record for ALERT_ACCESS_HOURS from the alert, then is refused (audited) like anyone outside
the care team; a new alert opens a new window; an alert withdrawn (the attendance cancelled) grants nothing
at once, and the notice of the cancellation grants nothing either. Being on the care team is unaffected.
Time travel moves the alerts' `created_at` back: nothing sleeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from schemas.enums import Role
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications.models import Notification
from tests.conftest import _reset_settings
from tests.integration.conftest import YOUNG_PERSON, Person, World, attendance, audit_events
from tests.integration.intake_helpers import hl7_fixture

pytestmark = pytest.mark.integration

ALERTED_ROLES = [Role.social_worker, Role.clinician, Role.liaison]  # the roles an alert gives access to


@dataclass
class Scene:
    ref: str
    lead: Person
    feed: Person
    duty: dict[Role, Person]


def _setting_up(client: TestClient, world: World) -> Scene:
    world.team("CEC-SG")
    world.team("CEC-DUTY", duty=True)
    world.team("RBT-ED", la=None)
    lead = world.user("lead", role=Role.safeguarding_lead, team="CEC-SG")
    feed = world.user("edsys", role=Role.integration, team="RBT-ED")
    duty = {role: world.user(f"duty-{role}", role=role, team="CEC-DUTY") for role in ALERTED_ROLES}
    created = client.post("/api/v1/young-people", json=YOUNG_PERSON, headers=lead.headers)
    assert created.status_code == 201, created.text
    return Scene(created.json()["ref"], lead, feed, duty)


def _age_alerts(hours: float) -> None:
    with session_scope() as session:
        session.execute(update(Notification).values(created_at=utcnow() - timedelta(hours=hours)))


def _reads(client: TestClient, person: Person, ref: str) -> int:
    return client.get(f"/api/v1/young-people/{ref}", headers=person.headers).status_code


@pytest.mark.parametrize("role", ALERTED_ROLES)
def test_an_alert_grants_reading_for_its_window_only_and_each_later_refusal_is_audited(
    client: TestClient, world: World, role: Role
) -> None:
    scene = _setting_up(client, world)
    ref, feed, duty = scene.ref, scene.feed, scene.duty
    person = duty[role]
    assert _reads(client, person, ref) == 403  # never told: no access
    sent = client.post("/api/v1/attendances", json=attendance(), headers=feed.headers)
    assert sent.status_code == 202, sent.text
    assert _reads(client, person, ref) == 200  # told: may act on it

    _age_alerts(167)
    assert _reads(client, person, ref) == 200  # within ALERT_ACCESS_HOURS (168)
    _age_alerts(169)
    assert _reads(client, person, ref) == 403
    assert client.get(f"/api/v1/young-people/{ref}/chronology", headers=person.headers).status_code == 403
    refused = [e for e in audit_events(outcome="denied") if e.actor_username == person.username]
    assert len(refused) == 3  # before the alert, the record, the chronology
    assert {e.young_person_ref for e in refused} == {ref}
    caseload = client.get("/api/v1/young-people", headers=person.headers).json()
    assert ref not in str(caseload)

    again = client.post("/api/v1/attendances", json=attendance("V0002"), headers=feed.headers)
    assert again.status_code == 202, again.text
    assert _reads(client, person, ref) == 200  # a new event, a new window


def test_the_window_is_configurable(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = _setting_up(client, world)
    ref, feed, duty = scene.ref, scene.feed, scene.duty
    client.post("/api/v1/attendances", json=attendance(), headers=feed.headers)
    _age_alerts(30)
    monkeypatch.setenv("ALERT_ACCESS_HOURS", "24")
    _reset_settings()
    assert {_reads(client, person, ref) for person in duty.values()} == {403}
    monkeypatch.setenv("ALERT_ACCESS_HOURS", "48")
    _reset_settings()
    assert {_reads(client, person, ref) for person in duty.values()} == {200}


def test_a_cancelled_attendance_takes_its_alerts_access_away_at_once(
    client: TestClient, world: World
) -> None:
    scene = _setting_up(client, world)
    ref, feed, duty = scene.ref, scene.feed, scene.duty
    hl7 = {**feed.headers, "content-type": "x-application/hl7-v2+er7"}
    sent = client.post("/api/v1/hl7/v2", content=hl7_fixture("a04-ed-attendance.hl7"), headers=hl7)
    assert "MSA|AA" in sent.text, sent.text
    assert {_reads(client, person, ref) for person in duty.values()} == {200}
    cancelled = client.post("/api/v1/hl7/v2", content=hl7_fixture("a11-cancel-attendance.hl7"), headers=hl7)
    assert "MSA|AA" in cancelled.text, cancelled.text
    with session_scope() as session:  # the duty team is told of the cancellation, by ref
        kinds = {n.kind for n in session.query(Notification).all()}
    assert "attendance_cancelled" in kinds
    assert {_reads(client, person, ref) for person in duty.values()} == {403}


def test_the_care_team_keeps_its_access_however_old_its_alerts(client: TestClient, world: World) -> None:
    scene = _setting_up(client, world)
    ref, feed, duty = scene.ref, scene.feed, scene.duty
    member = duty[Role.social_worker]
    client.post("/api/v1/attendances", json=attendance(), headers=feed.headers)
    _age_alerts(10_000)
    assert _reads(client, member, ref) == 403
    added = client.post(
        f"/api/v1/young-people/{ref}/care-team",
        json={"username": member.username, "role": "lead_social_worker"},
        headers=scene.lead.headers,
    )
    assert added.status_code == 201, added.text
    assert _reads(client, member, ref) == 200
