"""Signing in to the web front end with an emailed link: single use, short-lived, signed; an unknown
address answered as a known one; rate-limited; sessions that time out, end at sign-out and stop at once
for a deactivated user; CSRF on every form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.staff.models import User, WebSession
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, Mailbox, audit_events, run_worker
from tests.integration.web.helpers import LINK, csrf_of, link_for, post_form, sign_in, use_link

EMAIL = "jo.smith@example.org"


def ask(client: TestClient, email: str) -> str:
    page = client.get("/sign-in")
    answer = post_form(client, "/sign-in", page, {"email": email, "next": "/caseload"})
    assert answer.status_code == 200, answer.text
    return answer.text


def test_an_emailed_link_signs_in_once_and_a_get_never_uses_it(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    assert client.get("/my-work", follow_redirects=False).headers["location"] == "/sign-in?next=/my-work"
    ask(client, EMAIL.upper())
    run_worker()
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == EMAIL and "sign-in" in mail["Subject"]
    link = LINK.search(mail.get_payload(decode=True).decode()).group(1)  # type: ignore[union-attr]
    path = link.split("://", 1)[1].split("/", 1)[1]
    token = path.split("/")[1].split("?")[0]
    assert client.get(f"/{path}").status_code == 200  # a mail scanner's prefetch
    assert client.get(f"/{path}").status_code == 200

    signed = use_link(client, token, "/caseload")
    assert signed.status_code == 303 and signed.headers["location"] == "/caseload"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # development
    assert client.get("/my-work").status_code == 200
    assert [e.via for e in audit_events(action="web.sign_in")] == ["web"]

    client.cookies.clear()
    again = use_link(client, token)
    assert again.status_code == 400 and "already been used" in again.text
    assert client.get("/my-work", follow_redirects=False).status_code == 303


def test_an_unknown_address_is_answered_exactly_as_a_known_one(
    client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    known = ask(client, EMAIL)
    unknown = ask(client, "nobody@example.org")
    assert known == unknown
    run_worker()
    assert len(mailbox.wait_for(2, timeout=0.5)) == 1


def test_expired_and_tampered_links_are_refused_with_a_clear_page(client: TestClient, case: Case) -> None:
    expired = use_link(client, link_for(EMAIL, minutes=15, issued_ago=timedelta(minutes=16)))
    assert expired.status_code == 400 and "It has expired" in expired.text
    good = link_for(EMAIL)
    secret, _, signature = good.partition(".")
    forged = use_link(client, f"{secret}.{'0' * len(signature)}")
    assert forged.status_code == 400 and "not a valid sign-in link" in forged.text
    assert use_link(client, good).status_code == 303  # the forgery did not use the real one up


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, case: Case, mailbox: Mailbox) -> None:
    token = link_for(EMAIL)
    client.get(f"/sign-in/{token}")
    refused = client.post(f"/sign-in/{token}", data={"csrf": "x" * 40}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.post("/sign-in", data={"email": EMAIL}).status_code == 403
    run_worker()
    assert mailbox.wait_for(1, timeout=0.3) == []
    sign_in(client, EMAIL)
    page = client.get("/my-work")
    assert client.post("/sign-out", data={"csrf": "wrong"}, follow_redirects=False).status_code == 403
    assert post_form(client, "/sign-out", page).status_code == 303


def test_sign_in_requests_are_rate_limited_per_address(
    client: TestClient, case: Case, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGN_IN_PER_ADDRESS", "2/hour")
    _reset_settings()
    ask(client, EMAIL)
    ask(client, EMAIL)
    page = client.get("/sign-in")
    limited = post_form(client, "/sign-in", page, {"email": EMAIL})
    assert limited.status_code == 429 and "Too many" in limited.text
    unknown = post_form(client, "/sign-in", page, {"email": "nobody@example.org"})
    assert unknown.status_code == 200  # another address has its own budget
    limited_unknown = [post_form(client, "/sign-in", page, {"email": "nobody@example.org"}) for _ in range(2)]
    assert limited_unknown[-1].status_code == 429  # and is limited the same way


def test_sign_in_requests_are_rate_limited_per_client(
    client: TestClient, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGN_IN_PER_CLIENT", "3/hour")
    _reset_settings()
    page = client.get("/sign-in")
    answers = [
        post_form(client, "/sign-in", page, {"email": f"a{i}@example.org"}).status_code for i in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def _age_session(*, idle: timedelta = timedelta(0), age: timedelta = timedelta(0)) -> None:
    now = utcnow()
    with session_scope() as session:
        session.execute(update(WebSession).values(last_seen_at=now - idle, created_at=now - age))


def test_a_session_ends_after_the_idle_and_the_absolute_timeout(client: TestClient, case: Case) -> None:
    sign_in(client, EMAIL)
    _age_session(idle=timedelta(minutes=29), age=timedelta(hours=11))
    assert client.get("/my-work").status_code == 200  # and the use counts: idle starts again
    _age_session(idle=timedelta(minutes=31))
    assert client.get("/my-work", follow_redirects=False).status_code == 303
    assert client.get("/my-work", follow_redirects=False).status_code == 303  # ended, not only refused
    client.cookies.clear()
    sign_in(client, EMAIL)
    _age_session(idle=timedelta(minutes=1), age=timedelta(hours=12, minutes=1))
    assert client.get("/my-work", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_at_once(client: TestClient, case: Case) -> None:
    sign_in(client, EMAIL)
    cookie = client.cookies["liaison_session"]
    out = post_form(client, "/sign-out", client.get("/my-work"))
    assert out.status_code == 303
    client.cookies.set("liaison_session", cookie)
    assert client.get("/my-work", follow_redirects=False).status_code == 303
    assert [e.action for e in audit_events(actor_username="jsmith", via="web")][-1] == "web.sign_out"


def test_a_deactivated_user_s_session_and_links_stop_at_once(client: TestClient, case: Case) -> None:
    sign_in(client, EMAIL)
    unused = link_for(EMAIL)
    with session_scope() as session:
        session.execute(update(User).where(User.username == "jsmith").values(active=False))
    assert client.get("/my-work", follow_redirects=False).status_code == 303
    client.cookies.clear()
    refused = use_link(client, unused)
    assert refused.status_code == 400 and "cannot sign in" in refused.text
    assert csrf_of(client.get("/sign-in"))


def test_in_production_the_cookies_are_secure(
    app: FastAPI, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.templating
    from schemas.settings import get_settings

    production = get_settings().model_copy(update={"liaison_env": "production"})
    monkeypatch.setattr(web.templating, "get_settings", lambda: production)
    client = TestClient(app, base_url="https://testserver")  # a browser sends Secure cookies over https only
    page = client.get("/sign-in")
    assert "Secure" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    token = link_for(EMAIL)
    confirm = client.get(f"/sign-in/{token}")
    signed = client.post(f"/sign-in/{token}", data={"csrf": csrf_of(confirm)}, follow_redirects=False)
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("liaison_session=") and "Secure" in cookie and "HttpOnly" in cookie
