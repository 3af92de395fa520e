"""The pages to read: each calls the API's services and access rules, is audited with via=web, and
refuses (403 page, audited) a user outside the care team."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Agency, Role
from tests.integration.conftest import Case, Person, World, attendance, audit_events
from tests.integration.web.helpers import post_form, sign_in

EMAIL = "jo.smith@example.org"


@pytest.fixture
def stranger(world: World, case: Case) -> Person:
    world.team("CEC-CSC2")
    return world.user("stranger", role=Role.social_worker, team="CEC-CSC2", email="s@example.org")


def _alert(client: TestClient, case: Case) -> int:
    assert (
        client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers).status_code
        == 202
    )
    found = client.get("/api/v1/notifications", headers=case.social_worker.headers).json()
    [notification] = [n for n in found if n["recipient"] == "jsmith"]
    return int(notification["id"])


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/young-people/{ref}", "young_person.read"),
        ("/young-people/{ref}/chronology", "chronology.read"),
        ("/young-people/{ref}/chronology.csv", "chronology.read"),
        ("/young-people/{ref}/chronology.json", "chronology.read"),
        ("/alerts/{alert}", "notification.read"),
    ],
)
def test_a_user_outside_the_care_team_is_refused_every_page_and_each_refusal_is_audited(
    client: TestClient, case: Case, stranger: Person, path: str, action: str
) -> None:
    alert = _alert(client, case)
    sign_in(client, "s@example.org")
    answer = client.get(path.format(ref=case.ref, alert=alert))
    assert answer.status_code == 403
    assert "You cannot see this" in answer.text and "text/html" in answer.headers["content-type"]
    assert "Alex" not in answer.text and "9990000018" not in answer.text
    denied = audit_events(actor_username="stranger", outcome="denied")
    assert [(e.action, e.young_person_ref, e.via) for e in denied] == [(action, case.ref, "web")]


def test_the_caseload_search_finds_by_ref_nhs_number_and_name_within_what_i_may_see(
    client: TestClient, case: Case, stranger: Person
) -> None:
    sign_in(client, EMAIL)
    for query in (case.ref, "999 000 0018", "testperson", "Alex Test"):
        page = client.get("/caseload", params={"q": query})
        assert page.status_code == 200 and f'href="/young-people/{case.ref}"' in page.text, query
    assert "0 young people" in client.get("/caseload", params={"q": "nobody"}).text
    listed = audit_events(action="young_person.list", via="web")
    assert listed[0].detail == {"refs": [case.ref], "searched": True}
    client.cookies.clear()
    sign_in(client, "s@example.org")
    for query in (case.ref, "9990000018", "Alex"):
        assert f'href="/young-people/{case.ref}"' not in client.get("/caseload", params={"q": query}).text


def test_the_caseload_pages(client: TestClient, case: Case) -> None:
    for n in range(27):
        nhs = _nhs(100 + n)
        body = {
            "nhs_number": nhs,
            "given_name": "Sam",
            "family_name": f"Page{n}",
            "date_of_birth": "2008-01-01",
            "responsible_la": "CEC",
        }
        assert client.post("/api/v1/young-people", json=body, headers=case.lead.headers).status_code == 201
    lead_email = "lead@example.org"
    from services.kernel.db import session_scope
    from services.staff.models import User

    with session_scope() as session:
        session.query(User).filter(User.username == "lead").update({"email": lead_email})
    sign_in(client, lead_email)
    first = client.get("/caseload")
    assert "28 young people" in first.text and "Page 2 of 2" in first.text
    second = client.get("/caseload?page=2")
    assert second.text.count('href="/young-people/YP-') == 3


def _nhs(seed: int) -> str:
    """A valid synthetic NHS number in the 999 range."""
    for tail in range(seed * 10, seed * 10 + 10):
        digits = f"999{tail:06d}"
        total = sum(int(d) * (10 - i) for i, d in enumerate(digits))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return digits + str(check)
    raise AssertionError(seed)


def test_my_work_lists_my_waiting_alerts_with_their_chase_and_acknowledges_from_the_list(
    client: TestClient, case: Case
) -> None:
    alert = _alert(client, case)
    sign_in(client, EMAIL)
    page = client.get("/my-work")
    assert "1 alert waiting" in page.text and "Not chased yet" in page.text
    assert f'action="/alerts/{alert}/acknowledge"' in page.text
    done = post_form(client, f"/alerts/{alert}/acknowledge", page)
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert "0 alerts waiting" in after.text and f"Alert {alert} acknowledged" in after.text
    [event] = audit_events(action="notification.acknowledged")
    assert event.via == "web"
    assert [e.young_person_ref for e in audit_events(action="notification.list", via="web")][0] == case.ref


def test_someone_else_s_alert_cannot_be_acknowledged_from_the_web(
    client: TestClient, case: Case, world: World
) -> None:
    alert = _alert(client, case)
    from services.kernel.db import session_scope
    from services.staff.models import User

    with session_scope() as session:
        session.query(User).filter(User.username == "lead").update({"email": "lead@example.org"})
    sign_in(client, "lead@example.org")
    page = client.get(f"/alerts/{alert}")
    assert page.status_code == 200 and "jsmith" in page.text
    refused = post_form(client, f"/alerts/{alert}/acknowledge", page)
    assert refused.status_code == 403
    assert [e.action for e in audit_events(actor_username="lead", outcome="denied")] == [
        "notification.acknowledge"
    ]


def test_the_young_person_s_page_shows_the_care_team_plans_assessment_and_open_alerts(
    client: TestClient, case: Case, world: World
) -> None:
    world.team("CAMHS-1", agency=Agency.camhs)
    world.user("drk", role=Role.clinician, team="CAMHS-1", email="dr.k@example.org")
    added = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": "drk", "role": "camhs"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201, added.text
    alert = _alert(client, case)
    sign_in(client, EMAIL)
    page = client.get(f"/young-people/{case.ref}")
    assert page.status_code == 200
    for shown in (
        "Alex Testperson",
        "999 000 0018",
        "Child protection plan",
        "lead social worker",
        "camhs",
        "mailto:dr.k@example.org",
        f'href="/alerts/{alert}"',
        "No completed assessment",
    ):
        assert shown in page.text, shown
    [event] = audit_events(action="young_person.read", via="web")
    assert (event.actor_username, event.young_person_ref) == ("jsmith", case.ref)


def test_the_chronology_filters_and_exports_the_same_events(client: TestClient, case: Case) -> None:
    _alert(client, case)
    sign_in(client, EMAIL)
    page = client.get(f"/young-people/{case.ref}/chronology")
    assert page.status_code == 200 and "registered" in page.text and "attendance" in page.text
    only = client.get(f"/young-people/{case.ref}/chronology", params={"kind": "attendance"})
    assert "1 event," in only.text
    hospital = client.get(f"/young-people/{case.ref}/chronology", params={"agency": "acute_liaison"})
    assert "1 event," in hospital.text
    none = client.get(f"/young-people/{case.ref}/chronology", params={"to": "2000-01-01"})
    assert "0 events" in none.text
    rows = list(csv.DictReader(io.StringIO(client.get(f"/young-people/{case.ref}/chronology.csv").text)))
    exported = client.get(f"/young-people/{case.ref}/chronology.json").json()
    assert [r["kind"] for r in rows] == [e["kind"] for e in exported["events"]]
    assert "registered" in [r["kind"] for r in rows] and exported["ref"] == case.ref
    times = [e["at"] for e in exported["events"]]
    assert times == sorted(times)
    formats = [e.detail["format"] for e in audit_events(action="chronology.read", via="web")]
    assert formats == ["html", "html", "html", "html", "csv", "json"]
    assert json.loads(client.get(f"/young-people/{case.ref}/chronology.json?kind=attendance").text)[
        "filters"
    ]["kind"] == ["attendance"]
