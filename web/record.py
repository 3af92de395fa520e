"""A young person's page: summary, statuses, care team (role, agency, how to reach them), current plans,
the latest assessment and open alerts. Allowed by the API's rule (`access.may_view`, through
`case_access.authorise`, which audits a refusal); the view is audited as `young_person.read`, via=web."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.people import NOT_MEMBER_ROLES
from schemas.enums import CareTeamRole, Via
from services.flows import case_access
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.identity import Principal
from services.notifications import rules as notification_rules
from services.notifications import service as notifications
from services.notifications.models import Notification
from services.people import access
from services.people import service as people
from services.people.models import YoungPerson
from services.plans import discharge
from services.plans import views as plan_views
from web.alerts import label
from web.deps import SessionDep, WebPrincipal
from web.templating import render

router = APIRouter(include_in_schema=False)
Ref = Annotated[str, Path(min_length=1, max_length=32)]
MEMBER_ROLES = [r for r in CareTeamRole if r not in NOT_MEMBER_ROLES]


def viewable(session: Session, principal: Principal, ref: str, action: str) -> YoungPerson:
    """The young person, if `principal` may read the record (a refusal is audited, then a 403 page)."""
    young_person = people.get(session, ref=ref)
    case_access.authorise(
        session,
        principal=principal,
        young_person=young_person,
        rule=access.may_view,
        action=action,
        via=Via.web,
    )
    return young_person


@router.get("/young-people/{ref}", response_class=HTMLResponse)
def record_page(request: Request, ref: Ref, session: SessionDep, principal: WebPrincipal) -> Response:
    young_person = viewable(session, principal, ref, "young_person.read")
    audit.record(session, actor=principal, action="young_person.read", via=Via.web, ref=young_person.ref)
    team = [
        {
            "member": m,
            "reach": notification_rules.channels_for(
                email=m.user.email, webhook_url=m.user.webhook_url, telegram_chat_id=m.user.telegram_chat_id
            ),
        }
        for m in young_person.care_team
    ]
    open_alerts = [
        (notifications.to_read(n), label(n.kind))
        for n in session.scalars(
            select(Notification)
            .where(Notification.young_person_id == young_person.id, Notification.acknowledged_at.is_(None))
            .order_by(Notification.created_at, Notification.id)
        )
    ]
    return render(
        request,
        "record.html",
        {
            "yp": people.to_read(young_person),
            "team": team,
            "plans": plan_views.overview(session, young_person, today=utcnow().date()),
            "assessment": discharge.latest_completed_assessment(session, young_person_id=young_person.id),
            "cnest_label": plan_views.CNEST_LABEL,
            "open_alerts": open_alerts,
            "can_manage": access.may_manage_care_team(
                principal, case_access.facts(session, young_person=young_person)
            ),
            "member_roles": MEMBER_ROLES,
        },
    )
