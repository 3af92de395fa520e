"""Teams, users, tokens and Telegram link codes. Keyword-only functions, session first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.staff import TeamCreate, UserCreate, UserRead, UserUpdate
from schemas.enums import Role, Via
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.errors import Conflict, DomainError, Invalid, NotFound
from services.kernel.identity import Principal
from services.kernel.security import digest, new_link_code, normalise_link_code
from services.staff import tokens
from services.staff.models import Team, User


@dataclass(frozen=True)
class NewUser:
    user: User
    token: str
    link_code: str


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        team_id=user.team_id,
        la_code=user.team.la_code,
    )


def to_read(user: User) -> UserRead:
    return UserRead(
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        team=user.team.code,
        email=user.email,
        webhook_url=user.webhook_url,
        telegram_linked=user.telegram_chat_id is not None,
        active=user.active,
    )


def create_team(session: Session, *, data: TeamCreate, actor: Principal | None, via: Via) -> Team:
    """Register a team. Codes are unique."""
    if session.scalar(select(Team).where(Team.code == data.code)) is not None:
        raise Conflict(f"team {data.code!r} already exists")
    team = Team(
        code=data.code,
        name=data.name,
        agency=data.agency,
        la_code=data.la_code,
        is_duty=data.is_duty,
        is_out_of_hours=data.is_out_of_hours,
    )
    session.add(team)
    session.flush()
    audit.record(session, actor=actor, action="team.created", via=via, detail={"team": data.code})
    return team


def set_team_roles(
    session: Session,
    *,
    code: str,
    is_duty: bool | None,
    is_out_of_hours: bool | None,
    actor: Principal | None,
    via: Via,
) -> Team:
    """Mark an existing team as (or no longer as) its local authority's duty or out-of-hours team."""
    team = get_team(session, code=code)
    if is_out_of_hours and team.la_code is None:
        raise Invalid("an out-of-hours team covers a local authority: the team has no la_code")
    changed: dict[str, bool] = {}
    if is_duty is not None and is_duty != team.is_duty:
        team.is_duty = changed["is_duty"] = is_duty
    if is_out_of_hours is not None and is_out_of_hours != team.is_out_of_hours:
        team.is_out_of_hours = changed["is_out_of_hours"] = is_out_of_hours
    if changed:
        audit.record(session, actor=actor, action="team.updated", via=via, detail={"team": code, **changed})
    return team


def get_team(session: Session, *, code: str) -> Team:
    team = session.scalar(select(Team).where(Team.code == code))
    if team is None:
        raise NotFound(f"no team with code {code!r}")
    return team


def create_user(
    session: Session, *, data: UserCreate, actor: Principal | None, via: Via, link_code_ttl_hours: int
) -> NewUser:
    """Register a staff user with a fresh API token and a one-time Telegram link code."""
    if session.scalar(select(User).where(User.username == data.username)) is not None:
        raise Conflict(f"user {data.username!r} already exists")
    team = get_team(session, code=data.team_code)
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        team=team,
        email=str(data.email) if data.email else None,
        webhook_url=str(data.webhook_url) if data.webhook_url else None,
    )
    session.add(user)
    session.flush()
    _, token = tokens.issue(session, user=user, actor=actor, via=via)
    link_code = issue_link_code(session, user=user, ttl_hours=link_code_ttl_hours)
    audit.record(
        session,
        actor=actor,
        action="user.created",
        via=via,
        detail={"username": user.username, "role": user.role, "team": team.code},
    )
    return NewUser(user=user, token=token, link_code=link_code)


def issue_link_code(session: Session, *, user: User, ttl_hours: int) -> str:
    code = new_link_code()
    user.link_code_hash = digest(code)
    user.link_code_expires_at = utcnow() + timedelta(hours=ttl_hours)
    return code


def get_user(session: Session, *, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def user_for_chat(session: Session, *, chat_id: int) -> User | None:
    """The active user a Telegram chat is linked to, or None."""
    user = session.scalar(select(User).where(User.telegram_chat_id == chat_id))
    return user if user is not None and user.active else None


class LinkCodeUnknown(DomainError):
    status_code = 404


class LinkCodeExpired(DomainError):
    status_code = 410


def redeem_link_code(session: Session, *, code: str, chat_id: int, via: Via) -> User:
    """Link a Telegram chat to the user whose unexpired one-time code this is; the code is then spent.

    A chat links to one user: linking it to another unlinks the first. A user has one chat: linking a new
    chat replaces the old one. Unknown or spent codes and expired codes are refused with distinct errors.
    """
    user = session.scalar(select(User).where(User.link_code_hash == digest(normalise_link_code(code))))
    if user is None or not user.active:
        raise LinkCodeUnknown("this link code is not known: it may be mistyped or already used")
    if user.link_code_expires_at is None or user.link_code_expires_at < utcnow():
        raise LinkCodeExpired("this link code has expired: ask for a new one")
    previous = session.scalar(select(User).where(User.telegram_chat_id == chat_id))
    if previous is not None and previous.id != user.id:
        previous.telegram_chat_id = None
        audit.record(session, actor=principal_of(previous), action="telegram.unlinked", via=via)
        session.flush()
    user.telegram_chat_id = chat_id
    user.link_code_hash = None
    user.link_code_expires_at = None
    audit.record(
        session, actor=principal_of(user), action="telegram.linked", via=via, detail={"chat": "linked"}
    )
    return user


def update_user(session: Session, *, user: User, data: UserUpdate, actor: Principal | None, via: Via) -> User:
    """Change a user's name or how they are reached (email, webhook). Only the fields given change; an
    empty string clears a channel. Audited with the names of the fields changed, never their values."""
    changed: list[str] = []
    for field in sorted(data.model_fields_set):
        value = getattr(data, field)
        new = (str(value) or None) if value is not None else None
        if field == "display_name" and new is None:
            raise Invalid("display_name: a user has a name")
        if getattr(user, field) != new:
            setattr(user, field, new)
            changed.append(field)
    if changed:
        audit.record(
            session,
            actor=actor,
            action="user.updated",
            via=via,
            detail={"username": user.username, "fields": changed},
        )
    return user


@dataclass(frozen=True)
class Deactivated:
    user: User
    tokens_revoked: int
    telegram_unlinked: bool
    audit_event_id: int


def deactivate_user(session: Session, *, user: User, actor: Principal | None, via: Via) -> Deactivated:
    """A leaver: the account stops at once. Every live token is revoked, the Telegram chat unlinked and an
    unspent link code voided; sign-in and every recipient list skip inactive accounts. What that leaves
    undone for the young people they worked with is the caller's (`services.flows.leavers`)."""
    if not user.active:
        raise Conflict(f"{user.username} is already deactivated")
    live = [t for t in tokens.of(session, user=user) if t.revoked_at is None]
    if live:
        tokens.revoke(session, user=user, actor=actor, via=via)
    unlinked = user.telegram_chat_id is not None
    user.telegram_chat_id = None
    user.link_code_hash = None
    user.link_code_expires_at = None
    user.active = False
    event = audit.record(
        session,
        actor=actor,
        action="user.deactivated",
        via=via,
        detail={"username": user.username, "tokens_revoked": len(live), "telegram_unlinked": unlinked},
    )
    session.flush()
    return Deactivated(
        user=user, tokens_revoked=len(live), telegram_unlinked=unlinked, audit_event_id=event.id
    )


def reactivate_user(
    session: Session, *, user: User, actor: Principal | None, via: Via, link_code_ttl_hours: int
) -> NewUser:
    """A returner: the account works again with a fresh token and link code (the old ones stay dead). Their
    care-team places are as they were left; whoever replaced them stays."""
    if user.active:
        raise Conflict(f"{user.username} is active")
    user.active = True
    _, token = tokens.issue(session, user=user, actor=actor, via=via)
    link_code = issue_link_code(session, user=user, ttl_hours=link_code_ttl_hours)
    audit.record(session, actor=actor, action="user.reactivated", via=via, detail={"username": user.username})
    return NewUser(user=user, token=token, link_code=link_code)
