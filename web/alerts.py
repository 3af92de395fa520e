"""Alerts on the web: the Acknowledge page an alert email links to (no sign-in: the signed link says who
and which), My work (my alerts waiting for me, acknowledged from the list), and one alert's whole story.
Acknowledging goes through `services.notifications.service.acknowledge`, as the API and the bot do."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import Role, Via
from schemas.kinds import entry
from schemas.settings import get_settings
from services.flows import notification_access
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.errors import Forbidden
from services.kernel.identity import Principal
from services.notifications import links
from services.notifications import service as notifications
from services.notifications.models import Notification
from services.staff import service as staff
from web.deps import CsrfChecked, SessionDep, WebPrincipal
from web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 20


def label(kind: str) -> str:
    return entry(kind).label


def _from_link(session: Session, token: str) -> tuple[Notification, Principal] | str:
    """The notification a signed link names and its recipient acting by email, or why it does not open."""
    try:
        link = links.check(key=get_settings().secret_key.get_secret_value(), token=token[:200], now=utcnow())
    except links.LinkRefused as refused:
        return refused.why
    notification = session.get(Notification, link.notification_id)
    if notification is None or notification.recipient_id != link.recipient_id:
        return "invalid"
    if not notification.recipient.active:
        return "inactive"
    return notification, dataclasses.replace(staff.principal_of(notification.recipient), via=Via.email)


@router.get("/alerts/acknowledge/{token}", response_class=HTMLResponse)
def acknowledge_page(request: Request, token: str, session: SessionDep) -> Response:
    """What the email's link opens: the alert by ref and one button. Opening it acknowledges nothing."""
    found = _from_link(session, token)
    if isinstance(found, str):
        return render(
            request, "ack_refused.html", {"why": found}, status_code=400 if found != "expired" else 410
        )
    notification, principal = found
    ref = notification.young_person.ref
    audit.record(session, actor=principal, action="notification.read", via=Via.email, ref=ref)
    return render(
        request,
        "ack.html",
        {"n": notifications.to_read(notification), "label": label(notification.kind), "token": token},
    )


@router.post("/alerts/acknowledge/{token}", response_class=HTMLResponse, dependencies=[CsrfChecked])
def acknowledge_by_link(request: Request, token: str, session: SessionDep) -> Response:
    found = _from_link(session, token)
    if isinstance(found, str):
        return render(
            request, "ack_refused.html", {"why": found}, status_code=400 if found != "expired" else 410
        )
    notification, principal = found
    already = notification.acknowledged_at is not None
    notifications.acknowledge(session, notification=notification, actor=principal, via=Via.email)
    return render(
        request,
        "ack_done.html",
        {"n": notifications.to_read(notification), "label": label(notification.kind), "already": already},
    )


@router.get("/my-work", response_class=HTMLResponse)
def my_work(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """My own alerts waiting for my acknowledgement, the one waiting longest first, with how far each
    chase has gone. Audited as `notification.list` for each young person listed (as `/api/v1/me/pending`)."""
    if principal.role == Role.integration:
        audit.record_refusal(session, actor=principal, action="notification.list", via=Via.web)
        raise Forbidden("integration accounts do not handle notifications")
    total, found = notifications.unacknowledged_for(
        session, recipient_id=principal.user_id, limit=PAGE, offset=(page - 1) * PAGE
    )
    for ref in sorted({n.young_person.ref for n in found}):
        audit.record(session, actor=principal, action="notification.list", via=Via.web, ref=ref)
    return render(
        request,
        "my_work.html",
        {
            "total": total,
            "alerts": [(notifications.to_read(n), label(n.kind)) for n in found],
            "page": page,
            "pages": max(1, -(-total // PAGE)),
        },
    )


@router.post("/alerts/{notification_id}/acknowledge", dependencies=[CsrfChecked])
def acknowledge_signed_in(notification_id: int, session: SessionDep, principal: WebPrincipal) -> Response:
    """Acknowledge one of my own alerts from My work (someone else's: 403, audited, as the API)."""
    notification = notifications.get(session, notification_id=notification_id)
    notification_access.authorise(session, principal, notification, "notification.acknowledge", own=True)
    notifications.acknowledge(session, notification=notification, actor=principal, via=Via.web)
    return RedirectResponse(f"/my-work?acknowledged={notification.id}", status_code=303)


@router.get("/alerts/{notification_id}", response_class=HTMLResponse)
def alert_page(
    request: Request, notification_id: int, session: SessionDep, principal: WebPrincipal
) -> Response:
    """Who was told, on which channel, delivered when, acknowledged by whom, and each step of the chase."""
    notification = notifications.get(session, notification_id=notification_id)
    notification_access.authorise(session, principal, notification, "notification.read")
    audit.record(
        session, actor=principal, action="notification.read", via=Via.web, ref=notification.young_person.ref
    )
    cache: dict[int, bool] = {}
    chasing = [
        (notifications.to_read(n), label(n.kind))
        for n in session.scalars(
            select(Notification).where(Notification.escalates_id == notification.id).order_by(Notification.id)
        )
        if notification_access.visible(session, principal, n, cache)
    ]
    return render(
        request,
        "alert.html",
        {"n": notifications.to_read(notification), "label": label(notification.kind), "chasing": chasing},
    )
