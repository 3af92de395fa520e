"""HTTP layer for needs assessments, the unmet-needs register, Gateway/Resolution escalations and THRIVE."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from sqlalchemy.orm import Session

from schemas.api.assessments import (
    AnswerRead,
    AnswerSave,
    AssessmentComplete,
    AssessmentRead,
    AssessmentStart,
    AssessmentSummary,
    EscalationClose,
    EscalationRaise,
    EscalationRead,
    NeedCreate,
    NeedRead,
    NeedUpdate,
    ResultRead,
    TemplateSummary,
    ThriveCreate,
    ThriveRead,
)
from schemas.enums import AssessmentStatus, EscalationLevel, EscalationStatus, NeedStatus, Thrive, Via
from schemas.settings import get_settings
from services.api.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.assessments import gateway, needs, templates
from services.assessments import service as assessments
from services.assessments.models import Assessment, Escalation, UnmetNeed
from services.flows import case_access
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.identity import Principal
from services.people import access
from services.people.access import CaseFacts
from services.people.models import YoungPerson

router = APIRouter(prefix="/api/v1", tags=["needs assessments"])
Rule = Callable[[Principal, CaseFacts], bool]

Viewable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_view, "assessment.list"))]
Assessable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_assess, "assessment.start"))]
ThriveWritable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_assess, "thrive.record"))]


def _authorise(
    session: Session, principal: Principal, young_person: YoungPerson, rule: Rule, action: str
) -> None:
    case_access.authorise(
        session, principal=principal, young_person=young_person, rule=rule, action=action, via=principal.via
    )


def _assessment(
    session: Session, principal: Principal, assessment_id: int, rule: Rule, action: str
) -> Assessment:
    assessment = assessments.get(session, assessment_id=assessment_id)
    _authorise(session, principal, assessment.young_person, rule, action)
    return assessment


def _summary(a: Assessment) -> AssessmentSummary:
    return AssessmentSummary(
        id=a.id,
        young_person_ref=a.young_person.ref,
        template_id=a.template.template_id,
        template_version=a.template.version,
        version=a.version,
        previous_id=a.previous_id,
        status=AssessmentStatus(a.status),
        level=a.level,
        started_by=a.started_by.username,
        started_at=a.started_at,
        completed_at=a.completed_at,
    )


def _escalation_read(e: Escalation) -> EscalationRead:
    return EscalationRead(
        id=e.id,
        young_person_ref=e.young_person.ref,
        assessment_id=e.assessment_id,
        level=EscalationLevel(e.level),
        status=EscalationStatus(e.status),
        cetr_prompt=e.cetr_prompt,
        reason=e.reason,
        raised_from_id=e.raised_from_id,
        created_at=e.created_at,
        closed_at=e.closed_at,
        outcome=e.outcome,
    )


def _read(session: Session, a: Assessment) -> AssessmentRead:
    result = None
    if a.result is not None:
        result = ResultRead(
            **a.result, recommendations=assessments.recommendations(a.result["level"], get_settings())
        )
    open_ = a.status in assessments.OPEN
    return AssessmentRead(
        **_summary(a).model_dump(),
        completed_by=a.completed_by.username if a.completed_by else None,
        formulation=a.formulation,
        answers=assessments.current_answers(a),
        history=[
            AnswerRead(
                link_id=r.link_id,
                value=r.value,
                answered_by=r.answered_by.username,
                answered_at=r.answered_at,
                via=Via(r.via),
            )
            for r in a.answers
        ],
        result=result,
        missing=assessments.missing(session, assessment=a, formulation=a.formulation or "-") if open_ else [],
        open_items=assessments.open_items(a),
        escalations=[
            _escalation_read(e)
            for e in gateway.list_for(session, young_person_id=a.young_person_id)
            if e.assessment_id == a.id
        ],
    )


def _need_read(n: UnmetNeed) -> NeedRead:
    return NeedRead(
        id=n.id,
        young_person_ref=n.young_person.ref,
        assessment_id=n.assessment_id,
        link_id=n.link_id,
        domain=n.domain,
        owning_team=n.owning_team.code,
        action=n.action,
        due_date=n.due_date,
        status=NeedStatus(n.status),
        overdue=needs.is_overdue(n, utcnow().date()),
        created_at=n.created_at,
    )


@router.get("/assessment-templates", response_model=list[TemplateSummary])
def list_templates(session: SessionDep, _principal: CurrentPrincipal) -> list[TemplateSummary]:
    """Every stored template version (the bundled ones are stored on first use)."""
    templates.sync(session)
    return [
        TemplateSummary(
            template_id=t.template_id, version=t.version, title=t.title, content_hash=t.content_hash
        )
        for t in templates.all_versions(session)
    ]


@router.get("/assessment-templates/{template_id}/versions/{version}")
def read_template(
    template_id: str, version: int, session: SessionDep, _principal: CurrentPrincipal
) -> dict[str, object]:
    """The template's content: sections with band thresholds, and items with their linkIds."""
    templates.sync(session)
    return templates.get(session, template_id=template_id, version=version).content


@router.post(
    "/young-people/{ref}/assessments", status_code=status.HTTP_201_CREATED, response_model=AssessmentRead
)
def start(
    body: AssessmentStart, young_person: Assessable, session: SessionDep, principal: CurrentPrincipal
) -> AssessmentRead:
    """Start a needs assessment on the newest version of the template (the version is pinned)."""
    assessment = assessments.start(
        session, young_person=young_person, template_id=body.template_id, actor=principal, via=principal.via
    )
    return _read(session, assessment)


@router.get("/young-people/{ref}/assessments", response_model=list[AssessmentSummary])
def list_assessments(
    young_person: Viewable, session: SessionDep, principal: CurrentPrincipal
) -> list[AssessmentSummary]:
    found = assessments.list_for(session, young_person_id=young_person.id)
    audit.record(session, actor=principal, action="assessment.list", via=principal.via, ref=young_person.ref)
    return [_summary(a) for a in found]


AssessmentId = Annotated[int, Path(ge=1)]


@router.get("/assessments/{assessment_id}", response_model=AssessmentRead)
def read(assessment_id: AssessmentId, session: SessionDep, principal: CurrentPrincipal) -> AssessmentRead:
    """One assessment: answers and their history, and once completed its level with the explanation."""
    a = _assessment(session, principal, assessment_id, access.may_view, "assessment.read")
    audit.record(
        session,
        actor=principal,
        action="assessment.read",
        via=principal.via,
        ref=a.young_person.ref,
        detail={"assessment_id": a.id},
    )
    return _read(session, a)


@router.put("/assessments/{assessment_id}/answers/{link_id}", response_model=AnswerRead)
def save_answer(
    assessment_id: AssessmentId,
    link_id: Annotated[str, Path(max_length=64)],
    body: AnswerSave,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> AnswerRead:
    """Save one answer (null clears it); each save is kept with who gave it, when and how."""
    a = _assessment(session, principal, assessment_id, access.may_assess, "assessment.answer")
    row = assessments.answer(
        session, assessment=a, link_id=link_id, value=body.value, actor=principal, via=principal.via
    )
    return AnswerRead(
        link_id=row.link_id,
        value=row.value,
        answered_by=principal.username,
        answered_at=row.answered_at,
        via=principal.via,
    )


@router.post("/assessments/{assessment_id}/complete", response_model=AssessmentRead)
def complete(
    assessment_id: AssessmentId, body: AssessmentComplete, session: SessionDep, principal: CurrentPrincipal
) -> AssessmentRead:
    """Complete with a risk formulation: scores it, and a HIGH level makes a Gateway (Level 1) referral."""
    a = _assessment(session, principal, assessment_id, access.may_assess, "assessment.complete")
    assessments.complete(
        session,
        assessment=a,
        formulation=body.formulation,
        actor=principal,
        via=principal.via,
        settings=get_settings(),
    )
    return _read(session, a)


@router.post(
    "/assessments/{assessment_id}/amend", status_code=status.HTTP_201_CREATED, response_model=AssessmentRead
)
def amend(assessment_id: AssessmentId, session: SessionDep, principal: CurrentPrincipal) -> AssessmentRead:
    """A new version of a completed assessment, in progress, with its answers; the old one stays readable."""
    a = _assessment(session, principal, assessment_id, access.may_assess, "assessment.amend")
    newer = assessments.amend(session, assessment=a, actor=principal, via=principal.via)
    return _read(session, newer)


@router.post(
    "/assessments/{assessment_id}/needs", status_code=status.HTTP_201_CREATED, response_model=NeedRead
)
def add_need(
    assessment_id: AssessmentId, body: NeedCreate, session: SessionDep, principal: CurrentPrincipal
) -> NeedRead:
    """Put an unmet need found in Section C on the register, with its owning team, action and due date."""
    a = _assessment(session, principal, assessment_id, access.may_assess, "need.record")
    need = needs.add(
        session,
        assessment=a,
        link_id=body.link_id,
        owning_team=body.owning_team,
        action=body.action,
        due_date=body.due_date,
        actor=principal,
        via=principal.via,
    )
    return _need_read(need)


@router.get("/young-people/{ref}/needs", response_model=list[NeedRead])
def list_needs(young_person: Viewable, session: SessionDep, principal: CurrentPrincipal) -> list[NeedRead]:
    """The unmet-needs register, soonest due first."""
    found = needs.list_for(session, young_person_id=young_person.id)
    audit.record(session, actor=principal, action="need.list", via=principal.via, ref=young_person.ref)
    return [_need_read(n) for n in found]


@router.patch("/needs/{need_id}", response_model=NeedRead)
def update_need(
    need_id: Annotated[int, Path(ge=1)], body: NeedUpdate, session: SessionDep, principal: CurrentPrincipal
) -> NeedRead:
    need = needs.get(session, need_id=need_id)
    _authorise(session, principal, need.young_person, access.may_assess, "need.update")
    needs.set_status(session, need=need, status=body.status, actor=principal, via=principal.via)
    return _need_read(need)


EscalationId = Annotated[int, Path(ge=1)]


@router.post("/escalations/{escalation_id}/resolution", status_code=status.HTTP_201_CREATED)
def raise_to_resolution(
    escalation_id: EscalationId, body: EscalationRaise, session: SessionDep, principal: CurrentPrincipal
) -> EscalationRead:
    """Raise an open Gateway (Level 1) referral to a Resolution (Level 2) request."""
    referral = gateway.get(session, escalation_id=escalation_id)
    _authorise(session, principal, referral.young_person, access.may_assess, "escalation.resolution_request")
    request = gateway.raise_to_resolution(
        session,
        referral=referral,
        reason=body.reason,
        actor=principal,
        via=principal.via,
        settings=get_settings(),
    )
    return _escalation_read(request)


@router.post("/escalations/{escalation_id}/resolve")
def resolve(
    escalation_id: EscalationId, body: EscalationClose, session: SessionDep, principal: CurrentPrincipal
) -> EscalationRead:
    found = gateway.get(session, escalation_id=escalation_id)
    _authorise(session, principal, found.young_person, access.may_assess, "escalation.resolve")
    gateway.close(session, escalation=found, outcome=body.outcome, actor=principal, via=principal.via)
    return _escalation_read(found)


@router.post("/young-people/{ref}/thrive", status_code=status.HTTP_201_CREATED, response_model=ThriveRead)
def record_thrive(
    body: ThriveCreate, young_person: ThriveWritable, session: SessionDep, principal: CurrentPrincipal
) -> ThriveRead:
    """Record the THRIVE grouping agreed on a date, with the rationale and whether the young person and
    family agreed. Earlier groupings are kept as history."""
    record = needs.record_thrive(
        session,
        young_person=young_person,
        grouping=body.grouping,
        on=body.on,
        rationale=body.rationale,
        young_person_agreed=body.young_person_agreed,
        family_agreed=body.family_agreed,
        actor=principal,
        via=principal.via,
    )
    return ThriveRead(
        grouping=Thrive(record.grouping),
        on=record.on,
        rationale=record.rationale,
        young_person_agreed=record.young_person_agreed,
        family_agreed=record.family_agreed,
        assessor=principal.username,
        recorded_at=record.recorded_at,
    )


@router.get("/young-people/{ref}/thrive", response_model=list[ThriveRead])
def thrive_history(
    young_person: Viewable, session: SessionDep, principal: CurrentPrincipal
) -> list[ThriveRead]:
    """THRIVE groupings, newest first: the first is current."""
    found = needs.thrive_history(session, young_person_id=young_person.id)
    audit.record(session, actor=principal, action="thrive.read", via=principal.via, ref=young_person.ref)
    return [
        ThriveRead(
            grouping=Thrive(r.grouping),
            on=r.on,
            rationale=r.rationale,
            young_person_agreed=r.young_person_agreed,
            family_agreed=r.family_agreed,
            assessor=r.assessor.username,
            recorded_at=r.recorded_at,
        )
        for r in found
    ]
