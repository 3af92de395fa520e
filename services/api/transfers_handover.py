"""HTTP layer for the FHIR R4 exports of a young person's care team, their flags and the handover Bundle
(paths below `/api/v1/young-people/{ref}`), served as `application/fhir+json`.

Reading needs `access.may_view`: the care team, and while a transfer is in progress the receiving local
authority's safeguarding lead and team managers. Each export is one audit event naming what was exported;
refusals are audited as `denied`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from schemas.settings import get_settings
from services.api.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.fhir import MEDIA_TYPE
from services.kernel.identity import Principal
from services.people import access
from services.people import fhir as people_fhir
from services.people.models import YoungPerson
from services.transfers import fhir as bundles
from services.transfers import handover as handovers

router = APIRouter(prefix="/api/v1/young-people/{ref}", tags=["FHIR export"])
FHIR_JSON: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA_TYPE: {}}}}


def _viewable(action: str) -> Any:
    return Depends(young_person_dependency(access.may_view, action))


def _answer(
    session: SessionDep, principal: Principal, action: str, ref: str, resource: dict[str, Any], **detail: Any
) -> JSONResponse:
    audit.record(session, actor=principal, action=action, via=principal.via, ref=ref, detail=detail)
    return JSONResponse(content=resource, media_type=MEDIA_TYPE)


@router.get("/care-team/fhir", response_class=JSONResponse, responses=FHIR_JSON)
def care_team_fhir(
    young_person: Annotated[YoungPerson, _viewable("care_team.export_fhir")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """The care team as a FHIR R4 CareTeam: each member with their role code and period (a member who left
    through a closure has `period.end`), their team as `onBehalfOf`; the teams as managing organisations."""
    facts = handovers.care_team_facts(session, young_person=young_person)
    resource = people_fhir.care_team(facts)
    members = [m.username for m in facts.members]
    return _answer(session, principal, "care_team.export_fhir", young_person.ref, resource, members=members)


@router.get("/flags/fhir", response_class=JSONResponse, responses=FHIR_JSON)
def flags_fhir(
    young_person: Annotated[YoungPerson, _viewable("flags.export_fhir")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """The safeguarding flags, active and inactive, as FHIR R4 Flags in a `searchset` Bundle: repeat
    attendance, no care coordinator, CP plan / CIN / looked after, transfer in progress, was not brought."""
    now = utcnow()
    found = handovers.flag_resources(session, young_person=young_person, settings=get_settings(), now=now)
    bundle = bundles.searchset(found, now=now)
    return _answer(
        session, principal, "flags.export_fhir", young_person.ref, bundle, resources=bundles.contents(bundle)
    )


@router.get("/fhir/$handover", response_class=JSONResponse, responses=FHIR_JSON)
def handover_fhir(
    young_person: Annotated[YoungPerson, _viewable("young_person.export_fhir_handover")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """What a receiving local authority needs when a case transfers, as one FHIR R4 `collection` Bundle:
    the CareTeam, the current care plan and safety plan, the latest discharge plan, the latest completed
    needs assessment (QuestionnaireResponse) and the active flags. No Patient resource: every resource
    names the young person by ref, as an identifier."""
    found = handovers.handover(
        session, young_person=young_person, settings=get_settings(), now=utcnow(), reader=principal
    )
    return _answer(
        session,
        principal,
        "young_person.export_fhir_handover",
        young_person.ref,
        found.bundle,
        **found.summary,
    )
