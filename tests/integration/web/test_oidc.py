"""Single sign-on through OpenID Connect against a real provider on a loopback port: off by default; on,
the verified email of a checked ID token signs an active user in with a server-side session; a wrong
state, a token for another audience or nonce, and an unknown address are refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import _reset_settings
from tests.integration.conftest import Case, audit_events
from tests.integration.web.oidc_provider import Provider
from web import oidc

SECRET = "oidc-client-secret-for-this-test-0123456789"  # noqa: S105


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    with Provider(client_id="liaison", client_secret=SECRET) as running:
        monkeypatch.setenv("OIDC_DISCOVERY_URL", f"{running.issuer}/.well-known/openid-configuration")
        monkeypatch.setenv("OIDC_CLIENT_ID", "liaison")
        monkeypatch.setenv("OIDC_CLIENT_SECRET", SECRET)
        monkeypatch.setenv("OIDC_LABEL", "NHS CIS2")
        _reset_settings()
        oidc._provider.cache_clear()
        yield running
    oidc._provider.cache_clear()


def _round_trip(client: TestClient, next_path: str = "/caseload") -> httpx.Response:
    """The browser's trip: liaison → the provider's authorize endpoint → back to liaison's callback."""
    started = client.get(f"/sign-in/oidc?next={next_path}", follow_redirects=False)
    assert started.status_code == 303
    at_provider = httpx.get(started.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302
    back = at_provider.headers["location"].split("://", 1)[1].split("/", 1)[1]
    return client.get("/" + back, follow_redirects=False)


def test_single_sign_on_is_off_by_default(client: TestClient, case: Case) -> None:
    assert "Sign in with" not in client.get("/sign-in").text
    assert client.get("/sign-in/oidc", follow_redirects=False).status_code == 404
    assert client.get("/sign-in/oidc/callback?code=x&state=y").status_code == 404


def test_a_verified_email_signs_an_active_user_in(client: TestClient, case: Case, provider: Provider) -> None:
    assert "Sign in with NHS CIS2" in client.get("/sign-in").text
    provider.login_as = {"email": "Jo.Smith@example.org", "email_verified": True}
    signed = _round_trip(client)
    assert signed.status_code == 303 and signed.headers["location"] == "/caseload", signed.text
    assert "HttpOnly" in signed.headers["set-cookie"]
    assert client.get("/my-work").status_code == 200
    [event] = audit_events(action="web.sign_in")
    assert (event.actor_username, event.via, event.detail) == ("jsmith", "web", {"method": "oidc"})


@pytest.mark.parametrize(
    ("login", "tamper", "status"),
    [
        ({"email": "nobody@example.org"}, {}, 403),
        ({"email": "jo.smith@example.org", "email_verified": False}, {}, 400),
        ({"email": "jo.smith@example.org"}, {"aud": "another-service"}, 400),
        ({"email": "jo.smith@example.org"}, {"nonce": "replayed"}, 400),
        ({"email": "jo.smith@example.org"}, {"iss": "http://elsewhere.example.org"}, 400),
    ],
)
def test_what_does_not_check_out_signs_nobody_in(
    client: TestClient,
    case: Case,
    provider: Provider,
    login: dict[str, object],
    tamper: dict[str, object],
    status: int,
) -> None:
    provider.login_as, provider.tamper = login, tamper
    refused = _round_trip(client)
    assert refused.status_code == status, refused.text
    assert "liaison_session" not in client.cookies
    assert audit_events(action="web.sign_in") == []


def test_a_callback_without_its_own_state_is_refused(
    client: TestClient, case: Case, provider: Provider
) -> None:
    provider.login_as = {"email": "jo.smith@example.org"}
    started = client.get("/sign-in/oidc", follow_redirects=False)
    at_provider = httpx.get(started.headers["location"], follow_redirects=False)
    back = at_provider.headers["location"].split("/", 3)[3]
    forged = back.replace("state=", "state=x")
    assert client.get("/" + forged).status_code == 400
    client.cookies.clear()  # another browser: no state cookie at all
    assert client.get("/" + back).status_code == 400
