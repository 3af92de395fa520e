"""Pure rules for staff accounts: how long a bearer token lives, what state it is in, who manages it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from schemas.enums import Role
from services.kernel.identity import Principal

TokenStatus = Literal["active", "expired", "revoked"]


class TokenLifeRefused(ValueError):
    """A requested token life is longer than the account's role allows."""


def token_life(
    role: Role | str, requested_days: int | None, *, person_days: int, integration_days: int
) -> timedelta:
    """How long a new token lives: what was asked for, never more than the role allows (a person's token
    API_TOKEN_DAYS, an integration account's INTEGRATION_TOKEN_DAYS); by default the most allowed."""
    allowed = integration_days if role == Role.integration else person_days
    if requested_days is None:
        return timedelta(days=allowed)
    if requested_days < 1:
        raise TokenLifeRefused("a token lives at least one day")
    if requested_days > allowed:
        raise TokenLifeRefused(f"a {role} account's token lives at most {allowed} days")
    return timedelta(days=requested_days)


def token_status(*, expires_at: datetime, revoked_at: datetime | None, now: datetime) -> TokenStatus:
    if revoked_at is not None:
        return "revoked"
    return "active" if now < expires_at else "expired"


def may_manage_tokens(actor: Principal, *, owner_user_id: int) -> bool:
    """Issue, list and revoke a user's tokens: the user themself, or the system administrator."""
    return actor.user_id == owner_user_id or actor.role == Role.admin


def may_manage_users(actor: Principal) -> bool:
    """Register, change, deactivate and reactivate accounts and teams: the system administrator."""
    return actor.role == Role.admin


def web_session_alive(
    *, created_at: datetime, last_seen_at: datetime, now: datetime, idle: timedelta, absolute: timedelta
) -> bool:
    """A web session lives while it has been used within `idle` and is younger than `absolute`."""
    return now - last_seen_at < idle and now - created_at < absolute
