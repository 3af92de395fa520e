"""The subject access export of one young person (docs/retention.md): everything held, as JSON or as HTML
for a person to read. Information governance only (`access.may_export_subject_access`); every export and
every refusal is audited."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse

from services.api.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.people import access
from services.people.models import YoungPerson
from services.retention import subject_access

router = APIRouter(prefix="/api/v1/young-people/{ref}", tags=["information governance"])
ACTION = subject_access.ACTION


class Format(StrEnum):
    json = "json"
    html = "html"


Exportable = Annotated[
    YoungPerson, Depends(young_person_dependency(access.may_export_subject_access, ACTION))
]
ANSWERS: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {}, "text/html": {}}}}


@router.get("/subject-access", response_class=JSONResponse, response_model=None, responses=ANSWERS)
def export(
    young_person: Exportable,
    session: SessionDep,
    principal: CurrentPrincipal,
    form: Annotated[Format, Query(alias="format")] = Format.json,
) -> JSONResponse | HTMLResponse:
    """Everything held about the young person: the record, care team, attendances, assessments and their
    answers, plans, appointments, closures, transfers, notifications sent about them and their deliveries,
    the chronology, and every audit event about the ref. `format=html` for a person to read."""
    exported = subject_access.export(session, young_person, now=utcnow())
    audit.record(
        session,
        actor=principal,
        action=ACTION,
        via=principal.via,
        ref=young_person.ref,
        detail={"format": str(form), "rows": subject_access.counts(exported)},
    )
    if form == Format.html:
        return HTMLResponse(subject_access.to_html(exported))
    return JSONResponse(exported)
