"""HTTP layer for the FHIR R4 export: template versions as Questionnaires, assessments as
QuestionnaireResponses, served as `application/fhir+json`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from services.assessments import fhir, templates
from services.assessments import service as assessments
from services.audit import service as audit
from services.deps import CurrentPrincipal, SessionDep
from services.people import access
from services.people import service as people

router = APIRouter(prefix="/api/v1", tags=["needs assessments"])
FHIR_JSON: dict[int | str, dict[str, Any]] = {200: {"content": {fhir.MEDIA_TYPE: {}}}}


def _fhir_json(resource: dict[str, Any]) -> JSONResponse:
    return JSONResponse(content=resource, media_type=fhir.MEDIA_TYPE)


@router.get(
    "/assessment-templates/{template_id}/versions/{version}/fhir",
    response_class=JSONResponse,
    responses=FHIR_JSON,
)
def template_questionnaire(
    template_id: str, version: int, session: SessionDep, _principal: CurrentPrincipal
) -> JSONResponse:
    """The template version as a FHIR R4 Questionnaire (sections are groups, help is a display item)."""
    templates.sync(session)
    row = templates.get(session, template_id=template_id, version=version)
    return _fhir_json(fhir.questionnaire(templates.parsed(row)))


@router.get("/assessments/{assessment_id}/fhir", response_class=JSONResponse, responses=FHIR_JSON)
def assessment_response(
    assessment_id: Annotated[int, Path(ge=1)], session: SessionDep, principal: CurrentPrincipal
) -> JSONResponse:
    """The assessment as a FHIR R4 QuestionnaireResponse on its pinned template version; the young person
    is identified by their ref only. The level is labelled as the likelihood of Tier 4 admission, placement
    breakdown or custody, with the risk formulation alongside."""
    a = assessments.get(session, assessment_id=assessment_id)
    people.authorise(
        session,
        principal=principal,
        young_person=a.young_person,
        rule=access.may_view,
        action="assessment.export_fhir",
        via=principal.via,
    )
    resource = fhir.questionnaire_response(
        a, assessments.current_answers(a), template=assessments.template_of(a)
    )
    audit.record(
        session,
        actor=principal,
        action="assessment.export_fhir",
        via=principal.via,
        ref=a.young_person.ref,
        detail={"assessment_id": a.id},
    )
    return _fhir_json(resource)
