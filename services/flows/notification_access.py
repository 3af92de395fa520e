"""Who may see and acknowledge a notification: its recipient, and anyone who may view its young person's
record (the admin sees all). One home for the API's and the web front end's checks; a refusal is audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from schemas.enums import Role
from services.flows import case_access
from services.kernel.audit import service as audit
from services.kernel.errors import Forbidden
from services.kernel.identity import Principal
from services.notifications.models import Notification
from services.people import access


def visible(
    session: Session, principal: Principal, notification: Notification, cache: dict[int, bool]
) -> bool:
    if principal.role == Role.admin or notification.recipient_id == principal.user_id:
        return True
    young_person_id = notification.young_person_id
    if young_person_id not in cache:
        young_person = notification.young_person
        cache[young_person_id] = access.may_view(
            principal, case_access.facts(session, young_person=young_person)
        )
    return cache[young_person_id]


def refuse(session: Session, principal: Principal, notification: Notification, action: str) -> None:
    audit.record_refusal(
        session,
        actor=principal,
        action=action,
        via=principal.via,
        ref=notification.young_person.ref,
        outcome="denied",
    )


def authorise(
    session: Session, principal: Principal, notification: Notification, action: str, *, own: bool = False
) -> None:
    """May see it (and, with `own`, is its recipient); otherwise the refusal is audited and a 403 raised."""
    integration = principal.role == Role.integration
    if integration or not visible(session, principal, notification, {}):
        refuse(session, principal, notification, action)
        if integration:
            raise Forbidden("integration accounts do not handle notifications")
        raise Forbidden("this notification is about a young person outside your care teams")
    if own and notification.recipient_id != principal.user_id:
        refuse(session, principal, notification, action)
        raise Forbidden(
            "only its recipient acknowledges a notification; a team manager of their team or the local "
            "authority's safeguarding lead may acknowledge it on their behalf "
            "(POST .../acknowledge-on-behalf)"
        )
