"""HTTP layer for notifications: see their delivery, and acknowledge them; `GET /api/v1/me/pending` lists the
caller's own alerts not yet acknowledged (the bot's /pending)."""

from __future__ import annotations

from itertools import islice
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from schemas.api.notifications import NotificationRead, PendingAlerts
from schemas.enums import NotificationStatus, Role
from services.audit import service as audit
from services.deps import CurrentPrincipal, SessionDep
from services.errors import Forbidden
from services.notifications import service as notifications
from services.notifications.models import Notification
from services.people import access
from services.people import service as people
from services.people.access import Principal

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
me_router = APIRouter(prefix="/api/v1/me", tags=["notifications"])


def _visible(
    session: Session, principal: Principal, notification: Notification, cache: dict[int, bool]
) -> bool:
    if principal.role == Role.admin or notification.recipient_id == principal.user_id:
        return True
    young_person_id = notification.young_person_id
    if young_person_id not in cache:
        young_person = notification.young_person
        cache[young_person_id] = access.may_view(principal, people.facts(session, young_person=young_person))
    return cache[young_person_id]


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
        people.authorise(
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
        if _visible(session, principal, n, cache)
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
    _authorise(session, principal, notification, "notification.read")
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
    """Say you have taken this alert on. Stops further channels; a repeat changes nothing."""
    notification = notifications.get(session, notification_id=notification_id)
    _authorise(session, principal, notification, "notification.acknowledge")
    notifications.acknowledge(session, notification=notification, actor=principal, via=principal.via)
    return notifications.to_read(notification)


def _authorise(session: Session, principal: Principal, notification: Notification, action: str) -> None:
    integration = principal.role == Role.integration
    if integration or not _visible(session, principal, notification, {}):
        audit.record_refusal(
            session,
            actor=principal,
            action=action,
            via=principal.via,
            ref=notification.young_person.ref,
            outcome="denied",
        )
        if integration:
            raise Forbidden("integration accounts do not handle notifications")
        raise Forbidden("this notification is about a young person outside your care teams")
