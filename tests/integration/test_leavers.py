"""A leaver, over the real app, database, SMTP server and rq worker: deactivating an account stops its token,
Telegram link and link code at once, messages to them not yet sent are never sent, they drop out of every
recipient list, and each young person they worked with has the duty team told by ref. Only the system
administrator runs accounts; each refusal is audited."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from runtime.cli import app as cli
from schemas.enums import Role
from services.kernel.db import session_scope
from services.notifications.models import Delivery, Notification
from tests.integration.bot.test_bot_auth import bot, link
from tests.integration.conftest import Case, Mailbox, Person, World, attendance, audit_events, run_worker

CHAT = 5550177


def _admin(world: World) -> Person:
    world.team("LIA-ADM", la=None)
    return world.user("admin", role=Role.admin, team="LIA-ADM")


def _duty(world: World) -> Person:
    world.team("CEC-DUTY", duty=True)
    return world.user("duty1", role=Role.social_worker, team="CEC-DUTY", email="duty@example.org")


def test_a_leaver_stops_at_once_their_unsent_alert_never_goes_and_the_duty_team_is_told(
    client: TestClient, case: Case, world: World, mailbox: Mailbox
) -> None:
    admin, duty = _admin(world), _duty(world)
    assert link(client, case.social_worker.link_code, CHAT)[0] == 200
    assert (
        client.post("/api/v1/attendances", json=attendance(), headers=case.hospital.headers).status_code
        == 202
    )

    gone = client.post("/api/v1/users/jsmith/deactivate", headers=admin.headers)

    assert gone.status_code == 200, gone.text
    assert gone.json() == {
        "username": "jsmith",
        "tokens_revoked": 1,
        "telegram_unlinked": True,
        "deliveries_stopped": 2,  # the attendance alert by email and Telegram, queued but not yet sent
        "young_people_affected": 1,
    }
    assert case.ref not in gone.text  # the administrator reads no record
    # Their token and their chat stop at once.
    assert client.get("/api/v1/me", headers=case.social_worker.headers).status_code == 401
    assert client.get("/api/v1/me", headers=bot(CHAT)).status_code == 401

    run_worker()
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "duty@example.org"  # the alert queued for jsmith was never sent
    assert "Care team member left" in mail["Subject"] and case.ref in mail["Subject"]
    body = mail.get_payload()
    assert "lead social worker" in str(body) and "Alex" not in str(body)  # by ref; the role, not the child
    seen = client.get("/api/v1/notifications", headers=duty.headers).json()
    [told] = [n for n in seen if n["recipient"] == "duty1"]
    assert (told["kind"], told["young_person_ref"], told["recipient_role"]) == (
        "member_left",
        case.ref,
        "duty",
    )
    with session_scope() as session:
        statuses = session.scalars(
            select(Delivery.status).join(Notification).where(Notification.kind == "attendance")
        ).all()
        assert statuses == ["cancelled", "cancelled"]

    # A later attendance tells the duty team (nobody else is on the care team), never the leaver.
    again = client.post("/api/v1/attendances", json=attendance("V0002"), headers=case.hospital.headers)
    assert again.status_code == 202
    with session_scope() as session:
        recipients = session.scalars(
            select(Notification.recipient_id).where(Notification.attendance_id == again.json()["id"])
        ).all()
        jsmith_id = session.scalar(select(Notification.recipient_id).where(Notification.kind == "attendance"))
        assert jsmith_id not in recipients
    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers).json()
    [left] = [e for e in events["events"] if e["kind"] == "care_team_member_left"]
    assert "Jsmith (lead social worker) left liaison" in left["summary"]
    [deactivated] = audit_events(action="user.deactivated")
    assert (deactivated.actor_username, deactivated.detail["username"]) == ("admin", "jsmith")


def test_a_leavers_link_code_never_links_a_chat(client: TestClient, case: Case, world: World) -> None:
    admin = _admin(world)
    assert client.post("/api/v1/users/jsmith/deactivate", headers=admin.headers).status_code == 200
    status, _ = link(client, case.social_worker.link_code, CHAT)
    assert status == 404
    again = client.post("/api/v1/users/jsmith/deactivate", headers=admin.headers)
    assert again.status_code == 409 and "already deactivated" in again.json()["detail"]


def test_only_the_administrator_runs_accounts_and_each_refusal_is_audited(
    client: TestClient, case: Case, world: World
) -> None:
    for who in (case.lead, case.social_worker, case.hospital):
        for method, path in (
            ("post", "/api/v1/users/jsmith/deactivate"),
            ("post", "/api/v1/users/jsmith/reactivate"),
            ("patch", "/api/v1/users/jsmith"),
            ("get", "/api/v1/users"),
            ("get", "/api/v1/teams"),
        ):
            body = {} if method == "patch" else None
            answer = client.request(method.upper(), path, json=body, headers=who.headers)
            assert answer.status_code == 403, (who.username, path)
    assert client.get("/api/v1/me", headers=case.social_worker.headers).status_code == 200  # still active
    refusals = [
        e for e in audit_events() if e.outcome == "denied" and e.action.startswith(("user.", "team."))
    ]
    assert len(refusals) == 15


def test_the_administrator_changes_how_someone_is_reached_and_the_trail_names_fields_not_values(
    client: TestClient, case: Case, world: World
) -> None:
    admin = _admin(world)
    changed = client.patch(
        "/api/v1/users/jsmith",
        json={"email": "jo.smith@cec.example.org", "webhook_url": "https://cec.example.org/hook"},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] == "jo.smith@cec.example.org"
    cleared = client.patch("/api/v1/users/jsmith", json={"webhook_url": ""}, headers=admin.headers).json()
    assert (cleared["email"], cleared["webhook_url"]) == ("jo.smith@cec.example.org", None)
    assert (
        client.patch("/api/v1/users/jsmith", json={"role": "admin"}, headers=admin.headers).status_code == 422
    )
    trail = [e.detail for e in audit_events(action="user.updated")]
    assert trail == [
        {"username": "jsmith", "fields": ["email", "webhook_url"]},
        {"username": "jsmith", "fields": ["webhook_url"]},
    ]
    assert "cec.example.org" not in json.dumps(trail)
    listed = client.get("/api/v1/users", params={"team": "CEC-CSC"}, headers=admin.headers).json()
    assert [u["username"] for u in listed] == ["jsmith"]


def test_a_returner_gets_new_credentials_and_the_old_ones_stay_dead(
    client: TestClient, case: Case, world: World
) -> None:
    admin = _admin(world)
    client.post("/api/v1/users/jsmith/deactivate", headers=admin.headers)
    assert [
        u["username"] for u in client.get("/api/v1/users?active=false", headers=admin.headers).json()
    ] == ["jsmith"]
    back = client.post("/api/v1/users/jsmith/reactivate", headers=admin.headers)
    assert back.status_code == 200, back.text
    new = back.json()
    assert new["active"] is True and new["token"] != case.social_worker.token
    assert client.get("/api/v1/me", headers=case.social_worker.headers).status_code == 401  # the old token
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {new['token']}"})
    assert me.status_code == 200 and me.json()["username"] == "jsmith"
    assert link(client, case.social_worker.link_code, CHAT)[0] == 404  # the old code
    assert link(client, new["link_code"], CHAT)[0] == 200


def test_the_cli_deactivates_edits_and_lists(client: TestClient, case: Case, world: World) -> None:
    runner = CliRunner()
    edited = runner.invoke(cli, ["user", "edit", "jsmith", "--email", ""])
    assert edited.exit_code == 0, edited.output
    assert json.loads(edited.stdout)["email"] is None
    done = runner.invoke(cli, ["user", "deactivate", "jsmith"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["tokens_revoked"] == 1
    assert client.get("/api/v1/me", headers=case.social_worker.headers).status_code == 401
    listed = [json.loads(line) for line in runner.invoke(cli, ["user", "list"]).stdout.splitlines()]
    assert {u["username"]: u["active"] for u in listed}["jsmith"] is False
    refused = runner.invoke(cli, ["user", "deactivate", "jsmith"])
    assert refused.exit_code == 1 and "already deactivated" in refused.output
    [event] = audit_events(action="user.deactivated")
    assert (event.actor_username, event.via) == ("liaison-system", "cli")
