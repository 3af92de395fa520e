"""The partnership report page (`/reports/partnership`): the figures of `services.flows.report` for a
period and local authority, each checked against the records seeded for it, drawn as SVG charts with a
table beside each, the not-measured list and a CSV download; only the authority's leads and managers (and
information governance, the admin) read it, and each refusal is audited via=web."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from schemas.enums import Agency, Role
from services.attendances.models import Attendance
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications.models import Notification
from tests.integration.conftest import Case, World, attendance, audit_events
from tests.integration.test_appointments import appointment_outcome, book
from tests.integration.web.helpers import sign_in

WNB = {"status": "was_not_brought", "reason": "Mum's car broke down", "barriers": ["transport"]}


def _cells(page: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr class="nhsuk-table__row" id="{row_id}">(.*?)</tr>', page, re.S)
    assert row, row_id
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def _shares(page: str) -> dict[str, list[str]]:
    table = page[page.index('id="shares"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", table, re.S)
    cells = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows
    ]
    return {c[0]: c[1:] for c in cells if c}


def _period() -> dict[str, str]:
    today = utcnow().date()
    return {"la": "CEC", "from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}


@pytest.fixture
def seeded(client: TestClient, world: World, case: Case) -> Case:
    """Two attendances (the first acknowledged by the social worker 10 minutes after it was recorded, then
    discharged; the second, self-harm after an overdose, a repeat attendance), a CAMHS appointment within
    72 hours of discharge, a CAMHS appointment the young person was not brought to, and a closure proposal
    the guard refused (the person named is not on the care team)."""
    world.team("CEC-CAMHS", agency=Agency.camhs)
    nurse = world.user("camhs.nurse", role=Role.clinician, team="CEC-CAMHS")
    world.user("manager", role=Role.team_manager, team="CEC-CSC", email="manager@example.org")
    world.user("lead2", role=Role.safeguarding_lead, team="CEC-SG", email="lead2@example.org")
    first = client.post("/api/v1/attendances", json=attendance("V1"), headers=case.hospital.headers).json()
    client.post(
        "/api/v1/attendances",
        json=attendance("V2", reasons=["self_harm"], arrived_at="2026-11-30T21:00:00+00:00"),
        headers=case.hospital.headers,
    )
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
    with session_scope() as session:  # time travel: recorded 10 minutes before it was taken on
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
    assert book(client, case, nurse, days_ago=-1, owner_team="CEC-CAMHS").status_code == 201
    missed = book(client, case, nurse, days_ago=1, owner_team="CEC-CAMHS")
    assert missed.status_code == 201, missed.text
    recorded = appointment_outcome(client, case, nurse, missed.json()["id"], WNB)
    assert recorded.status_code == 200, recorded.text
    refused = client.post(
        f"/api/v1/young-people/{case.ref}/closures",
        json={"reason": "non_engagement", "rationale": "Letters not answered.", "username": "hosp"},
        headers=case.lead.headers,
    )
    assert refused.status_code == 422, refused.text
    return case


@pytest.mark.parametrize("email", ["lead2@example.org", "manager@example.org"])
def test_each_figure_on_the_page_is_what_the_periods_records_say(
    client: TestClient, seeded: Case, email: str
) -> None:
    sign_in(client, email)
    page = client.get("/reports/partnership", params=_period())
    assert page.status_code == 200, page.text
    text = page.text
    assert re.search(r'id="attendances">2<', text) and re.search(r'id="repeat-attenders">1<', text)
    assert _cells(text, "ack-all") == ["all", "2", "1", "10.0", "10.0"]
    assert _cells(text, "ack-social_care") == ["social_care", "2", "1", "10.0", "10.0"]  # jsmith told of both
    shares = _shares(text)
    assert shares["Discharges with a community follow-up within 72 hours"] == ["1", "1", "100.0%"]
    assert shares["Discharge plans issued and reached everyone within 24 hours"] == ["0", "0", "none"]
    assert shares["Transfers into the authority accepted within target"] == ["0", "0", "none"]
    assert _cells(text, "misses-camhs") == ["camhs", "1", "0"]
    assert "not a member" in text[text.index('id="closures"') :]
    assert "multi-agency meeting" in text[text.index('id="not-measured"') :]
    # the charts: server-drawn SVG, each named for assistive technology, with a bar per figure
    assert text.count('<svg class="liaison-chart" role="img"') == 5
    assert '<title id="chart-shares-title">' in text and 'width="300.0"' in text  # 100 % is a full bar
    assert seeded.ref not in text and "Alex" not in text  # figures only
    [read] = [e for e in audit_events(action="report.partnership") if e.outcome == "allowed"]
    assert read.via == "web" and read.detail == {
        "la": "CEC",
        "from": _period()["from"],
        "to": _period()["to"],
    }

    link = re.search(r'href="(/reports/partnership\.csv\?[^"]+)"', text)
    assert link, text
    download = client.get(link.group(1).replace("&amp;", "&"))
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["figure", "breakdown", "value"]
    assert ["acknowledgement.median_minutes", "all", "10.0"] in rows
    assert ["misses.was_not_brought", "camhs", "1"] in rows and [
        "closures_refused",
        "not_a_member",
        "1",
    ] in rows


def test_the_form_defaults_to_my_authority_this_month_and_refuses_a_backwards_period(
    client: TestClient, seeded: Case
) -> None:
    sign_in(client, "lead2@example.org")
    page = client.get("/reports/partnership")
    today = utcnow().date()
    assert page.status_code == 200 and f"CEC, {today.replace(day=1)} to {today}" in page.text
    backwards = client.get(
        "/reports/partnership", params={"la": "CEC", "from": "2026-12-01", "to": "2026-11-01"}
    )
    assert backwards.status_code == 400 and "There is a problem" in backwards.text
    assert "the period runs forward" in backwards.text.lower() and 'id="attendances"' not in backwards.text
    assert client.get("/reports/partnership", params={"from": "yesterday"}).status_code == 400


@pytest.mark.parametrize(
    ("role", "team", "la"),
    [
        (Role.social_worker, "CEC-CSC", "CEC"),
        (Role.liaison, "RBT-LIA", "CEC"),
        (Role.safeguarding_lead, "MAN-SG", "CEC"),  # another authority's lead
        (Role.safeguarding_lead, "CEC-SG", "MAN"),  # their own lead, another authority's report
    ],
)
def test_everyone_else_is_refused_the_page_and_the_csv_and_each_refusal_is_audited(
    client: TestClient, world: World, case: Case, role: Role, team: str, la: str
) -> None:
    world.team("MAN-SG", la="MAN")
    world.user("someone", role=role, team=team, email="someone@example.org")
    sign_in(client, "someone@example.org")
    period = _period() | {"la": la}
    page = client.get("/reports/partnership", params=period)
    assert page.status_code == 403 and "You cannot see this" in page.text
    assert "team managers and safeguarding leads" in page.text and 'id="attendances"' not in page.text
    assert client.get("/reports/partnership.csv", params=period).status_code == 403
    refused = [e for e in audit_events(action="report.partnership") if e.outcome == "denied"]
    assert [(e.actor_username, e.via, e.detail["la"]) for e in refused] == [("someone", "web", la)] * 2
