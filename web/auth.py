"""Sign in with an emailed link, and sign out. A request for an unknown address is answered exactly as
one for a known address; requests are rate-limited per address and per client (the `limits` library, in
Redis, as the Telegram budget is). Opening a link shows a button: a GET never uses it up (mail scanners
prefetch links); pressing it starts a server-side session."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy.orm import Session

from schemas.enums import Via
from schemas.settings import get_settings
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.redis_conn import get_redis
from services.kernel.security import digest
from services.notifications.dispatch import QUEUE
from services.staff import service as staff
from services.staff import web_sign_in
from services.staff.models import User
from web.deps import SESSION_COOKIE, CsrfChecked, OptionalWebSession, SessionDep, client_address
from web.templating import render, secure_cookies

router = APIRouter(include_in_schema=False)
SEND_LINK = "worker.sign_in.send_link"
LIMIT_PREFIX = "liaison:web-sign-in"


def safe_next(value: str | None) -> str:
    """Only a path on this site (never `//elsewhere` or a full URL): an open redirect is refused."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/my-work"


def _allowed(email: str, client: str) -> bool:
    """Within both budgets (each request takes one from each); if Redis cannot be asked, refused."""
    settings = get_settings()
    try:
        storage = RedisStorage(
            "redis://", connection_pool=get_redis().connection_pool, key_prefix=LIMIT_PREFIX
        )
        limiter = MovingWindowRateLimiter(storage)
        per_address = limiter.hit(parse(settings.sign_in_per_address), "address", digest(email.lower()))
        per_client = limiter.hit(parse(settings.sign_in_per_client), "client", client)
    except RedisError:
        return False
    return per_address and per_client


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    settings = get_settings()
    sso = settings.oidc_label if settings.oidc_enabled() else None
    return render(request, "sign_in.html", {"next": safe_next(next), "sso": sso})


@router.post("/sign-in", response_class=HTMLResponse, dependencies=[CsrfChecked])
def ask_for_link(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    email = email.strip()
    if "@" not in email:
        return render(
            request,
            "sign_in.html",
            {"next": safe_next(next), "error": "Enter your work email address"},
            status_code=400,
        )
    if not _allowed(email, client_address(request)):
        return render(request, "sign_in_limited.html", status_code=429)
    user = web_sign_in.user_by_email(session, email=email)
    if user is not None and user.email:
        settings = get_settings()
        token = web_sign_in.issue_link(
            session,
            user=user,
            key=settings.secret_key.get_secret_value(),
            now=utcnow(),
            life=timedelta(minutes=settings.sign_in_link_minutes),
        )
        link = (
            f"{settings.public_base_url.rstrip('/')}/sign-in/{token}?next={quote(safe_next(next), safe='/')}"
        )
        Queue(QUEUE, connection=get_redis()).enqueue(
            SEND_LINK,
            user.email,
            link,
            settings.sign_in_link_minutes,
            job_timeout=60,
            result_ttl=0,
            description="send a web sign-in link",  # not the default, which quotes the link into logs
        )
        audit.record(session, actor=staff.principal_of(user), action="web.sign_in_link", via=Via.web)
    return render(request, "sign_in_sent.html", {"minutes": get_settings().sign_in_link_minutes})


@router.get("/sign-in/{token}", response_class=HTMLResponse)
def open_link(
    request: Request, token: str, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    return render(request, "sign_in_confirm.html", {"token": token, "next": safe_next(next)})


@router.post("/sign-in/{token}", dependencies=[CsrfChecked])
def use_link(
    request: Request, token: str, session: SessionDep, next: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    now = utcnow()
    key = get_settings().secret_key.get_secret_value()
    redeemed = web_sign_in.redeem_link(session, token=token[:200], key=key, now=now)
    if redeemed.user is None:
        return render(request, "sign_in_refused.html", {"why": redeemed.why}, status_code=400)
    return begin_session(session, redeemed.user, next_path=next, method="email_link")


def begin_session(session: Session, user: User, *, next_path: str, method: str) -> Response:
    """Start a server-side session for `user` (an emailed link, or single sign-on) and go on to the page."""
    secret = web_sign_in.start_session(session, user=user, now=utcnow())
    principal = dataclasses.replace(staff.principal_of(user), via=Via.web)
    audit.record(session, actor=principal, action="web.sign_in", via=Via.web, detail={"method": method})
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(),
        path="/",
        max_age=get_settings().web_session_max_hours * 3600,
    )
    return response


@router.post("/sign-out", dependencies=[CsrfChecked])
def sign_out(request: Request, session: SessionDep, found: OptionalWebSession) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        web_sign_in.end_session(session, secret=secret, now=utcnow())
    if found is not None:
        audit.record(session, actor=staff.principal_of(found.user), action="web.sign_out", via=Via.web)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
