"""HTTP layer for the closure guard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from sqlalchemy.orm import Session

from schemas.enums import ClosureReason, ClosureStance, ClosureStatus
from schemas.settings import get_settings
from services.audit import service as audit
from services.clock import utcnow
from services.closures import service as closures
from services.closures.models import Closure
from services.closures.rules import blockers
from services.closures.schemas import ClosureDecide, ClosurePropose, ClosureRead, ClosureRespond, ResponseRead
from services.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.people import access
from services.people import service as people
from services.people.access import Principal
from services.people.models import YoungPerson

router = APIRouter(prefix="/api/v1", tags=["closures"])

Viewable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_view, "closure.list"))]
Proposable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_view, "closure.propose"))]
ClosureId = Annotated[int, Path(ge=1)]


def _read(session: Session, closure: Closure, principal: Principal) -> ClosureRead:
    standing: list[str] = []
    if closure.status == ClosureStatus.proposed:
        now, window = utcnow(), get_settings().missed_appointments_window_days
        found = closures.facts(
            session, closure=closure, decider=principal, now=now, missed_window_days=window
        )
        standing = blockers(found, now=now)
    return ClosureRead(
        id=closure.id,
        young_person_ref=closure.young_person.ref,
        member=closure.member.username,
        member_role=closure.member_role,
        reason=ClosureReason(closure.reason),
        rationale=closure.rationale,
        status=ClosureStatus(closure.status),
        proposed_by=closure.proposed_by.username,
        proposed_at=closure.proposed_at,
        consultation_ends=closure.consultation_ends,
        responses=[
            ResponseRead(
                responder=r.responder.username, stance=ClosureStance(r.stance), comment=r.comment, at=r.at
            )
            for r in closure.responses
        ],
        blockers=standing,
        decided_by=closure.decided_by.username if closure.decided_by else None,
        decided_at=closure.decided_at,
        decision_note=closure.decision_note,
    )


def _closure(session: Session, principal: Principal, closure_id: int, action: str) -> Closure:
    closure = closures.get(session, closure_id=closure_id)
    people.authorise(
        session,
        principal=principal,
        young_person=closure.young_person,
        rule=access.may_view,
        action=action,
        via=principal.via,
    )
    return closure


@router.post(
    "/young-people/{ref}/closures",
    status_code=status.HTTP_201_CREATED,
    response_model=ClosureRead,
    summary="Propose that a service ends its involvement; the care team is consulted",
)
def propose(
    body: ClosurePropose, session: SessionDep, principal: CurrentPrincipal, young_person: Proposable
) -> ClosureRead:
    closure = closures.propose(
        session,
        young_person=young_person,
        data=body,
        actor=principal,
        via=principal.via,
        now=utcnow(),
        consultation_days=get_settings().closure_consultation_days,
    )
    return _read(session, closure, principal)


@router.get(
    "/young-people/{ref}/closures", response_model=list[ClosureRead], summary="A young person's closures"
)
def list_closures(
    session: SessionDep, principal: CurrentPrincipal, young_person: Viewable
) -> list[ClosureRead]:
    found = closures.list_for(session, young_person_id=young_person.id)
    audit.record(session, actor=principal, action="closure.list", via=principal.via, ref=young_person.ref)
    return [_read(session, c, principal) for c in found]


@router.get("/closures/{closure_id}", response_model=ClosureRead, summary="One closure, with what blocks it")
def read(closure_id: ClosureId, session: SessionDep, principal: CurrentPrincipal) -> ClosureRead:
    closure = _closure(session, principal, closure_id, "closure.read")
    audit.record(
        session,
        actor=principal,
        action="closure.read",
        via=principal.via,
        ref=closure.young_person.ref,
        detail={"closure_id": closure.id},
    )
    return _read(session, closure, principal)


@router.post("/closures/{closure_id}/responses", response_model=ClosureRead, summary="Agree or object")
def respond(
    closure_id: ClosureId, body: ClosureRespond, session: SessionDep, principal: CurrentPrincipal
) -> ClosureRead:
    closure = _closure(session, principal, closure_id, "closure.respond")
    closures.respond(session, closure=closure, data=body, actor=principal, via=principal.via, now=utcnow())
    return _read(session, closure, principal)


@router.post(
    "/closures/{closure_id}/decision",
    response_model=ClosureRead,
    summary="Close (refused with 409 and the reasons while the guard stands) or keep the service involved",
)
def decide(
    closure_id: ClosureId, body: ClosureDecide, session: SessionDep, principal: CurrentPrincipal
) -> ClosureRead:
    closure = _closure(session, principal, closure_id, "closure.decide")
    closures.decide(
        session,
        closure=closure,
        data=body,
        actor=principal,
        via=principal.via,
        now=utcnow(),
        missed_window_days=get_settings().missed_appointments_window_days,
    )
    return _read(session, closure, principal)
