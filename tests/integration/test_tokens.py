"""API tokens with a life, over the real app and database: an expired or revoked token is refused at once,
tokens are listed and revoked by their owner or the admin only, issue and revocation are audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from runtime.cli import app as cli
from schemas.enums import Agency, Role, Via
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.staff import service as staff
from services.staff import tokens
from tests.integration.bot.test_bot_auth import bot, link
from tests.integration.conftest import Case, World, audit_events

CHAT = 5550101


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _life(token: dict[str, str]) -> timedelta:
    return datetime.fromisoformat(token["expires_at"]) - datetime.fromisoformat(token["created_at"])


def test_a_token_past_its_expiry_is_refused_at_once_and_says_so(client: TestClient, case: Case) -> None:
    with session_scope() as session:
        user = staff.get_user(session, username="jsmith")
        assert user is not None
        _, old = tokens.issue(session, user=user, actor=None, via=Via.cli, now=utcnow() - timedelta(days=91))
    refused = client.get(f"/api/v1/young-people/{case.ref}", headers=_bearer(old))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the token has expired: ask for a new one"
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert not audit_events(action="young_person.read")  # nothing was read with it
    unknown = client.get("/api/v1/me", headers=_bearer("lia_nobody"))
    assert unknown.status_code == 401 and unknown.json()["detail"] == "the token is not valid"
    assert client.get("/api/v1/me", headers=case.social_worker.headers).status_code == 200  # the live one


def test_a_new_token_lives_its_roles_days_and_revoking_the_old_one_refuses_it_at_once(
    client: TestClient, case: Case
) -> None:
    issued = client.post(
        "/api/v1/users/jsmith/tokens", json={"name": "laptop"}, headers=case.social_worker.headers
    )
    assert issued.status_code == 201, issued.text
    new = issued.json()
    assert (new["name"], new["status"], _life(new)) == ("laptop", "active", timedelta(days=90))
    listed = client.get("/api/v1/users/jsmith/tokens", headers=_bearer(new["token"])).json()
    assert [t["name"] for t in listed] == ["laptop", "personal"]
    assert all("token" not in t for t in listed)  # shown once, at issue
    first = listed[1]

    revoked = client.post(f"/api/v1/users/jsmith/tokens/{first['id']}/revoke", headers=_bearer(new["token"]))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    refused = client.get(f"/api/v1/young-people/{case.ref}", headers=case.social_worker.headers)
    assert (refused.status_code, refused.json()["detail"]) == (
        401,
        "the token has been revoked: ask for a new one",
    )
    again = client.post(f"/api/v1/users/jsmith/tokens/{first['id']}/revoke", headers=_bearer(new["token"]))
    assert again.status_code == 200 and again.json()["status"] == "revoked"
    assert client.get(f"/api/v1/young-people/{case.ref}", headers=_bearer(new["token"])).status_code == 200

    [issue] = [e for e in audit_events(action="token.issued") if e.actor_username == "jsmith"]
    assert issue.via == "api" and issue.detail["name"] == "laptop"
    assert new["token"] not in json.dumps(issue.detail)  # the trail names the token, never holds it
    [revocation] = audit_events(action="token.revoked")  # once: the second revoke changed nothing
    assert (revocation.actor_username, revocation.detail["token_id"]) == ("jsmith", first["id"])


def test_a_life_longer_than_the_role_allows_is_refused_and_an_integration_token_is_named_and_longer(
    client: TestClient, case: Case, world: World
) -> None:
    too_long = client.post(
        "/api/v1/users/jsmith/tokens", json={"days": 91}, headers=case.social_worker.headers
    )
    assert too_long.status_code == 422 and "at most 90 days" in json.dumps(too_long.json())
    world.team("ADMIN", agency=Agency.social_care)
    admin = world.user("root", role=Role.admin, team="ADMIN")
    world.team("RBT-ED", la=None)
    world.user("rbt", role=Role.integration, team="RBT-ED")
    pas = client.post("/api/v1/users/rbt/tokens", json={"name": "rbt-pas"}, headers=admin.headers)
    assert pas.status_code == 201, pas.text
    assert (pas.json()["name"], _life(pas.json())) == ("rbt-pas", timedelta(days=365))


def test_nobody_else_lists_issues_or_revokes_your_tokens_and_each_attempt_is_audited(
    client: TestClient, case: Case, world: World
) -> None:
    for method, path in (
        ("GET", "/api/v1/users/jsmith/tokens"),
        ("POST", "/api/v1/users/jsmith/tokens"),
        ("POST", "/api/v1/users/jsmith/tokens/revoke"),
        ("POST", "/api/v1/users/jsmith/tokens/1/revoke"),
    ):
        # the safeguarding lead manages the care team, not the social worker's credentials
        answer = client.request(
            method, path, json={} if path.endswith("tokens") else None, headers=case.lead.headers
        )
        assert answer.status_code == 403, (method, path, answer.text)
    denied = [e for e in audit_events(outcome="denied") if e.actor_username == "lead"]
    assert sorted(e.action for e in denied) == [
        "token.issued",
        "token.list",
        "token.revoked",
        "token.revoked",
    ]
    assert client.get("/api/v1/me", headers=case.social_worker.headers).status_code == 200  # untouched

    world.team("ADMIN", agency=Agency.social_care)
    admin = world.user("root", role=Role.admin, team="ADMIN")
    revoked = client.post("/api/v1/users/jsmith/tokens/revoke", headers=admin.headers)  # a lost phone
    assert revoked.status_code == 200 and [t["status"] for t in revoked.json()["revoked"]] == ["revoked"]
    assert client.get("/api/v1/me", headers=case.social_worker.headers).status_code == 401
    assert client.get("/api/v1/users/nobody/tokens", headers=admin.headers).status_code == 404


def test_a_token_is_never_issued_into_a_telegram_chat(client: TestClient, case: Case) -> None:
    assert link(client, case.social_worker.link_code, CHAT)[0] == 200
    refused = client.post("/api/v1/users/jsmith/tokens", json={}, headers=bot(CHAT))
    assert refused.status_code == 403 and "bot" in refused.json()["detail"]
    [denied] = audit_events(action="token.issued", outcome="denied")
    assert (denied.actor_username, denied.via) == ("jsmith", "bot")
    listed = client.get("/api/v1/users/jsmith/tokens", headers=case.social_worker.headers).json()
    assert len(listed) == 1


def test_the_command_line_issues_lists_and_revokes_and_prints_one_json_object_each(case: Case) -> None:
    runner = CliRunner()
    issued = runner.invoke(cli, ["user", "token", "hosp", "--name", "ward-pc", "--days", "30"])
    assert issued.exit_code == 0, issued.output
    token = json.loads(issued.stdout)
    assert (token["username"], token["name"], _life(token)) == ("hosp", "ward-pc", timedelta(days=30))
    listed = json.loads(runner.invoke(cli, ["user", "tokens", "hosp"]).stdout)
    assert [t["name"] for t in listed["tokens"]] == ["ward-pc", "personal"]
    assert all("token" not in t for t in listed["tokens"])

    done = runner.invoke(cli, ["user", "revoke", "hosp"])
    assert done.exit_code == 0, done.output
    assert {t["status"] for t in json.loads(done.stdout)["tokens"]} == {"revoked"}
    nothing_left = runner.invoke(cli, ["user", "revoke", "hosp"])
    assert nothing_left.exit_code == 1 and "no live token" in nothing_left.output
    too_long = runner.invoke(cli, ["user", "token", "hosp", "--days", "400"])
    assert too_long.exit_code == 1 and "at most 90 days" in too_long.output
    assert [e.via for e in audit_events(action="token.revoked")] == ["cli", "cli"]
