"""HTTP layer for notifications: see their delivery, and acknowledge them; `GET /api/v1/me/pending` lists the
caller's own alerts not yet acknowledged (the bot's /pending)."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Query

from schemas.api.notifications import NotificationRead, PendingAlerts
from schemas.enums import NotificationStatus, Role
from services.api.deps import CurrentPrincipal, SessionDep
from services.flows import case_access, notification_access
from services.kernel.audit import service as audit
from services.kernel.errors import Conflict, Forbidden
from services.notifications import service as notifications
from services.people import access
from services.people import service as people

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
me_router = APIRouter(prefix="/api/v1/me", tags=["notifications"])


@router.get("", response_model=list[NotificationRead])
def list_notifications(
    session: SessionDep,
    principal: CurrentPrincipal,
    young_person: Annotated[str | None, Query(description="A young person's ref")] = None,
    status: NotificationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationRead]:
    """Notifications you may see (your own, and those about young people in your care teams), newest first."""
    young_person_id = None
    if young_person is not None:
        target = people.get(session, ref=young_person)
        case_access.authorise(
            session,
            principal=principal,
            young_person=target,
            rule=access.may_view,
            action="notification.list",
            via=principal.via,
        )
        young_person_id = target.id
    cache: dict[int, bool] = {}
    # Filter before counting, so newer alerts about other people's young people never push yours out.
    visible = (
        n
        for n in notifications.query(session, young_person_id=young_person_id, status=status)
        if notification_access.visible(session, principal, n, cache)
    )
    found = list(islice(visible, limit))
    for ref in sorted({n.young_person.ref for n in found}):
        audit.record(session, actor=principal, action="notification.list", via=principal.via, ref=ref)
    return [notifications.to_read(n) for n in found]


@me_router.get("/pending", response_model=PendingAlerts)
def pending(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> PendingAlerts:
    """Your own notifications not yet acknowledged, whatever their delivery status: the one waiting longest
    first, with how many there are in all. Audited as `notification.list` for each young person listed."""
    if principal.role == Role.integration:
        audit.record_refusal(session, actor=principal, action="notification.list", via=principal.via)
        raise Forbidden("integration accounts do not handle notifications")
    total, found = notifications.unacknowledged_for(
        session, recipient_id=principal.user_id, limit=limit, offset=offset
    )
    for ref in sorted({n.young_person.ref for n in found}):
        audit.record(session, actor=principal, action="notification.list", via=principal.via, ref=ref)
    return PendingAlerts(total=total, notifications=[notifications.to_read(n) for n in found])


@router.get("/{notification_id}", response_model=NotificationRead)
def read_notification(
    notification_id: int, session: SessionDep, principal: CurrentPrincipal
) -> NotificationRead:
    notification = notifications.get(session, notification_id=notification_id)
    notification_access.authorise(session, principal, notification, "notification.read")
    audit.record(
        session,
        actor=principal,
        action="notification.read",
        via=principal.via,
        ref=notification.young_person.ref,
    )
    return notifications.to_read(notification)


@router.post("/{notification_id}/acknowledge", response_model=NotificationRead)
def acknowledge(notification_id: int, session: SessionDep, principal: CurrentPrincipal) -> NotificationRead:
    """Say you have taken this alert on: your own notifications only (someone else's: 403, audited; a
    manager or lead uses `acknowledge-on-behalf`). Stops further channels and its chase; a repeat changes
    nothing."""
    notification = notifications.get(session, notification_id=notification_id)
    notification_access.authorise(session, principal, notification, "notification.acknowledge", own=True)
    notifications.acknowledge(session, notification=notification, actor=principal, via=principal.via)
    return notifications.to_read(notification)


@router.post(
    "/{notification_id}/acknowledge-on-behalf",
    response_model=NotificationRead,
    responses={409: {"description": "The notification is the caller's own: acknowledge it"}},
)
def acknowledge_on_behalf(
    notification_id: int, session: SessionDep, principal: CurrentPrincipal
) -> NotificationRead:
    """Take someone else's notification on for them: a team manager of the recipient's team, or a
    safeguarding lead of the young person's local authority (others: 403, audited). It reads acknowledged by
    you on their behalf and its chase stops; the recipient is still sent it and may still acknowledge it
    themselves; nobody else's notification changes. A repeat changes nothing."""
    notification = notifications.get(session, notification_id=notification_id)
    if notification.recipient_id == principal.user_id:
        raise Conflict("this notification is yours: acknowledge it (POST .../acknowledge)")
    facts = case_access.facts(session, young_person=notification.young_person)
    if not access.may_acknowledge_on_behalf(
        principal, facts, recipient_team_id=notification.recipient.team_id
    ):
        notification_access.refuse(session, principal, notification, "notification.acknowledge_on_behalf")
        raise Forbidden(
            "only a team manager of the recipient's team or a safeguarding lead of the young person's local "
            "authority may acknowledge a notification on someone's behalf"
        )
    notifications.acknowledge_on_behalf(
        session, notification=notification, actor=principal, via=principal.via
    )
    return notifications.to_read(notification)
