"""The web front end's dependencies: the unit of work, the signed-in user, CSRF, the client's address."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Form, Request
from sqlalchemy.orm import Session

from schemas.enums import Via
from schemas.settings import get_settings
from services.kernel.clock import utcnow
from services.kernel.db import session_factory, unit_of_work
from services.kernel.identity import Principal
from services.kernel.security import sign
from services.staff import service as staff
from services.staff import web_sign_in
from services.staff.models import WebSession

SESSION_COOKIE = "liaison_session"
CSRF_COOKIE = "liaison_csrf"


class SignInNeeded(Exception):
    """The page needs a signed-in user: answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(Exception):
    """A POST without this browser's CSRF token: answered 403 with a page saying so."""


def get_session() -> Iterator[Session]:
    """One unit of work a request, committed before the answer is sent (as `services.api.deps`)."""
    with unit_of_work(session_factory()()) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _key() -> str:
    return get_settings().secret_key.get_secret_value()


def web_session(request: Request, session: SessionDep) -> WebSession | None:
    """The live server-side session the cookie opens (its use recorded), or None."""
    if getattr(request.state, "web_session_loaded", False):  # once a request (a dependency of several)
        found: WebSession | None = request.state.web_session
        return found
    secret = request.cookies.get(SESSION_COOKIE)
    settings = get_settings()
    found = None
    if secret:
        found = web_sign_in.live_session(
            session,
            secret=secret,
            now=utcnow(),
            idle=timedelta(minutes=settings.web_session_idle_minutes),
            absolute=timedelta(hours=settings.web_session_max_hours),
        )
    request.state.web_session = found
    request.state.web_session_loaded = True
    # Plain copies for the page's frame: an error page is drawn after the unit of work has closed.
    request.state.web_user = (
        {"username": found.user.username, "display_name": found.user.display_name, "role": found.user.role}
        if found
        else None
    )
    request.state.session_csrf = found.csrf_token if found else None
    return found


OptionalWebSession = Annotated[WebSession | None, Depends(web_session)]


def signed_in(request: Request, found: OptionalWebSession) -> Principal:
    """The signed-in user as a Principal acting through the web (`via=web`), or a redirect to sign in."""
    if found is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(path)
    return dataclasses.replace(staff.principal_of(found.user), via=Via.web)


WebPrincipal = Annotated[Principal, Depends(signed_in)]


def csrf_token(request: Request) -> str:
    """The token this browser's forms carry: bound to the signed-in session, else to a random cookie
    (set on the answer by `web.templating.render` when the browser has none)."""
    session_csrf: str | None = getattr(request.state, "session_csrf", None)
    if session_csrf is not None:
        basis = "session:" + session_csrf
    else:
        anonymous = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_cookie", None)
        if anonymous is None:
            anonymous = secrets.token_urlsafe(24)
            request.state.new_csrf_cookie = anonymous
        basis = "browser:" + anonymous
    return sign(_key(), "csrf:" + basis)[:40]


def check_csrf(
    request: Request, _found: OptionalWebSession, csrf: Annotated[str, Form(max_length=100)] = ""
) -> None:
    """Every POST form carries the CSRF token of the browser it was shown to."""
    if not csrf or not secrets.compare_digest(csrf, csrf_token(request)):
        raise CsrfRefused()


CsrfChecked = Depends(check_csrf)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
