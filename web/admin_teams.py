"""The system administrator's pages for teams (issue 8.5): the list, adding a team, and marking a team as
its local authority's duty or out-of-hours team. The same guard (`services.staff.guards.require_admin`),
commands (`staff.create_team`, `staff.set_team_roles`) and audit as the API and the CLI, via=web."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from schemas.api.staff import TeamCreate, TeamRead
from schemas.enums import Agency
from services.kernel.audit import service as audit
from services.kernel.errors import Conflict
from services.staff import guards, views
from services.staff import service as staff
from web.deps import CsrfChecked, SessionDep, WebPrincipal
from web.forms import field_errors
from web.templating import render

router = APIRouter(prefix="/admin/teams", include_in_schema=False)
Code = Annotated[str, Path(min_length=1, max_length=64)]
Text = Annotated[str, Form(max_length=200)]
Tick = Annotated[str, Form(max_length=8)]
LABELS = {
    "code": "Code",
    "name": "Name",
    "agency": "Agency",
    "la_code": "Local authority code",
    "is_duty": "Duty team",
    "is_out_of_hours": "Out-of-hours team",
}


def _page(
    request: Request,
    session: SessionDep,
    values: dict[str, object],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "teams": [TeamRead.model_validate(t) for t in views.teams(session)],
        "agencies": list(Agency),
        "values": values,
        "errors": errors,
        "labels": LABELS,
        "added": request.query_params.get("added"),
        "updated": request.query_params.get("updated"),
    }
    return render(request, "admin_teams.html", context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def teams_page(request: Request, session: SessionDep, principal: WebPrincipal) -> Response:
    guards.require_admin(session, actor=principal, action="team.list")
    audit.record(session, actor=principal, action="team.list", via=principal.via)
    return _page(request, session, {}, {})


@router.post("", response_class=HTMLResponse, dependencies=[CsrfChecked])
def add_team(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    code: Text = "",
    name: Text = "",
    agency: Text = "",
    la_code: Text = "",
    is_duty: Tick = "",
    is_out_of_hours: Tick = "",
) -> Response:
    values: dict[str, object] = {
        "code": code.strip(),
        "name": name.strip(),
        "agency": agency,
        "la_code": la_code.strip() or None,
        "is_duty": bool(is_duty),
        "is_out_of_hours": bool(is_out_of_hours),
    }
    guards.require_admin(session, actor=principal, action="team.created", team=str(values["code"]))
    try:
        data = TeamCreate.model_validate(values)
    except ValidationError as exc:
        errors = field_errors(exc)
        if "form" in errors:  # the out-of-hours check is about the local authority's code
            errors["la_code"] = errors.pop("form")
        return _page(request, session, values, errors, status_code=400)
    try:
        staff.create_team(session, data=data, actor=principal, via=principal.via)
    except Conflict as exc:
        return _page(request, session, values, {"code": exc.detail}, status_code=409)
    return RedirectResponse(f"/admin/teams?added={data.code}", status_code=303)


@router.post("/{code}/roles", dependencies=[CsrfChecked])
def set_roles(
    code: Code, session: SessionDep, principal: WebPrincipal, is_duty: Tick = "", is_out_of_hours: Tick = ""
) -> Response:
    """Both boxes are sent as ticked or not: an unticked box takes the role away."""
    guards.require_admin(session, actor=principal, action="team.updated", team=code)
    staff.set_team_roles(
        session,
        code=code,
        is_duty=bool(is_duty),
        is_out_of_hours=bool(is_out_of_hours),
        actor=principal,
        via=principal.via,
    )
    return RedirectResponse(f"/admin/teams?updated={code}", status_code=303)
