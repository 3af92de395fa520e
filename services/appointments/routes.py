"""HTTP layer for missed appointments. A miss is recorded through the follow-up outcome endpoint of the
discharge plan (`POST .../discharge-plans/{id}/follow-ups/{fid}/outcome`); this lists them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from schemas.settings import get_settings
from services.appointments import service as missed
from services.appointments.schemas import MissedAppointmentsRead
from services.audit import service as audit
from services.clock import utcnow
from services.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.people import access
from services.people.models import YoungPerson

router = APIRouter(prefix="/api/v1/young-people/{ref}", tags=["missed appointments"])

Viewable = Annotated[
    YoungPerson, Depends(young_person_dependency(access.may_view, "missed_appointment.list"))
]


@router.get("/missed-appointments", response_model=MissedAppointmentsRead)
def list_missed(
    young_person: Viewable, session: SessionDep, principal: CurrentPrincipal
) -> MissedAppointmentsRead:
    """Every missed follow-up (was not brought / did not attend), newest first, with why, the barriers,
    the capacity check behind a did_not_attend and who was told; and the counts in the window
    (`MISSED_APPOINTMENTS_WINDOW_DAYS`) against the threshold (`MISSED_APPOINTMENTS_THRESHOLD`)."""
    settings = get_settings()
    found = missed.overview(
        session,
        young_person=young_person,
        now=utcnow(),
        threshold=settings.missed_appointments_threshold,
        window_days=settings.missed_appointments_window_days,
    )
    audit.record(
        session,
        actor=principal,
        action="missed_appointment.list",
        via=principal.via,
        ref=young_person.ref,
        detail={"count": len(found.missed)},
    )
    session.commit()
    return found
