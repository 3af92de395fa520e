"""Driving the web front end with a TestClient (the browser tests drive a real browser: tests/browser)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response

from schemas.settings import get_settings
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.staff import web_sign_in

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
LINK = re.compile(r"(https?://\S+/sign-in/\S+)")
ACK_LINK = re.compile(r"(https?://\S+/alerts/acknowledge/\S+)")


def csrf_of(page: Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def post_form(client: TestClient, path: str, page: Response, data: dict[str, str] | None = None) -> Response:
    """Submit the form on `page` (its CSRF token) to `path`, as a browser without JavaScript does."""
    return client.post(path, data={"csrf": csrf_of(page), **(data or {})}, follow_redirects=False)


def link_for(email: str, *, minutes: int = 15, issued_ago: timedelta = timedelta(0)) -> str:
    """A sign-in link for the account with this address, made by the service that the email's is."""
    key = get_settings().secret_key.get_secret_value()
    with session_scope() as session:
        user = web_sign_in.user_by_email(session, email=email)
        assert user is not None
        return web_sign_in.issue_link(
            session, user=user, key=key, now=utcnow() - issued_ago, life=timedelta(minutes=minutes)
        )


def use_link(client: TestClient, token: str, next_path: str = "/my-work") -> Response:
    page = client.get(f"/sign-in/{token}?next={next_path}")
    assert page.status_code == 200, page.text
    return post_form(client, f"/sign-in/{token}", page, {"next": next_path})


def sign_in(client: TestClient, email: str) -> None:
    answer = use_link(client, link_for(email))
    assert answer.status_code == 303, answer.text
    assert "liaison_session" in client.cookies
