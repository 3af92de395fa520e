"""The system administrator's pages for accounts (issue 8.5): list, add, edit, deactivate, reactivate, and
issue a user a new API token or Telegram link code. The same guard (`services.staff.guards`), commands
(`services.staff.service`, `services.staff.tokens`, `services.flows.leavers.deactivate`) and audit as the
API's `/api/v1/users`, via=web; every other role gets a 403 page, audited. A token or link code is shown
once, on the answer to the form that made it (never stored, never emailed, never cached)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from schemas.api.staff import TeamRead, TokenCreate, UserCreate, UserRead, UserUpdate
from schemas.enums import Role
from schemas.settings import get_settings
from services.flows import leavers
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.errors import Conflict, Invalid, NotFound
from services.kernel.identity import Principal
from services.staff import guards, tokens, views
from services.staff import service as staff
from services.staff.models import User
from web.deps import CsrfChecked, SessionDep, WebPrincipal
from web.forms import field_errors
from web.templating import render

router = APIRouter(prefix="/admin/users", include_in_schema=False)
Username = Annotated[str, Path(min_length=1, max_length=64)]
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=500)]
NO_STORE = {"Cache-Control": "no-store"}
LABELS = {
    "username": "Username",
    "display_name": "Name",
    "role": "Role",
    "team_code": "Team",
    "email": "Work email address",
    "webhook_url": "Webhook URL",
}


def _user(session: SessionDep, principal: Principal, username: str, action: str) -> User:
    """The admin check first (nothing is said about who exists to anyone else), then the user."""
    guards.require_admin(session, actor=principal, action=action, username=username)
    return guards.user_named(session, username=username)


def _teams(session: SessionDep) -> list[TeamRead]:
    return [TeamRead.model_validate(t) for t in views.teams(session)]


def _shown_once(
    request: Request, user: UserRead, heading: str, *, token: str | None = None, link_code: str | None = None
) -> Response:
    page = render(
        request,
        "admin_secrets.html",
        {"shown": user, "heading": heading, "token": token, "link_code": link_code},
    )
    page.headers.update(NO_STORE)
    return page


@router.get("", response_class=HTMLResponse)
def users_page(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    team: Annotated[str, Query(max_length=64)] = "",
    active: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    guards.require_admin(session, actor=principal, action="user.list")
    only = {"active": True, "deactivated": False}.get(active)
    found = [staff.to_read(u) for u in views.users(session, team=team or None, active=only)]
    audit.record(session, actor=principal, action="user.list", via=principal.via)
    context = {"users": found, "teams": _teams(session), "team": team, "active": active}
    return render(request, "admin_users.html", context)


def _new_form(
    request: Request,
    session: SessionDep,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "values": values,
        "errors": errors,
        "labels": LABELS,
        "roles": list(Role),
        "teams": _teams(session),
    }
    return render(request, "admin_user_new.html", context, status_code=status_code)


@router.get("/new", response_class=HTMLResponse)
def new_user_page(request: Request, session: SessionDep, principal: WebPrincipal) -> Response:
    guards.require_admin(session, actor=principal, action="user.created")
    return _new_form(request, session, {}, {})


@router.post("/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def add_user(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    username: Text = "",
    display_name: Text = "",
    role: Text = "",
    team_code: Text = "",
    email: Text = "",
    webhook_url: Text = "",
) -> Response:
    values = {
        "username": username.strip(),
        "display_name": display_name.strip(),
        "role": role,
        "team_code": team_code,
        "email": email.strip(),
        "webhook_url": webhook_url.strip(),
    }
    guards.require_admin(session, actor=principal, action="user.created", username=values["username"])
    try:
        data = UserCreate.model_validate({k: v or None for k, v in values.items()})
    except ValidationError as exc:
        return _new_form(request, session, values, field_errors(exc), status_code=400)
    try:
        created = staff.create_user(
            session,
            data=data,
            actor=principal,
            via=principal.via,
            link_code_ttl_hours=get_settings().link_code_ttl_hours,
        )
    except Conflict as exc:
        return _new_form(request, session, values, {"username": exc.detail}, status_code=409)
    except NotFound as exc:
        return _new_form(request, session, values, {"team_code": exc.detail}, status_code=400)
    user = staff.to_read(created.user)
    return _shown_once(request, user, "User added", token=created.token, link_code=created.link_code)


def _user_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    now = utcnow()
    owned = [tokens.to_read(t, now=now) for t in tokens.of(session, user=user)]
    audit.record(
        session, actor=principal, action="token.list", via=principal.via, detail={"username": user.username}
    )
    shown = staff.to_read(user)
    context = {
        "shown": shown,
        "tokens": owned,
        "values": values or shown.model_dump(),
        "errors": errors or {},
        "labels": LABELS,
        "updated": request.query_params.get("updated"),
        "revoked": request.query_params.get("revoked"),
    }
    return render(request, "admin_user.html", context, status_code=status_code)


@router.get("/{username}", response_class=HTMLResponse)
def user_page(request: Request, username: Username, session: SessionDep, principal: WebPrincipal) -> Response:
    return _user_page(request, session, principal, _user(session, principal, username, "user.read"))


@router.post("/{username}", response_class=HTMLResponse, dependencies=[CsrfChecked])
def edit_user(
    request: Request,
    username: Username,
    session: SessionDep,
    principal: WebPrincipal,
    display_name: Text = "",
    email: Text = "",
    webhook_url: Text = "",
) -> Response:
    """Change the name and how they are reached: an empty email or webhook clears that channel."""
    user = _user(session, principal, username, "user.updated")
    values = {
        "display_name": display_name.strip(),
        "email": email.strip(),
        "webhook_url": webhook_url.strip(),
    }
    try:
        data = UserUpdate.model_validate(values)
    except ValidationError as exc:
        errors = field_errors(exc)
        return _user_page(request, session, principal, user, values=values, errors=errors, status_code=400)
    staff.update_user(session, user=user, data=data, actor=principal, via=principal.via)
    return RedirectResponse(f"/admin/users/{username}?updated=1", status_code=303)


@router.get("/{username}/deactivate", response_class=HTMLResponse)
def deactivate_page(
    request: Request, username: Username, session: SessionDep, principal: WebPrincipal
) -> Response:
    """What deactivating will do, and a button to do it: nothing changes on a GET."""
    user = _user(session, principal, username, "user.deactivated")
    if not user.active:
        raise Conflict(f"{user.username} is already deactivated")
    live = sum(1 for t in tokens.of(session, user=user) if t.revoked_at is None and t.expires_at > utcnow())
    return render(request, "admin_deactivate.html", {"shown": staff.to_read(user), "live_tokens": live})


@router.post("/{username}/deactivate", response_class=HTMLResponse, dependencies=[CsrfChecked])
def deactivate(
    request: Request, username: Username, session: SessionDep, principal: WebPrincipal
) -> Response:
    user = _user(session, principal, username, "user.deactivated")
    done = leavers.deactivate(session, user=user, actor=principal, via=principal.via)
    return render(request, "admin_deactivated.html", {"done": done, "shown": staff.to_read(user)})


@router.post("/{username}/reactivate", response_class=HTMLResponse, dependencies=[CsrfChecked])
def reactivate(
    request: Request, username: Username, session: SessionDep, principal: WebPrincipal
) -> Response:
    user = _user(session, principal, username, "user.reactivated")
    back = staff.reactivate_user(
        session,
        user=user,
        actor=principal,
        via=principal.via,
        link_code_ttl_hours=get_settings().link_code_ttl_hours,
    )
    shown = staff.to_read(back.user)
    return _shown_once(request, shown, "User reactivated", token=back.token, link_code=back.link_code)


@router.post("/{username}/tokens", response_class=HTMLResponse, dependencies=[CsrfChecked])
def issue_token(
    request: Request,
    username: Username,
    session: SessionDep,
    principal: WebPrincipal,
    name: Annotated[str, Form(max_length=64)] = "personal",
) -> Response:
    _user(session, principal, username, "token.issued")
    user = guards.token_owner(session, actor=principal, username=username, action="token.issued")
    try:
        body = TokenCreate.model_validate({"name": name.strip() or "personal"})
    except ValidationError as exc:
        raise Invalid("; ".join(f"{k}: {v}" for k, v in field_errors(exc).items())) from None
    _, secret = tokens.issue(session, user=user, actor=principal, via=principal.via, name=body.name)
    return _shown_once(request, staff.to_read(user), "New API token", token=secret)


@router.post("/{username}/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_token(
    username: Username, token_id: TokenId, session: SessionDep, principal: WebPrincipal
) -> Response:
    _user(session, principal, username, "token.revoked")
    user = guards.token_owner(session, actor=principal, username=username, action="token.revoked")
    tokens.revoke(session, user=user, actor=principal, via=principal.via, token_id=token_id)
    return RedirectResponse(f"/admin/users/{username}?revoked={token_id}", status_code=303)


@router.post("/{username}/link-code", response_class=HTMLResponse, dependencies=[CsrfChecked])
def new_link_code(
    request: Request, username: Username, session: SessionDep, principal: WebPrincipal
) -> Response:
    user = _user(session, principal, username, "telegram.link_code_issued")
    code = staff.new_link_code_for(
        session, user=user, actor=principal, via=principal.via, ttl_hours=get_settings().link_code_ttl_hours
    )
    return _shown_once(request, staff.to_read(user), "New Telegram link code", link_code=code)
