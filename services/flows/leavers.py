"""A leaver: deactivating an account, and what that sets going for the young people they worked with.

The account stops at once (`staff.deactivate_user`: tokens revoked, Telegram unlinked; sign-in, the bot and
every recipient list skip inactive accounts), messages to them not yet sent are never sent, and for each
young person whose care team they were on, or who had an alert open to them, the young person's duty team
(the safeguarding leads where the authority has none) is told by ref to name someone in their place
(`member_left`). The care-team place itself is kept, shown as inactive: who held the role, and until when,
is part of the record."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.staff import UserDeactivated
from schemas.enums import CareTeamRole, NotificationKind, Via
from services.kernel.chronology import service as chronology
from services.kernel.clock import utcnow
from services.kernel.identity import Principal
from services.notifications import leavers as stopping
from services.notifications import service as notifications
from services.people.models import CareTeamMember, YoungPerson
from services.staff import directory
from services.staff import service as staff
from services.staff.models import User


def deactivate(session: Session, *, user: User, actor: Principal | None, via: Via) -> UserDeactivated:
    done = staff.deactivate_user(session, user=user, actor=actor, via=via)
    stopped = stopping.stop_for(session, user_id=user.id)
    roles: dict[int, str] = {}  # young person id -> the role they held (care team first, then an alert's)
    places = session.scalars(select(CareTeamMember).where(CareTeamMember.user_id == user.id))
    for place in places:
        roles.setdefault(place.young_person_id, place.role)
    for notification in stopped.open_notifications:
        roles.setdefault(notification.young_person_id, notification.recipient_role)
    now = utcnow()
    for young_person_id, role in sorted(roles.items()):
        young_person = session.get_one(YoungPerson, young_person_id)
        _tell_duty(session, young_person=young_person, role=role, deactivation_id=done.audit_event_id)
        open_here = sum(1 for n in stopped.open_notifications if n.young_person_id == young_person_id)
        chronology.add(
            session,
            young_person_id=young_person_id,
            at=now,
            kind="care_team_member_left",
            summary=f"{user.display_name} ({CareTeamRole(role).label}) left liaison: their account is "
            f"deactivated; {open_here} alert(s) open to them",
            detail={"username": user.username, "role": role, "open_alerts": open_here},
        )
    return UserDeactivated(
        username=user.username,
        tokens_revoked=done.tokens_revoked,
        telegram_unlinked=done.telegram_unlinked,
        deliveries_stopped=stopped.deliveries,
        young_people_affected=len(roles),
    )


def _tell_duty(session: Session, *, young_person: YoungPerson, role: str, deactivation_id: int) -> None:
    la_code = young_person.responsible_la
    duty = notifications.duty_users(session, la_code=la_code)
    told = [(u, CareTeamRole.duty) for u in duty] or [
        (u, CareTeamRole.safeguarding_lead) for u in directory.safeguarding_leads(session, la_code=la_code)
    ]
    notifications.create(
        session,
        kind=NotificationKind.member_left,
        young_person=young_person,
        recipients=told,
        event=notifications.Event("member_left", young_person.id, round=deactivation_id),
        detail=role,
    )
