"""HTTP layer for multi-agency discharge plans (paths below `/api/v1/young-people/{ref}`): drafts, follow-up
appointments, readiness, issue (to everyone named in it) and review. A follow-up's outcome path is an alias
of the appointment outcome endpoint (`services/appointments/routes.py`).

Reading needs `access.may_view`; writing needs `access.may_assess`. Every read and write is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import JSONResponse

from schemas.api.appointments import AppointmentOutcome
from schemas.api.plans import (
    DischargePlanCreate,
    DischargePlanRead,
    DischargePlanReview,
    DischargePlanSummary,
    DischargePlanUpdate,
    FollowUpCreate,
    Readiness,
)
from schemas.settings import get_settings
from services.appointments import routes as appointment_routes
from services.audit import service as audit
from services.clock import utcnow
from services.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.people import access
from services.people.access import CaseFacts, Principal
from services.people.models import YoungPerson
from services.plans import discharge, issuing, views
from services.plans.fhir import MEDIA_TYPE
from services.plans.fhir_discharge import discharge_plan
from services.plans.models import DischargePlan

router = APIRouter()
Rule = Callable[[Principal, CaseFacts], bool]
PlanId = Annotated[int, Path(ge=1)]
FollowUpId = Annotated[int, Path(ge=1)]
NOT_READY: dict[int | str, dict[str, Any]] = {
    422: {"description": "Not ready to issue: `detail` names everything that is missing"}
}
FHIR_JSON: dict[int | str, dict[str, Any]] = {200: {"content": {MEDIA_TYPE: {}}}}


def allowed(rule: Rule, action: str) -> Any:
    return Depends(young_person_dependency(rule, action))


def _audit(session: SessionDep, principal: Principal, action: str, ref: str, plan_id: int) -> None:
    audit.record(
        session,
        actor=principal,
        action=action,
        via=principal.via,
        ref=ref,
        detail={"discharge_plan_id": plan_id},
    )


def _read(session: SessionDep, plan: DischargePlan) -> DischargePlanRead:
    return views.discharge_read(session, plan, now=utcnow())


@router.post("/discharge-plans", status_code=status.HTTP_201_CREATED, response_model=DischargePlanRead)
def create(
    body: DischargePlanCreate,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "discharge_plan.create")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DischargePlanRead:
    """A draft. Left out, the care coordinator and lead social worker come from the care team, every
    care-team member is an agency contact, the risk section refers to the latest completed assessment and
    the first community contact target is the configured one (72 h unless set to 48 h)."""
    plan = discharge.create(
        session,
        young_person=young_person,
        data=body,
        actor=principal,
        via=principal.via,
        settings=get_settings(),
        now=utcnow(),
    )
    return _read(session, plan)


@router.get("/discharge-plans", response_model=list[DischargePlanSummary])
def list_plans(
    young_person: Annotated[YoungPerson, allowed(access.may_view, "discharge_plan.list")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[DischargePlanSummary]:
    """Every discharge plan, newest first."""
    found = discharge.list_for(session, young_person_id=young_person.id)
    audit.record(
        session, actor=principal, action="discharge_plan.list", via=principal.via, ref=young_person.ref
    )
    return [views.discharge_summary(p) for p in found]


@router.get("/discharge-plans/{plan_id}", response_model=DischargePlanRead)
def read(
    plan_id: PlanId,
    young_person: Annotated[YoungPerson, allowed(access.may_view, "discharge_plan.read")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DischargePlanRead:
    """The plan; a draft says what issuing still needs, an issued plan who it reached and when."""
    plan = discharge.get(session, young_person=young_person, plan_id=plan_id)
    _audit(session, principal, "discharge_plan.read", young_person.ref, plan.id)
    return _read(session, plan)


@router.get("/discharge-plans/{plan_id}/fhir", response_class=JSONResponse, responses=FHIR_JSON)
def read_fhir(
    plan_id: PlanId,
    young_person: Annotated[YoungPerson, allowed(access.may_view, "discharge_plan.export_fhir")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """The plan as a FHIR R4 CarePlan (category `discharge-plan`): follow-up appointments as activities,
    the care coordinator, readiness (drafts), review date and distribution as extensions, the CNEST level
    only as the likelihood of Tier 4 admission, placement breakdown or custody."""
    plan = discharge.get(session, young_person=young_person, plan_id=plan_id)
    resource = discharge_plan(_read(session, plan))
    _audit(session, principal, "discharge_plan.export_fhir", young_person.ref, plan.id)
    return JSONResponse(content=resource, media_type=MEDIA_TYPE)


@router.patch("/discharge-plans/{plan_id}", response_model=DischargePlanRead)
def update(
    plan_id: PlanId,
    body: DischargePlanUpdate,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "discharge_plan.update")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DischargePlanRead:
    """Change the fields sent (drafts only; an issued plan is changed by drafting and issuing a new one)."""
    plan = discharge.get(session, young_person=young_person, plan_id=plan_id)
    discharge.update_draft(session, plan=plan, data=body, actor=principal, via=principal.via, now=utcnow())
    return _read(session, plan)


@router.get("/discharge-plans/{plan_id}/readiness", response_model=Readiness)
def readiness(
    plan_id: PlanId,
    young_person: Annotated[YoungPerson, allowed(access.may_view, "discharge_plan.readiness")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> Readiness:
    """What is missing before the plan can be issued, and warnings. The CNEST level is never a criterion."""
    plan = discharge.get(session, young_person=young_person, plan_id=plan_id)
    _audit(session, principal, "discharge_plan.readiness", young_person.ref, plan.id)
    found = issuing.readiness(session, plan=plan, now=utcnow())
    return Readiness(
        ready=found.ready,
        missing=found.missing,
        warnings=found.warnings,
        first_contact_due_by=found.first_contact_due_by,
    )


@router.post("/discharge-plans/{plan_id}/issue", response_model=DischargePlanRead, responses=NOT_READY)
def issue(
    plan_id: PlanId,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "discharge_plan.issue")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DischargePlanRead:
    """Issue the plan: everyone named in it (care coordinator, lead social worker, agency contacts,
    follow-up owners) is sent a `plan_issued` notification naming the young person by ref only, and should
    be reached within 24 h (NICE QS159). A newer issued plan supersedes the older one."""
    plan = discharge.get(session, young_person=young_person, plan_id=plan_id)
    issuing.issue(session, plan=plan, actor=principal, via=principal.via, now=utcnow())
    return _read(session, plan)


@router.post("/discharge-plans/{plan_id}/review", response_model=DischargePlanRead)
def review(
    plan_id: PlanId,
    body: DischargePlanReview,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "discharge_plan.review")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DischargePlanRead:
    """Mark an issued plan reviewed; the care coordinator is prompted to re-score the needs assessment."""
    plan = discharge.get(session, young_person=young_person, plan_id=plan_id)
    issuing.review(session, plan=plan, outcome=body.outcome, actor=principal, via=principal.via, now=utcnow())
    return _read(session, plan)


@router.post(
    "/discharge-plans/{plan_id}/follow-ups",
    status_code=status.HTTP_201_CREATED,
    response_model=DischargePlanRead,
)
def add_follow_up(
    plan_id: PlanId,
    body: FollowUpCreate,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "discharge_plan.follow_up_add")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DischargePlanRead:
    """Add a follow-up appointment to a draft (when, owning team, optional named owner, location)."""
    plan = discharge.get(session, young_person=young_person, plan_id=plan_id)
    discharge.add_follow_up(session, plan=plan, data=body, actor=principal, via=principal.via)
    return _read(session, plan)


@router.post(
    "/discharge-plans/{plan_id}/follow-ups/{follow_up_id}/outcome",
    response_model=DischargePlanRead,
    responses={422: {"description": "A miss without what it needs: `detail` names everything missing"}},
)
def record_outcome(
    plan_id: PlanId,
    follow_up_id: FollowUpId,
    body: AppointmentOutcome,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "discharge_plan.follow_up_outcome")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> DischargePlanRead:
    """An alias of `POST .../appointments/{follow_up_id}/outcome` (a follow-up is an appointment with the
    plan's id), answering with the plan: the same body, rules and refusals.

    Record what happened: attended, was_not_brought, did_not_attend or cancelled, with a note. A miss needs
    `reason` and `barriers`; did_not_attend (the young person's own informed choice) also needs the
    adolescent-capacity check (`capacity`), else it is refused: record was_not_brought. A miss tells the
    lead social worker at once for a child with CP plan / CIN / LAC status, the care coordinator always, and
    at the threshold the GP, the referring services and the safeguarding lead (ref only, once per
    appointment); the care coordinator is asked to re-score the needs assessment."""
    plan = discharge.get(session, young_person=young_person, plan_id=plan_id)
    follow_up = discharge.follow_up(plan, follow_up_id)
    appointment_routes.record(
        session, young_person=young_person, appointment=follow_up, body=body, principal=principal
    )
    return _read(session, plan)
