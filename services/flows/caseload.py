"""A person's caseload: the young people they may see, with what needs their attention first.

The database narrows the candidates (care-team membership, their team, their local authority, alerts they
were sent); the pure access rule then decides each one, so the list can never show more than reading the
record one by one would allow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from schemas.enums import AttendanceStatus, NotificationStatus, Role
from services.attendances.models import Attendance
from services.flows import case_access
from services.kernel.identity import Principal
from services.notifications.models import Notification
from services.people import access
from services.people.models import CareTeamMember, YoungPerson
from services.staff.models import User


@dataclass(frozen=True)
class Entry:
    young_person: YoungPerson
    my_role: str | None
    last_attendance_at: datetime | None
    unacknowledged_for_me: int


def _candidates(principal: Principal) -> list[ColumnElement[bool]]:
    """Conditions under which a young person might be visible: a superset of what the rule allows."""
    member = select(CareTeamMember.young_person_id).where(CareTeamMember.user_id == principal.user_id)
    team = (
        select(CareTeamMember.young_person_id)
        .join(User, CareTeamMember.user_id == User.id)
        .where(User.team_id == principal.team_id)
    )
    alerted = select(Notification.young_person_id).where(Notification.recipient_id == principal.user_id)
    conditions: list[ColumnElement[bool]] = [
        YoungPerson.id.in_(member),
        YoungPerson.id.in_(team),
        YoungPerson.id.in_(alerted),
    ]
    if principal.la_code is not None:
        conditions += [
            YoungPerson.responsible_la == principal.la_code,
            YoungPerson.residence_la == principal.la_code,
        ]
    return conditions


def _matching(text: str) -> ColumnElement[bool]:
    """A ref, an NHS number (spaces and dashes ignored) or part of a given or family name."""
    words = text.strip()
    digits = words.replace(" ", "").replace("-", "")
    like = f"%{words.lower()}%"
    return or_(
        func.lower(YoungPerson.ref) == words.lower(),
        YoungPerson.nhs_number == digits,
        func.lower(YoungPerson.given_name + " " + YoungPerson.family_name).like(like),
        func.lower(YoungPerson.family_name).like(like),
    )


def _visible(session: Session, principal: Principal, search: str | None) -> list[YoungPerson]:
    if not access.reads_records(principal):
        return []
    statement = select(YoungPerson).order_by(YoungPerson.created_at.desc(), YoungPerson.id.desc())
    if principal.role != Role.admin:
        statement = statement.where(or_(*_candidates(principal)))
    if search and search.strip():
        statement = statement.where(_matching(search))
    return [
        yp
        for yp in session.scalars(statement)
        if access.may_view(principal, case_access.facts(session, young_person=yp))
    ]


def list_for(session: Session, *, principal: Principal, limit: int, offset: int) -> list[Entry]:
    """The young people `principal` may see, newest registration first."""
    visible = _visible(session, principal, None)[offset : offset + limit]
    return [_entry(session, yp, principal) for yp in visible]


def search(
    session: Session, *, principal: Principal, text: str | None, limit: int, offset: int
) -> tuple[int, list[Entry]]:
    """The young people `principal` may see whose ref, NHS number or name matches `text` (all of them
    when it is empty), newest registration first: how many in all, and the page from `offset`."""
    visible = _visible(session, principal, text)
    return len(visible), [_entry(session, yp, principal) for yp in visible[offset : offset + limit]]


def _entry(session: Session, young_person: YoungPerson, principal: Principal) -> Entry:
    my_role = next((m.role for m in young_person.care_team if m.user_id == principal.user_id), None)
    last = session.scalar(
        select(func.max(Attendance.arrived_at)).where(
            Attendance.young_person_id == young_person.id, Attendance.status != AttendanceStatus.cancelled
        )
    )
    waiting = session.scalar(
        select(func.count()).where(
            Notification.young_person_id == young_person.id,
            Notification.recipient_id == principal.user_id,
            Notification.status != NotificationStatus.acknowledged,
        )
    )
    return Entry(young_person, my_role, last, waiting or 0)
