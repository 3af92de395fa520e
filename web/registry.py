"""Registering a young person and building the care team from the browser (issue 8.5, the first part):
the same rules (`access.may_register`, `access.may_manage_care_team`), the same commands
(`services.flows.registration.register`, `services.people.service.add_member`) and the same audit as the
API, via=web. Bad input is answered with the form again and what to correct."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from schemas.api.people import AlreadyKnown, CareTeamMemberCreate, YoungPersonCreate
from schemas.enums import Role, Via, YoungPersonStatus
from services.flows import case_access, registration
from services.kernel.audit import service as audit
from services.kernel.errors import Forbidden
from services.people import access
from services.people import service as people
from web.deps import CsrfChecked, SessionDep, WebPrincipal
from web.record import Ref
from web.templating import render

router = APIRouter(include_in_schema=False)
REGISTERS = (Role.safeguarding_lead, Role.admin)
Text = Annotated[str, Form(max_length=200)]


def _errors(exc: ValidationError) -> dict[str, str]:
    return {
        str(e["loc"][0]) if e["loc"] else "form": e["msg"].removeprefix("Value error, ") for e in exc.errors()
    }


def _form(
    request: Request, values: dict[str, object], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "register.html",
        {"values": values, "errors": errors, "statuses": list(YoungPersonStatus)},
        status_code=status_code,
    )


@router.get("/young-people/new", response_class=HTMLResponse)
def register_page(request: Request, principal: WebPrincipal) -> Response:
    return _form(request, {"responsible_la": principal.la_code or "", "statuses": []}, {})


@router.post("/young-people/new", response_class=HTMLResponse, dependencies=[CsrfChecked])
def register(
    request: Request,
    session: SessionDep,
    principal: WebPrincipal,
    nhs_number: Text = "",
    given_name: Text = "",
    family_name: Text = "",
    date_of_birth: Text = "",
    responsible_la: Text = "",
    residence_la: Text = "",
    statuses: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006 - FastAPI copies form defaults
) -> Response:
    values: dict[str, object] = {
        "nhs_number": nhs_number.replace(" ", "").replace("-", ""),
        "given_name": given_name.strip(),
        "family_name": family_name.strip(),
        "date_of_birth": date_of_birth.strip(),
        "responsible_la": responsible_la.strip(),
        "residence_la": residence_la.strip() or None,
        "statuses": statuses,
    }
    try:
        data = YoungPersonCreate.model_validate(values)
    except ValidationError as exc:
        return _form(request, values, _errors(exc), status_code=400)
    if not access.may_register(principal, data.responsible_la):
        audit.record_refusal(
            session,
            actor=principal,
            action="young_person.register",
            via=Via.web,
            outcome="denied",
            detail={"responsible_la": data.responsible_la},
        )
        raise Forbidden("your role may not register young people for this local authority")
    registered = registration.register(session, data=data, actor=principal, via=Via.web)
    if isinstance(registered, AlreadyKnown):
        return render(request, "already_known.html", {"known": registered}, status_code=409)
    return RedirectResponse(f"/young-people/{registered.ref}?registered=1", status_code=303)


@router.post("/young-people/{ref}/care-team", dependencies=[CsrfChecked])
def add_member(
    request: Request,
    ref: Ref,
    session: SessionDep,
    principal: WebPrincipal,
    username: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    young_person = people.get(session, ref=ref)
    case_access.authorise(
        session,
        principal=principal,
        young_person=young_person,
        rule=access.may_manage_care_team,
        action="care_team.add",
        via=Via.web,
    )
    try:
        data = CareTeamMemberCreate.model_validate({"username": username.strip(), "role": role})
    except ValidationError as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in _errors(exc).items())
        return render(
            request,
            "error.html",
            {"heading": "Check the care team member", "detail": detail, "status_code": 400},
            status_code=400,
        )
    people.add_member(session, young_person=young_person, data=data, actor=principal, via=Via.web)
    return RedirectResponse(f"/young-people/{ref}?added={data.username}", status_code=303)
