"""HTTP layer for running the service's accounts (docs/contract.md, "Accounts"): the system administrator
lists, registers, changes, deactivates and reactivates users, and lists and registers teams. Every call is
audited; so is each refusal. Nothing here reads a young person's record: a deactivation answers counts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from schemas.api.staff import (
    TeamCreate,
    TeamRead,
    UserCreate,
    UserCreated,
    UserDeactivated,
    UserRead,
    UserUpdate,
)
from schemas.enums import Via
from schemas.settings import get_settings
from services.api.deps import CurrentPrincipal, SessionDep
from services.flows import leavers
from services.kernel.audit import service as audit
from services.kernel.errors import Forbidden
from services.kernel.identity import Principal
from services.staff import guards, views
from services.staff import service as staff
from services.staff.models import User

router = APIRouter(prefix="/api/v1", tags=["accounts"])

Username = Annotated[str, Path(min_length=1, max_length=64)]
REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "Only the system administrator runs accounts"}
}
UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "No such user"}}


def _admin(session: SessionDep, principal: Principal, action: str, **detail: str) -> None:
    guards.require_admin(session, actor=principal, action=action, **detail)


def _user(session: SessionDep, username: str) -> User:
    return guards.user_named(session, username=username)


@router.get("/users", response_model=list[UserRead], responses=REFUSED)
def list_users(
    session: SessionDep,
    principal: CurrentPrincipal,
    team: Annotated[str | None, Query(max_length=64, description="One team's code")] = None,
    active: Annotated[bool | None, Query(description="Only active (true) or deactivated (false)")] = None,
) -> list[UserRead]:
    _admin(session, principal, "user.list")
    audit.record(session, actor=principal, action="user.list", via=principal.via)
    return [staff.to_read(u) for u in views.users(session, team=team, active=active)]


@router.post(
    "/users",
    response_model=UserCreated,
    status_code=status.HTTP_201_CREATED,
    responses={**REFUSED, 404: {"description": "No team with that code"}},
)
def create_user(body: UserCreate, session: SessionDep, principal: CurrentPrincipal) -> UserCreated:
    """Register a user: the answer holds their API token and Telegram link code, shown only this once."""
    _admin(session, principal, "user.created", username=body.username)
    if principal.via == Via.bot:  # a token would sit in a Telegram chat
        raise Forbidden("accounts are not run from the bot")
    created = staff.create_user(
        session,
        data=body,
        actor=principal,
        via=principal.via,
        link_code_ttl_hours=get_settings().link_code_ttl_hours,
    )
    return UserCreated(
        **staff.to_read(created.user).model_dump(), token=created.token, link_code=created.link_code
    )


@router.patch("/users/{username}", response_model=UserRead, responses={**REFUSED, **UNKNOWN})
def update_user(
    username: Username, body: UserUpdate, session: SessionDep, principal: CurrentPrincipal
) -> UserRead:
    """Change a user's name or channels (only the fields sent; an empty string clears a channel)."""
    _admin(session, principal, "user.updated", username=username)
    user = staff.update_user(
        session, user=_user(session, username), data=body, actor=principal, via=principal.via
    )
    return staff.to_read(user)


@router.post("/users/{username}/deactivate", response_model=UserDeactivated, responses={**REFUSED, **UNKNOWN})
def deactivate_user(username: Username, session: SessionDep, principal: CurrentPrincipal) -> UserDeactivated:
    """A leaver: their tokens, sessions, sign-in links and Telegram link stop at once, messages to them not
    yet sent are never sent, and each young person they worked with has their duty team told by ref."""
    _admin(session, principal, "user.deactivated", username=username)
    return leavers.deactivate(session, user=_user(session, username), actor=principal, via=principal.via)


@router.post("/users/{username}/reactivate", response_model=UserCreated, responses={**REFUSED, **UNKNOWN})
def reactivate_user(username: Username, session: SessionDep, principal: CurrentPrincipal) -> UserCreated:
    """A returner: a fresh token and link code (shown only this once); their old ones stay dead."""
    _admin(session, principal, "user.reactivated", username=username)
    if principal.via == Via.bot:
        raise Forbidden("accounts are not run from the bot")
    back = staff.reactivate_user(
        session,
        user=_user(session, username),
        actor=principal,
        via=principal.via,
        link_code_ttl_hours=get_settings().link_code_ttl_hours,
    )
    return UserCreated(**staff.to_read(back.user).model_dump(), token=back.token, link_code=back.link_code)


@router.get("/teams", response_model=list[TeamRead], responses=REFUSED)
def list_teams(session: SessionDep, principal: CurrentPrincipal) -> list[TeamRead]:
    _admin(session, principal, "team.list")
    audit.record(session, actor=principal, action="team.list", via=principal.via)
    return [TeamRead.model_validate(t) for t in views.teams(session)]


@router.post("/teams", response_model=TeamRead, status_code=status.HTTP_201_CREATED, responses=REFUSED)
def create_team(body: TeamCreate, session: SessionDep, principal: CurrentPrincipal) -> TeamRead:
    _admin(session, principal, "team.created", team=body.code)
    team = staff.create_team(session, data=body, actor=principal, via=principal.via)
    return TeamRead.model_validate(team)
