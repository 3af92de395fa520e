"""HTTP layer for acute attendances."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.attendances import service as attendances
from services.attendances.schemas import AttendanceAccepted, AttendanceCreate
from services.audit import service as audit
from services.deps import CurrentPrincipal, SessionDep
from services.errors import Forbidden
from services.people import access

router = APIRouter(prefix="/api/v1/attendances", tags=["attendances"])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=AttendanceAccepted,
    responses={
        200: {"model": AttendanceAccepted, "description": "A repeat of (source, source_id): nothing new"},
        422: {"description": "Bad input, such as an NHS number that fails its check digit"},
    },
)
def record_attendance(
    body: AttendanceCreate, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> AttendanceAccepted:
    """Record an acute attendance and alert the young person's care team.

    A repeat of the same `source` and `source_id` answers 200 with the same `id` and alerts nobody again.
    An NHS number that is valid but not registered is answered 202 with `outcome` `not_registered`, a
    null `id`, and nothing identifying kept.
    """
    if not access.may_record_attendance(principal):
        audit.record_refusal(
            session,
            actor=principal,
            action="attendance.record",
            via=principal.via,
            outcome="denied",
            detail={"source": body.source},
        )
        raise Forbidden("your role may not record attendances")
    recorded = attendances.record(session, data=body, actor=principal, via=principal.via)
    if recorded.outcome == "duplicate":
        response.status_code = status.HTTP_200_OK
    return AttendanceAccepted(
        id=recorded.attendance.id if recorded.attendance else None,
        young_person_ref=recorded.young_person_ref,
        notifications_queued=recorded.notifications_queued,
        outcome=recorded.outcome,
    )
