"""The system administrator's pages (issue 8.5): users (list, add, edit, deactivate, reactivate, new token
and Telegram link code, revoke a token) and teams (list, add, duty and out-of-hours), through the web
session as a browser without JavaScript uses them. The same services and audit as the API, via=web; a
token or link code is shown once, on the answer page only."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from schemas.enums import Agency, Role, Via
from services.kernel.db import session_scope
from services.staff import service as staff
from tests.integration.bot.test_bot_auth import bot
from tests.integration.conftest import Case, World, audit_events
from tests.integration.web.helpers import post_form, sign_in

TOKEN = re.compile(r'<code id="token">([^<]+)</code>')
LINK_CODE = re.compile(r'<code id="link-code">([^<]+)</code>')
NEW_USER = {
    "username": "newbie",
    "display_name": "Nat Newbie",
    "role": "social_worker",
    "team_code": "CEC-CSC",
    "email": "nat@example.org",
    "webhook_url": "",
}


def _admin(client: TestClient, world: World) -> None:
    world.team("OPS", la=None, agency=Agency.other)
    world.user("root", role=Role.admin, team="OPS", email="root@example.org")
    sign_in(client, "root@example.org")


def _me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_the_admin_adds_a_user_and_sees_their_token_and_link_code_once(
    client: TestClient, case: Case, world: World
) -> None:
    _admin(client, world)
    form = client.get("/admin/users/new")
    assert form.status_code == 200 and 'value="CEC-CSC"' in form.text
    shown = post_form(client, "/admin/users/new", form, NEW_USER)
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert "Shown only this once" in shown.text and "never by email" in shown.text
    token = TOKEN.search(shown.text).group(1)  # type: ignore[union-attr]
    code = LINK_CODE.search(shown.text).group(1)  # type: ignore[union-attr]
    assert _me(client, token) == 200
    page = client.get("/admin/users/newbie")
    assert page.status_code == 200 and "Nat Newbie" in page.text
    assert token not in page.text and code not in page.text  # never again
    [event] = audit_events(action="user.created", via="web")
    assert event.actor_username == "root" and token not in str(event.detail) and code not in str(event.detail)


def test_bad_or_duplicate_input_is_answered_with_the_form_and_what_to_correct(
    client: TestClient, case: Case, world: World
) -> None:
    _admin(client, world)
    form = client.get("/admin/users/new")
    bad = post_form(
        client, "/admin/users/new", form, {**NEW_USER, "username": "no spaces", "email": "not-an-address"}
    )
    assert bad.status_code == 400 and 'href="#username"' in bad.text and 'href="#email"' in bad.text
    assert 'value="Nat Newbie"' in bad.text  # kept what was typed
    again = post_form(client, "/admin/users/new", form, {**NEW_USER, "username": "jsmith"})
    assert again.status_code == 409 and "already exists" in again.text
    assert audit_events(action="user.created", via="web") == []


def test_the_users_list_filters_by_team_and_status(client: TestClient, case: Case, world: World) -> None:
    _admin(client, world)
    with session_scope() as session:
        user = staff.get_user(session, username="hosp")
        assert user is not None
        staff.deactivate_user(session, user=user, actor=None, via=Via.cli)
    every = client.get("/admin/users")
    assert all(f'href="/admin/users/{u}"' in every.text for u in ("jsmith", "lead", "hosp", "root"))
    team = client.get("/admin/users?team=CEC-CSC").text
    assert 'href="/admin/users/jsmith"' in team and 'href="/admin/users/lead"' not in team
    gone = client.get("/admin/users?active=deactivated").text
    assert 'href="/admin/users/hosp"' in gone and 'href="/admin/users/jsmith"' not in gone
    live = client.get("/admin/users?active=active").text
    assert 'href="/admin/users/hosp"' not in live and 'href="/admin/users/jsmith"' in live
    assert len(audit_events(action="user.list", via="web")) == 4


def test_the_admin_edits_a_name_and_clears_a_channel(client: TestClient, case: Case, world: World) -> None:
    _admin(client, world)
    page = client.get("/admin/users/jsmith")
    assert 'value="jo.smith@example.org"' in page.text
    saved = post_form(
        client, "/admin/users/jsmith", page, {"display_name": "Jo Smith", "email": "", "webhook_url": ""}
    )
    assert saved.status_code == 303
    again = client.get(saved.headers["location"])
    assert "Saved." in again.text and "<h1>Jo Smith" in again.text
    with session_scope() as session:
        user = staff.get_user(session, username="jsmith")
        assert user is not None and (user.display_name, user.email) == ("Jo Smith", None)
    [event] = audit_events(action="user.updated", via="web")
    assert event.detail == {"username": "jsmith", "fields": ["display_name", "email"]}
    bad = post_form(client, "/admin/users/jsmith", page, {"display_name": "", "webhook_url": "ftp://x"})
    assert bad.status_code == 400 and 'href="#display_name"' in bad.text and 'href="#webhook_url"' in bad.text


def test_deactivating_asks_first_then_stops_the_token_and_the_open_session_and_tells_the_duty_team(
    app: FastAPI, client: TestClient, case: Case, world: World
) -> None:
    with TestClient(app) as theirs:
        sign_in(theirs, "jo.smith@example.org")
        assert theirs.get("/my-work").status_code == 200
        _admin(client, world)
        ask = client.get("/admin/users/jsmith/deactivate")
        assert ask.status_code == 200 and "1 live API token is revoked" in ask.text
        assert _me(client, case.social_worker.token) == 200  # asking changed nothing
        forged = client.post("/admin/users/jsmith/deactivate", data={"csrf": "x"}, follow_redirects=False)
        assert forged.status_code == 403 and _me(client, case.social_worker.token) == 200  # CSRF
        done = post_form(client, "/admin/users/jsmith/deactivate", ask)
        assert done.status_code == 200, done.text
        assert '<dd class="nhsuk-summary-list__value" id="tokens-revoked">1</dd>' in done.text
        assert '<dd class="nhsuk-summary-list__value" id="young-people-affected">1</dd>' in done.text
        assert _me(client, case.social_worker.token) == 401
        refused = theirs.get("/my-work", follow_redirects=False)
        assert refused.status_code == 303 and refused.headers["location"].startswith("/sign-in")
    [event] = audit_events(action="user.deactivated", via="web")
    assert event.actor_username == "root" and event.detail["username"] == "jsmith"  # type: ignore[index]
    assert "Deactivated" in client.get("/admin/users/jsmith").text
    again = post_form(client, "/admin/users/jsmith/deactivate", ask)
    assert again.status_code == 409
    assert client.get("/admin/users/jsmith/deactivate").status_code == 409  # nothing left to confirm


def test_reactivating_shows_a_new_token_and_link_code_once(
    client: TestClient, case: Case, world: World
) -> None:
    _admin(client, world)
    page = client.get("/admin/users/jsmith/deactivate")
    post_form(client, "/admin/users/jsmith/deactivate", page)
    back = post_form(client, "/admin/users/jsmith/reactivate", client.get("/admin/users/jsmith"))
    assert back.status_code == 200 and back.headers["cache-control"] == "no-store"
    token = TOKEN.search(back.text).group(1)  # type: ignore[union-attr]
    assert LINK_CODE.search(back.text)
    assert _me(client, token) == 200 and _me(client, case.social_worker.token) == 401  # the old stays dead
    assert len(audit_events(action="user.reactivated", via="web")) == 1


def test_the_admin_issues_a_token_and_a_link_code_and_revokes_a_token(
    client: TestClient, case: Case, world: World
) -> None:
    _admin(client, world)
    page = client.get("/admin/users/jsmith")
    issued = post_form(client, "/admin/users/jsmith/tokens", page)
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    token = TOKEN.search(issued.text).group(1)  # type: ignore[union-attr]
    assert LINK_CODE.search(issued.text) is None and _me(client, token) == 200
    coded = post_form(client, "/admin/users/jsmith/link-code", page)
    code = LINK_CODE.search(coded.text).group(1)  # type: ignore[union-attr]
    linked = client.post(
        "/api/v1/telegram/link",
        json={"code": code},
        headers=bot(4242),
    )
    assert linked.status_code == 200, linked.text
    assert [e.detail for e in audit_events(action="telegram.link_code_issued", via="web")] == [
        {"username": "jsmith"}
    ]
    listed = client.get("/admin/users/jsmith")
    first = re.findall(r'action="/admin/users/jsmith/tokens/(\d+)/revoke"', listed.text)
    assert len(first) == 2  # the one made with the account, and the new one
    revoked = post_form(client, f"/admin/users/jsmith/tokens/{first[-1]}/revoke", listed)
    assert revoked.status_code == 303
    assert _me(client, case.social_worker.token) == 401 and _me(client, token) == 200
    assert f"Token {first[-1]} revoked" in client.get(revoked.headers["location"]).text
    assert [e.detail["token_id"] for e in audit_events(action="token.revoked", via="web")] == [  # type: ignore[index]
        int(first[-1])
    ]


def test_the_admin_lists_adds_and_marks_teams(client: TestClient, case: Case, world: World) -> None:
    _admin(client, world)
    page = client.get("/admin/teams")
    assert page.status_code == 200 and "CEC-CSC" in page.text
    team = {"code": "CEC-EDT", "name": "Emergency duty", "agency": "emergency_duty", "la_code": "CEC"}
    added = post_form(client, "/admin/teams", page, {**team, "is_out_of_hours": "yes"})
    assert added.status_code == 303 and "Team CEC-EDT added" in client.get(added.headers["location"]).text
    again = post_form(client, "/admin/teams", page, team)
    assert again.status_code == 409 and "already exists" in again.text
    bad = post_form(
        client, "/admin/teams", page, {**team, "code": "X-1", "la_code": "", "is_out_of_hours": "y"}
    )
    assert bad.status_code == 400 and 'href="#la_code"' in bad.text
    marked = post_form(client, "/admin/teams/CEC-CSC/roles", page, {"is_duty": "yes"})
    assert marked.status_code == 303
    with session_scope() as session:
        assert staff.get_team(session, code="CEC-CSC").is_duty
        assert staff.get_team(session, code="CEC-EDT").is_out_of_hours
    [event] = audit_events(action="team.updated", via="web")
    assert event.detail == {"team": "CEC-CSC", "is_duty": True}
    unmarked = post_form(client, "/admin/teams/CEC-CSC/roles", page, {})
    assert unmarked.status_code == 303
    with session_scope() as session:
        assert not staff.get_team(session, code="CEC-CSC").is_duty
    assert [e.detail for e in audit_events(action="team.created", via="web")] == [{"team": "CEC-EDT"}]
