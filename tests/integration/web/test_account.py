"""My account: anyone signed in sees their own API tokens and revokes one (`rules.may_manage_tokens`, the
API's rule and command), via=web; nobody reaches another's tokens from it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from services.kernel.db import session_scope
from services.staff import service as staff
from services.staff import tokens
from tests.integration.conftest import Case, audit_events
from tests.integration.web.helpers import post_form, sign_in

REVOKE = re.compile(r'action="/account/tokens/(\d+)/revoke"')


def _token_ids(username: str) -> list[int]:
    with session_scope() as session:
        user = staff.get_user(session, username=username)
        assert user is not None
        return [t.id for t in tokens.of(session, user=user)]


def test_a_user_sees_and_revokes_their_own_token(client: TestClient, case: Case) -> None:
    sign_in(client, "jo.smith@example.org")
    page = client.get("/account")
    assert page.status_code == 200 and "jo.smith@example.org" in page.text
    assert [int(i) for i in REVOKE.findall(page.text)] == _token_ids("jsmith")
    [mine] = _token_ids("jsmith")
    headers = case.social_worker.headers
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    done = post_form(client, f"/account/tokens/{mine}/revoke", page)
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert f"Token {mine} revoked" in after.text and REVOKE.search(after.text) is None
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    [event] = audit_events(action="token.revoked", via="web")
    assert (event.actor_username, event.detail["token_id"]) == ("jsmith", mine)  # type: ignore[index]
    assert [e.via for e in audit_events(action="token.list", actor_username="jsmith")] == ["web", "web"]


def test_another_user_s_token_cannot_be_revoked_from_my_account(client: TestClient, case: Case) -> None:
    sign_in(client, "jo.smith@example.org")
    [theirs] = _token_ids("lead")
    answer = post_form(client, f"/account/tokens/{theirs}/revoke", client.get("/account"))
    assert answer.status_code == 404
    assert client.get("/api/v1/me", headers=case.lead.headers).status_code == 200
    assert audit_events(action="token.revoked") == []
