"""Reads of accounts and teams shaped for the administrator's lists (the API's and the web's)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.staff.models import Team, User


def users(session: Session, *, team: str | None = None, active: bool | None = None) -> list[User]:
    """Users by username: one team's (by code) or all, active ones, deactivated ones or both."""
    statement = select(User).join(Team, User.team_id == Team.id).order_by(User.username)
    if team is not None:
        statement = statement.where(Team.code == team)
    if active is not None:
        statement = statement.where(User.active.is_(active))
    return list(session.scalars(statement))


def teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.code)))
