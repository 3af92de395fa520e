"""HTTP layer for a young person's plans: the overview, the care plan (with versions and reviews) and the
safety plan (with versions). Discharge plans are in `discharge_routes.py`, included here.

Reading needs `access.may_view`; writing needs `access.may_assess`, the rule that already decides who may
write needs assessments (an assessing role able to see the young person). Every read and write is audited;
refusals are audited as `denied`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from fastapi.responses import JSONResponse

from schemas.api.plans import (
    CarePlanContent,
    CarePlanRead,
    CarePlanWithheld,
    PlansOverview,
    ReviewCreate,
    ReviewRead,
    SafetyPlanContent,
    SafetyPlanRead,
)
from services.api.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.api.plans_discharge import router as discharge_router
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.errors import Forbidden, NotFound
from services.kernel.identity import Principal
from services.people import access
from services.people.access import CaseFacts
from services.people.models import YoungPerson
from services.plans import fhir, views
from services.plans import service as plans
from services.plans.models import CarePlan, SafetyPlan

router = APIRouter(prefix="/api/v1/young-people/{ref}", tags=["plans"])
router.include_router(discharge_router)

Rule = Callable[[Principal, CaseFacts], bool]
VersionNumber = Annotated[int, Path(ge=1)]


def allowed(rule: Rule, action: str) -> Any:
    """The young person in the path, if the rule lets the caller do `action` (a refusal is audited)."""
    return Depends(young_person_dependency(rule, action))


def _audit(session: SessionDep, principal: Principal, action: str, ref: str, **detail: Any) -> None:
    audit.record(session, actor=principal, action=action, via=principal.via, ref=ref, detail=detail or None)


@router.get("/plans", response_model=PlansOverview)
def overview(
    young_person: Annotated[YoungPerson, allowed(access.may_view, "plans.read")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> PlansOverview:
    """The current care plan and safety plan, every discharge plan, and warnings such as
    "safety plan without care plan". The care plan says `content_withheld` (and whom to `ask`) when the
    young person did not consent to share it with the caller's agency."""
    _audit(session, principal, "plans.read", young_person.ref)
    return views.overview(session, young_person, today=utcnow().date(), reader=principal)


# ---------------------------------------------------------------- care plan

CarePlanAnswer = CarePlanRead | CarePlanWithheld


def _shown(
    session: SessionDep, principal: Principal, plan: CarePlan, action: str, **detail: Any
) -> CarePlanAnswer:
    """The version as the caller may see it, audited: `withheld` (with the caller's agency) when the young
    person did not consent to share it with that agency (access.may_read_care_plan_content)."""
    agency = views.withheld_from(session, principal, plan)
    if agency is None:
        _audit(session, principal, action, plan.young_person.ref, version=plan.version, **detail)
        return views.care_plan_read(session, plan, today=utcnow().date())
    audit.record(
        session,
        actor=principal,
        action=action,
        via=principal.via,
        ref=plan.young_person.ref,
        outcome="withheld",
        detail={"version": plan.version, "agency": agency, **detail},
    )
    return views.care_plan_withheld(plan, agency=agency)


def _refuse_if_withheld(
    session: SessionDep, principal: Principal, young_person: YoungPerson, action: str
) -> None:
    """Changing or reviewing a plan whose content the caller may not read is refused (audited): nobody
    rewrites or reviews what they cannot see; they ask the care coordinator."""
    plan = plans.current(session, CarePlan, young_person_id=young_person.id)
    agency = views.withheld_from(session, principal, plan) if plan is not None else None
    if plan is None or agency is None:
        return
    audit.record_refusal(
        session,
        actor=principal,
        action=action,
        via=principal.via,
        ref=young_person.ref,
        outcome="withheld",
        detail={"version": plan.version, "agency": agency},
    )
    raise Forbidden(views.care_plan_withheld(plan, agency=agency).reason)


def _save_care_plan(
    session: SessionDep, principal: Principal, young_person: YoungPerson, body: CarePlanContent, create: bool
) -> CarePlanAnswer:
    if not create:
        _refuse_if_withheld(session, principal, young_person, "care_plan.update")
    plan = plans.save_care_plan(
        session, young_person=young_person, data=body, actor=principal, via=principal.via, create=create
    )
    if views.withheld_from(session, principal, plan) is not None:
        return views.care_plan_withheld(plan, agency=str(views.withheld_from(session, principal, plan)))
    return views.care_plan_read(session, plan, today=utcnow().date())


@router.post("/care-plan", status_code=status.HTTP_201_CREATED, response_model=CarePlanAnswer)
def create_care_plan(
    body: CarePlanContent,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "care_plan.create")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CarePlanAnswer:
    """The first version of the care plan (NICE NG225): aims, goals, interventions with their owners, made
    jointly with the young person, shared with consent (`sharing.agency_consent` per agency), review date.
    409 if one exists (use PUT)."""
    return _save_care_plan(session, principal, young_person, body, create=True)


@router.put("/care-plan", response_model=CarePlanAnswer)
def update_care_plan(
    body: CarePlanContent,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "care_plan.update")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CarePlanAnswer:
    """A new version of the care plan; the previous one stays readable in the history. 403 for a member of
    an agency the current version is withheld from."""
    return _save_care_plan(session, principal, young_person, body, create=False)


@router.get("/care-plan", response_model=CarePlanAnswer)
def read_care_plan(
    young_person: Annotated[YoungPerson, allowed(access.may_view, "care_plan.read")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CarePlanAnswer:
    """The current version, with every review; or, when the young person did not consent to share it with
    the caller's agency, `content_withheld`: that it exists, its review date and whom to ask."""
    plan = plans.current(session, CarePlan, young_person_id=young_person.id)
    if plan is None:  # kept: the attempt is audited although the answer is a 404
        audit.record_kept(
            session, actor=principal, action="care_plan.read", via=principal.via, ref=young_person.ref
        )
        raise NotFound(f"{young_person.ref} has no care plan")
    return _shown(session, principal, plan, "care_plan.read")


@router.get("/care-plan/versions", response_model=list[CarePlanAnswer])
def care_plan_history(
    young_person: Annotated[YoungPerson, allowed(access.may_view, "care_plan.history")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[CarePlanAnswer]:
    """Every version, newest first (each withheld from an agency its own consent excludes)."""
    found = plans.history(session, CarePlan, young_person_id=young_person.id)
    if not found:
        _audit(session, principal, "care_plan.history", young_person.ref)
    return [_shown(session, principal, p, "care_plan.history") for p in found]


@router.get("/care-plan/versions/{number}", response_model=CarePlanAnswer)
def care_plan_version(
    number: VersionNumber,
    young_person: Annotated[YoungPerson, allowed(access.may_view, "care_plan.read")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CarePlanAnswer:
    plan = plans.version(session, CarePlan, young_person_id=young_person.id, number=number)
    return _shown(session, principal, plan, "care_plan.read")


@router.post("/care-plan/reviews", status_code=status.HTTP_201_CREATED, response_model=ReviewRead)
def review_care_plan(
    body: ReviewCreate,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "care_plan.review")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ReviewRead:
    """Record a review (outcome, who, when, next review date). The care coordinator is prompted to re-score
    the needs assessment, once per review. 403 for a member of an agency the plan is withheld from."""
    _refuse_if_withheld(session, principal, young_person, "care_plan.review")
    review = plans.review_care_plan(
        session, young_person=young_person, data=body, actor=principal, via=principal.via, now=utcnow()
    )
    return views.review_read(review)


@router.get("/care-plan/reviews", response_model=list[ReviewRead])
def care_plan_reviews(
    young_person: Annotated[YoungPerson, allowed(access.may_view, "care_plan.reviews")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[ReviewRead]:
    """Every review; 403 (naming whom to ask) when the current care plan is withheld from the caller's
    agency: a review's outcome is the plan's content."""
    _refuse_if_withheld(session, principal, young_person, "care_plan.reviews")
    found = plans.reviews(session, young_person_id=young_person.id)
    _audit(session, principal, "care_plan.reviews", young_person.ref)
    return [views.review_read(r) for r in found]


# ---------------------------------------------------------------- safety plan


def _save_safety_plan(
    session: SessionDep,
    principal: Principal,
    young_person: YoungPerson,
    body: SafetyPlanContent,
    create: bool,
) -> SafetyPlanRead:
    plan = plans.save_safety_plan(
        session, young_person=young_person, data=body, actor=principal, via=principal.via, create=create
    )
    return views.safety_plan_read(session, plan, today=utcnow().date())


@router.post("/safety-plan", status_code=status.HTTP_201_CREATED, response_model=SafetyPlanRead)
def create_safety_plan(
    body: SafetyPlanContent,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "safety_plan.create")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> SafetyPlanRead:
    """The first version of the safety plan (Stanley-Brown, in the young person's own words). Without a
    care plan the answer warns "safety plan without care plan" and the chronology records it."""
    return _save_safety_plan(session, principal, young_person, body, create=True)


@router.put("/safety-plan", response_model=SafetyPlanRead)
def update_safety_plan(
    body: SafetyPlanContent,
    young_person: Annotated[YoungPerson, allowed(access.may_assess, "safety_plan.update")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> SafetyPlanRead:
    return _save_safety_plan(session, principal, young_person, body, create=False)


@router.get("/safety-plan", response_model=SafetyPlanRead)
def read_safety_plan(
    young_person: Annotated[YoungPerson, allowed(access.may_view, "safety_plan.read")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> SafetyPlanRead:
    plan = plans.current(session, SafetyPlan, young_person_id=young_person.id)
    # kept when there is no plan to read: the attempt is audited although the answer is a 404
    audit.record_kept(
        session, actor=principal, action="safety_plan.read", via=principal.via, ref=young_person.ref
    )
    if plan is None:
        raise NotFound(f"{young_person.ref} has no safety plan")
    return views.safety_plan_read(session, plan, today=utcnow().date())


@router.get("/safety-plan/versions", response_model=list[SafetyPlanRead])
def safety_plan_history(
    young_person: Annotated[YoungPerson, allowed(access.may_view, "safety_plan.history")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[SafetyPlanRead]:
    found = plans.history(session, SafetyPlan, young_person_id=young_person.id)
    _audit(session, principal, "safety_plan.history", young_person.ref)
    today = utcnow().date()
    return [views.safety_plan_read(session, p, today=today) for p in found]


@router.get("/safety-plan/versions/{number}", response_model=SafetyPlanRead)
def safety_plan_version(
    number: VersionNumber,
    young_person: Annotated[YoungPerson, allowed(access.may_view, "safety_plan.read")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> SafetyPlanRead:
    plan = plans.version(session, SafetyPlan, young_person_id=young_person.id, number=number)
    _audit(session, principal, "safety_plan.read", young_person.ref, version=number)
    return views.safety_plan_read(session, plan, today=utcnow().date())


# ---------------------------------------------------------------- FHIR R4 export

FHIR_JSON: dict[int | str, dict[str, Any]] = {200: {"content": {fhir.MEDIA_TYPE: {}}}}


def _load(
    session: SessionDep, model: type[plans.Plan], young_person: YoungPerson, number: int | None
) -> plans.Plan:
    if number is not None:
        return plans.version(session, model, young_person_id=young_person.id, number=number)
    plan = plans.current(session, model, young_person_id=young_person.id)
    if plan is None:
        raise NotFound(f"{young_person.ref} has no {'care plan' if model is CarePlan else 'safety plan'}")
    return plan


def _fhir(
    session: SessionDep,
    principal: Principal,
    young_person: YoungPerson,
    number: int | None,
    safety: bool = False,
) -> JSONResponse:
    """The care plan (or with `safety` the safety plan) version as a FHIR CarePlan; `replaces` the one
    before."""
    action = "safety_plan.export_fhir" if safety else "care_plan.export_fhir"
    plan: CarePlan | SafetyPlan
    try:
        plan = (
            _load(session, SafetyPlan, young_person, number)
            if safety
            else _load(session, CarePlan, young_person, number)
        )
    except NotFound:  # "there is none" is also something learnt about the young person: kept through the 404
        detail = {"version": number, "found": False}
        audit.record_kept(
            session, actor=principal, action=action, via=principal.via, ref=young_person.ref, detail=detail
        )
        raise
    previous = plan.version - 1 if plan.version > 1 else None
    if isinstance(plan, CarePlan):
        agency = views.withheld_from(session, principal, plan)
        if agency is not None:  # the FHIR copy is the content too
            audit.record_refusal(
                session,
                actor=principal,
                action=action,
                via=principal.via,
                ref=young_person.ref,
                outcome="withheld",
                detail={"version": plan.version, "agency": agency},
            )
            raise Forbidden(views.care_plan_withheld(plan, agency=agency).reason)
    if isinstance(plan, SafetyPlan):
        resource = fhir.safety_plan(plan, previous_version=previous)
    else:
        resource = fhir.care_plan(plan, previous_version=previous)
    _audit(session, principal, action, young_person.ref, version=plan.version)
    return JSONResponse(content=resource, media_type=fhir.MEDIA_TYPE)


@router.get("/care-plan/fhir", response_class=JSONResponse, responses=FHIR_JSON)
def care_plan_fhir(
    young_person: Annotated[YoungPerson, allowed(access.may_view, "care_plan.export_fhir")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """The current care plan as a FHIR R4 CarePlan (aims and goals as contained Goals, interventions as
    activities); the young person is identified by ref only."""
    return _fhir(session, principal, young_person, None)


@router.get("/care-plan/versions/{number}/fhir", response_class=JSONResponse, responses=FHIR_JSON)
def care_plan_version_fhir(
    number: VersionNumber,
    young_person: Annotated[YoungPerson, allowed(access.may_view, "care_plan.export_fhir")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """One version as a FHIR R4 CarePlan; a superseded version has status `revoked`."""
    return _fhir(session, principal, young_person, number)


@router.get("/safety-plan/fhir", response_class=JSONResponse, responses=FHIR_JSON)
def safety_plan_fhir(
    young_person: Annotated[YoungPerson, allowed(access.may_view, "safety_plan.export_fhir")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """The current safety plan as a FHIR R4 CarePlan with category `safety-plan` and `meta.versionId`:
    each item of each Stanley-Brown step is an activity in the young person's own words."""
    return _fhir(session, principal, young_person, None, safety=True)


@router.get("/safety-plan/versions/{number}/fhir", response_class=JSONResponse, responses=FHIR_JSON)
def safety_plan_version_fhir(
    number: VersionNumber,
    young_person: Annotated[YoungPerson, allowed(access.may_view, "safety_plan.export_fhir")],
    session: SessionDep,
    principal: CurrentPrincipal,
) -> JSONResponse:
    """One safety plan version as a FHIR R4 CarePlan; a superseded version has status `revoked`."""
    return _fhir(session, principal, young_person, number, safety=True)
