"""Single sign-on through OpenID Connect (NHS CIS2, Entra ID): the authorization code flow, off unless
OIDC_DISCOVERY_URL and OIDC_CLIENT_ID are set. authlib builds the authorization request and its random
state and nonce; joserfc checks the ID token (signature against the provider's JWKS, issuer, audience,
expiry, nonce). The verified email claim finds an active user, who gets the same server-side session as an
emailed link gives. The state, nonce and next page wait in a short-lived signed cookie."""

from __future__ import annotations

import hmac
from functools import lru_cache
from typing import Annotated, Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from schemas.settings import Settings, get_settings
from services.kernel.errors import NotFound
from services.kernel.security import sign
from services.staff import web_sign_in
from web.auth import begin_session, safe_next
from web.deps import SessionDep
from web.templating import render, secure_cookies

router = APIRouter(include_in_schema=False)
STATE_COOKIE = "liaison_oidc"
CALLBACK = "/sign-in/oidc/callback"
TIMEOUT = 10.0


class Refused(Exception):
    """The provider's answer does not sign anyone in; `why` is for the log-free page."""


@lru_cache(maxsize=4)
def _provider(discovery_url: str) -> dict[str, Any]:
    answer = httpx.get(discovery_url, timeout=TIMEOUT)
    answer.raise_for_status()
    return dict(answer.json())


def _configured() -> Settings:
    settings = get_settings()
    if not settings.oidc_enabled():
        raise NotFound("single sign-on is not set up here")
    return settings


def _callback_url(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + CALLBACK


def _seal(key: str, value: str) -> str:
    return f"{value}|{sign(key, 'oidc:' + value)}"


def _unseal(key: str, sealed: str) -> str | None:
    value, _, signature = sealed.rpartition("|")
    return value if value and hmac.compare_digest(sign(key, "oidc:" + value), signature) else None


@router.get("/sign-in/oidc")
def start(next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    settings = _configured()
    assert settings.oidc_discovery_url and settings.oidc_client_id
    provider = _provider(settings.oidc_discovery_url)
    state, nonce = generate_token(32), generate_token(32)
    uri = prepare_grant_uri(
        provider["authorization_endpoint"],
        settings.oidc_client_id,
        "code",
        redirect_uri=_callback_url(settings),
        scope=settings.oidc_scopes,
        state=state,
        nonce=nonce,
    )
    response = RedirectResponse(uri, status_code=303)
    sealed = _seal(settings.secret_key.get_secret_value(), f"{state} {nonce} {safe_next(next)}")
    response.set_cookie(
        STATE_COOKIE,
        sealed,
        max_age=600,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(),
        path="/sign-in/oidc",
    )
    return response


def _email(settings: Settings, code: str, nonce: str) -> str:
    """Redeem the code; check the ID token; its verified email address."""
    assert settings.oidc_discovery_url and settings.oidc_client_id
    provider = _provider(settings.oidc_discovery_url)
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
    try:
        tokens = httpx.post(
            provider["token_endpoint"],
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": _callback_url(settings)},
            auth=(settings.oidc_client_id, secret),
            timeout=TIMEOUT,
        )
        tokens.raise_for_status()
        keys = KeySet.import_key_set(httpx.get(provider["jwks_uri"], timeout=TIMEOUT).json())
        token = jwt.decode(tokens.json()["id_token"], keys)
        JWTClaimsRegistry(
            iss={"essential": True, "value": provider["issuer"]},
            aud={"essential": True, "value": settings.oidc_client_id},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (httpx.HTTPError, KeyError, ValueError, JoseError) as exc:
        raise Refused("the provider's answer could not be checked") from exc
    email = token.claims.get(settings.oidc_email_claim)
    if not isinstance(email, str) or token.claims.get("email_verified") is False:
        raise Refused("the provider did not give a verified email address")
    return email


@router.get(CALLBACK)
def callback(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    settings = _configured()
    opened = _unseal(settings.secret_key.get_secret_value(), request.cookies.get(STATE_COOKIE, ""))
    parts = opened.split(" ", 2) if opened else []
    if len(parts) != 3 or not code or not hmac.compare_digest(parts[0], state):
        return render(request, "sign_in_refused.html", {"why": "sso"}, status_code=400)
    _, nonce, next_path = parts
    try:
        email = _email(settings, code, nonce)
    except Refused:
        return render(request, "sign_in_refused.html", {"why": "sso"}, status_code=400)
    user = web_sign_in.user_by_email(session, email=email)
    if user is None:
        return render(request, "sign_in_refused.html", {"why": "sso_unknown"}, status_code=403)
    response = begin_session(session, user, next_path=next_path, method="oidc")
    response.delete_cookie(STATE_COOKIE, path="/sign-in/oidc")
    return response
