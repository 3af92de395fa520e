"""HTTP layer for young people, care teams and chronologies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from schemas.api.chronology import Chronology, ChronologyEvent
from schemas.api.people import (
    AlreadyKnown,
    CareTeamMemberCreate,
    CareTeamMemberRead,
    CaseloadEntry,
    YoungPersonCreate,
    YoungPersonCreated,
    YoungPersonRead,
    YoungPersonUpdate,
)
from schemas.enums import CareTeamRole, YoungPersonStatus
from services.api.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.flows import caseload, moves, registration
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.errors import Forbidden
from services.people import access
from services.people import service as people
from services.people.models import YoungPerson

router = APIRouter(prefix="/api/v1/young-people", tags=["young people"])

Viewable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_view, "young_person.read"))]
Updatable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_update, "young_person.update"))]
TeamReadable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_view, "care_team.read"))]
TeamManageable = Annotated[
    YoungPerson, Depends(young_person_dependency(access.may_manage_care_team, "care_team.add"))
]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=YoungPersonCreated,
    responses={
        409: {
            "model": AlreadyKnown,
            "description": "Already registered: the existing `ref` for someone who may read the record; "
            "anyone else is told which local authority to contact (`known_to`, `contact`), never the ref",
        }
    },
)
def register(body: YoungPersonCreate, session: SessionDep, principal: CurrentPrincipal) -> YoungPersonCreated:
    """Register a young person. The answer is an opaque `ref`, the only name chat and alerts ever use."""
    if not access.may_register(principal, body.responsible_la):
        audit.record_refusal(
            session,
            actor=principal,
            action="young_person.register",
            via=principal.via,
            outcome="denied",
            detail={"responsible_la": body.responsible_la},
        )
        raise Forbidden("your role may not register young people for this local authority")
    registered = registration.register(session, data=body, actor=principal, via=principal.via)
    if isinstance(registered, AlreadyKnown):  # committed with its audit event and whom it told
        return JSONResponse(  # type: ignore[return-value]
            status_code=status.HTTP_409_CONFLICT, content=registered.model_dump(exclude_none=True)
        )
    return YoungPersonCreated(ref=registered.ref)


@router.get("", response_model=list[CaseloadEntry], summary="Your caseload: the young people you may see")
def caseload_list(
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CaseloadEntry]:
    """Newest registration first. Exactly the young people whose record the caller may read."""
    entries = caseload.list_for(session, principal=principal, limit=limit, offset=offset)
    audit.record(
        session,
        actor=principal,
        action="young_person.list",
        via=principal.via,
        detail={"refs": [e.young_person.ref for e in entries]},
    )
    return [
        CaseloadEntry(
            ref=e.young_person.ref,
            given_name=e.young_person.given_name,
            family_name=e.young_person.family_name,
            date_of_birth=e.young_person.date_of_birth,
            responsible_la=e.young_person.responsible_la,
            residence_la=e.young_person.residence_la,
            statuses=[YoungPersonStatus(s) for s in e.young_person.statuses],
            my_role=CareTeamRole(e.my_role) if e.my_role else None,
            last_attendance_at=e.last_attendance_at,
            unacknowledged_for_me=e.unacknowledged_for_me,
        )
        for e in entries
    ]


@router.get("/{ref}", response_model=YoungPersonRead)
def read(young_person: Viewable, session: SessionDep, principal: CurrentPrincipal) -> YoungPersonRead:
    audit.record(
        session, actor=principal, action="young_person.read", via=principal.via, ref=young_person.ref
    )
    return people.to_read(young_person)


@router.patch("/{ref}", response_model=YoungPersonRead)
def change(
    body: YoungPersonUpdate, young_person: Updatable, session: SessionDep, principal: CurrentPrincipal
) -> YoungPersonRead:
    """Change details; a new `residence_la` or `responsible_la` is recorded as a move in the chronology."""
    moves.update(session, young_person=young_person, data=body, actor=principal, via=principal.via)
    return people.to_read(young_person)


@router.get("/{ref}/care-team", response_model=list[CareTeamMemberRead])
def read_care_team(
    young_person: TeamReadable, session: SessionDep, principal: CurrentPrincipal
) -> list[CareTeamMemberRead]:
    """The care team alone (who, in which role and team), without the young person's record: what the bot
    needs to name a care coordinator or a follow-up's owner without reading names or the NHS number."""
    audit.record(session, actor=principal, action="care_team.read", via=principal.via, ref=young_person.ref)
    return [people.member_read(m) for m in young_person.care_team]


@router.post("/{ref}/care-team", status_code=status.HTTP_201_CREATED, response_model=CareTeamMemberRead)
def add_member(
    body: CareTeamMemberCreate, young_person: TeamManageable, session: SessionDep, principal: CurrentPrincipal
) -> CareTeamMemberRead:
    """Add a professional to the care team: they may then see the young person and are told of attendances."""
    member = people.add_member(
        session, young_person=young_person, data=body, actor=principal, via=principal.via
    )
    return people.member_read(member)


@router.get("/{ref}/chronology", response_model=Chronology)
def read_chronology(young_person: Viewable, session: SessionDep, principal: CurrentPrincipal) -> Chronology:
    """Everything that has happened, in time order: attendances, alerts, acknowledgements, moves, ..."""
    entries = chronology.list_for(session, young_person_id=young_person.id)
    audit.record(session, actor=principal, action="chronology.read", via=principal.via, ref=young_person.ref)
    return Chronology(ref=young_person.ref, events=[ChronologyEvent.model_validate(e) for e in entries])
