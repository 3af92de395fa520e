"""The managers' dashboard (`/dashboard`): a team manager's or safeguarding lead's view of what is waiting,
read by `services.flows.dashboard.read` (its access rule, the refusal and the read audited, via=web).
Young people are listed by ref, each linking to their record."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.flows import dashboard
from services.kernel.clock import utcnow
from services.notifications import service as notifications
from web.alerts import label
from web.deps import SessionDep, WebPrincipal
from web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, session: SessionDep, principal: WebPrincipal) -> Response:
    now = utcnow()
    found = dashboard.read(session, principal=principal, now=now)
    return render(
        request,
        "dashboard.html",
        {
            "d": found,
            "alerts": [(notifications.to_read(n), label(n.kind)) for n in found.alerts],
            "role": principal.role,
            "today": now.date(),
        },
    )
