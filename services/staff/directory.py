"""Who holds a role for a local authority or a team: the lookups alerts, escalations and rules share.

Only active accounts, in a stable order (by id), so who is told does not depend on the database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import Role
from services.staff.models import Team, User


def duty_user_ids(session: Session, *, la_codes: Collection[str]) -> dict[str, list[int]]:
    """The members of each local authority's duty team(s) (teams marked `--duty`)."""
    rows = session.execute(
        select(Team.la_code, User.id)
        .join(User, User.team_id == Team.id)
        .where(Team.is_duty.is_(True), Team.la_code.in_(la_codes), User.active.is_(True))
        .order_by(User.id)
    )
    found: dict[str, list[int]] = defaultdict(list)
    for la_code, user_id in rows:
        if la_code is not None:
            found[la_code].append(user_id)
    return found


def out_of_hours_user_ids(session: Session, *, la_code: str) -> list[int]:
    """The members of the local authority's out-of-hours (emergency duty) team(s) (`--out-of-hours`)."""
    return list(
        session.scalars(
            select(User.id)
            .join(Team, User.team_id == Team.id)
            .where(Team.is_out_of_hours.is_(True), Team.la_code == la_code, User.active.is_(True))
            .order_by(User.id)
        )
    )


def safeguarding_lead_ids(session: Session, *, la_code: str) -> list[int]:
    """The local authority's safeguarding leads."""
    return list(
        session.scalars(
            select(User.id)
            .join(Team, User.team_id == Team.id)
            .where(User.role == Role.safeguarding_lead, Team.la_code == la_code, User.active.is_(True))
            .order_by(User.id)
        )
    )


def team_manager_ids(session: Session, *, team_id: int) -> list[int]:
    """The team managers of one team."""
    return list(
        session.scalars(
            select(User.id)
            .where(User.role == Role.team_manager, User.team_id == team_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def safeguarding_leads(session: Session, *, la_code: str) -> list[User]:
    """The local authority's safeguarding leads; its duty team when it has none."""
    ids = safeguarding_lead_ids(session, la_code=la_code) or duty_user_ids(session, la_codes=[la_code]).get(
        la_code, []
    )
    return [session.get_one(User, user_id) for user_id in ids]


def duty_teams(session: Session, *, la_code: str) -> list[Team]:
    """The local authority's duty team(s) (`--duty`): whom someone outside it is told to contact."""
    return list(
        session.scalars(
            select(Team).where(Team.is_duty.is_(True), Team.la_code == la_code).order_by(Team.code)
        )
    )
