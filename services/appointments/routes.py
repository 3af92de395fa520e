"""HTTP layer for appointments and missed appointments (paths below `/api/v1/young-people/{ref}`).

A care-team member (or someone of the owning team) books an appointment of any service and records what
happened at it; a miss goes through the was-not-brought engine. A discharge plan's follow-up is an
appointment too: its outcome is recorded here, or through the plan's alias path (`discharge_routes.py`).
Reading needs `access.may_view`. Every read and write is audited; a refusal is audited `denied`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response, status

from schemas.api.appointments import (
    AppointmentCreate,
    AppointmentOutcome,
    AppointmentRead,
    AppointmentsRead,
    AppointmentUpdate,
    MissedAppointmentsRead,
)
from schemas.settings import get_settings
from services.appointments import booking, moving, views
from services.appointments.models import Appointment
from services.audit import service as audit
from services.clock import utcnow
from services.deps import CurrentPrincipal, SessionDep, young_person_dependency
from services.errors import NotFound
from services.people import access
from services.people import service as people
from services.people.access import CaseFacts, Principal
from services.people.models import YoungPerson

router = APIRouter(prefix="/api/v1/young-people/{ref}", tags=["missed appointments"])

Ref = Annotated[str, Path(min_length=1, max_length=32)]
AppointmentId = Annotated[int, Path(ge=1)]
Viewable = Annotated[
    YoungPerson, Depends(young_person_dependency(access.may_view, "missed_appointment.list"))
]
ListViewable = Annotated[YoungPerson, Depends(young_person_dependency(access.may_view, "appointment.list"))]
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"description": "A miss without what it needs: `detail` names everything missing"}
}


@router.get("/missed-appointments", response_model=MissedAppointmentsRead)
def list_missed(
    young_person: Viewable, session: SessionDep, principal: CurrentPrincipal
) -> MissedAppointmentsRead:
    """Every missed appointment (was not brought / did not attend), discharge-plan follow-ups and other
    care-team appointments alike, newest first, with why, the barriers, the capacity check behind a
    did_not_attend and who was told; and the counts in the window (`MISSED_APPOINTMENTS_WINDOW_DAYS`)
    against the threshold (`MISSED_APPOINTMENTS_THRESHOLD`)."""
    settings = get_settings()
    found = views.overview(
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
    return found


@router.post(
    "/appointments",
    status_code=status.HTTP_201_CREATED,
    response_model=AppointmentRead,
    responses={200: {"description": "Already booked with this external_system and external_id"}},
)
def book(
    ref: Ref, body: AppointmentCreate, response: Response, session: SessionDep, principal: CurrentPrincipal
) -> AppointmentRead:
    """Book an appointment of any care-team service (when, owning team, optional named owner, kind,
    optional external id and system). Whoever may assess the young person may book; so may someone of the
    owning team when that team is on the care team. A resend with the same external id is answered 200
    with the appointment already booked."""
    young_person = people.get(session, ref=ref)
    team = booking.team_by_code(session, body.owner_team)
    team_id = team.id if team else -1

    def rule(who: Principal, case: CaseFacts) -> bool:
        return access.may_book_appointment(who, case, owner_team_id=team_id)

    people.authorise(
        session,
        principal=principal,
        young_person=young_person,
        rule=rule,
        action="appointment.book",
        via=principal.via,
    )
    if team is None:
        raise NotFound(f"owner_team: no team {body.owner_team!r}")
    appointment, fresh = booking.book(
        session,
        young_person=young_person,
        data=body,
        team=team,
        actor=principal,
        via=principal.via,
        now=utcnow(),
    )
    if not fresh:
        audit.record(
            session,
            actor=principal,
            action="appointment.book_repeat",
            via=principal.via,
            ref=young_person.ref,
            detail={"appointment_id": appointment.id},
        )
        response.status_code = status.HTTP_200_OK
    miss = views.for_appointments(session, appointment_ids=[appointment.id]).get(appointment.id)
    return views.appointment_read(appointment, ref=young_person.ref, miss=miss)


@router.get("/appointments", response_model=AppointmentsRead)
def list_appointments(
    young_person: ListViewable, session: SessionDep, principal: CurrentPrincipal
) -> AppointmentsRead:
    """Every care-team appointment (booked here or from a hospital or clinic system), newest first, with
    what happened and, for a miss, why and who was told. Discharge-plan follow-ups are listed with their
    plan."""
    found = views.appointments(session, young_person=young_person)
    audit.record(
        session,
        actor=principal,
        action="appointment.list",
        via=principal.via,
        ref=young_person.ref,
        detail={"count": len(found)},
    )
    return AppointmentsRead(young_person_ref=young_person.ref, appointments=found)


@router.post("/appointments/{appointment_id}/outcome", response_model=AppointmentRead, responses=REFUSED)
def record_outcome(
    ref: Ref,
    appointment_id: AppointmentId,
    body: AppointmentOutcome,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> AppointmentRead:
    """Record what happened: attended, cancelled, was_not_brought or did_not_attend, with a note.

    The one outcome endpoint, for a discharge plan's follow-up too (`.../discharge-plans/{id}/follow-ups/
    {fid}/outcome` is an alias answering with the plan). A miss needs `reason` and `barriers`;
    did_not_attend also needs the adolescent-capacity check (`capacity`), else it is refused: record
    was_not_brought. A miss tells the lead social worker at once for a child with CP plan / CIN / LAC
    status, the care coordinator always, and at the threshold (follow-ups and appointments counted
    together) the GP, the owning services and the safeguarding lead (ref only, once per appointment).
    Another outcome withdraws a miss.
    Whoever may assess the young person may record it, and so may someone of the owning team (a discharge
    plan's follow-up: whoever may assess, as for every discharge-plan write)."""
    young_person = people.get(session, ref=ref)
    appointment = session.get(Appointment, appointment_id)
    if appointment is not None and appointment.young_person_id != young_person.id:
        appointment = None
    owner_team_id = appointment.owner_team_id if appointment else None
    of_plan = appointment is not None and appointment.discharge_plan_id is not None

    def rule(who: Principal, case: CaseFacts) -> bool:
        if of_plan:
            return access.may_assess(who, case)
        return access.may_record_appointment_outcome(who, case, owner_team_id=owner_team_id)

    people.authorise(
        session,
        principal=principal,
        young_person=young_person,
        rule=rule,
        action=booking.outcome_action(appointment) if appointment else "appointment.outcome",
        via=principal.via,
    )
    if appointment is None:
        raise NotFound(f"{young_person.ref} has no appointment {appointment_id}")
    record(session, young_person=young_person, appointment=appointment, body=body, principal=principal)
    miss = views.for_appointments(session, appointment_ids=[appointment.id]).get(appointment.id)
    return views.appointment_read(appointment, ref=young_person.ref, miss=miss)


def record(
    session: SessionDep,
    *,
    young_person: YoungPerson,
    appointment: Appointment,
    body: AppointmentOutcome,
    principal: Principal,
) -> None:
    """Record the outcome (`booking.set_outcome`; a refusal is audited and raised). Shared by the outcome
    endpoint and its discharge-plan alias."""
    booking.set_outcome(
        session,
        young_person=young_person,
        appointment=appointment,
        status=body.status,
        note=body.note,
        reason=body.reason,
        barriers=body.barriers,
        capacity=body.capacity,
        actor=principal,
        via=principal.via,
        now=utcnow(),
        settings=get_settings(),
    )


@router.patch(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    responses={409: {"description": "Not movable: missed, already held or cancelled, or from intake"}},
)
def move_appointment(
    ref: Ref,
    appointment_id: AppointmentId,
    body: AppointmentUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> AppointmentRead:
    """Move an appointment booked in liaison that is not yet held: any of a new start (`at`), owning team,
    named owner (null: nobody) and kind. Whoever may record its outcome may move it; to hand it to another
    team they must also be able to book for that team. An appointment with a recorded miss is refused
    (409, with the reason): the miss stands, and a re-offer is a new booking. So is one already held or
    cancelled, and one from a hospital or clinic system (move it there). Cancel through `.../outcome`."""
    young_person = people.get(session, ref=ref)
    appointment = session.get(Appointment, appointment_id)
    if appointment is not None and appointment.young_person_id != young_person.id:
        appointment = None
    owner_team_id = appointment.owner_team_id if appointment else None
    team = booking.team_by_code(session, body.owner_team) if body.owner_team is not None else None
    new_team_id = (team.id if team else -1) if body.owner_team is not None else None

    def rule(who: Principal, case: CaseFacts) -> bool:
        return access.may_move_appointment(
            who, case, owner_team_id=owner_team_id, new_owner_team_id=new_team_id
        )

    people.authorise(
        session,
        principal=principal,
        young_person=young_person,
        rule=rule,
        action="appointment.move",
        via=principal.via,
    )
    if appointment is None:
        raise NotFound(f"{young_person.ref} has no appointment {appointment_id}")
    if body.owner_team is not None and team is None:
        raise NotFound(f"owner_team: no team {body.owner_team!r}")
    moving.move(
        session,
        young_person=young_person,
        appointment=appointment,
        data=body,
        team=team,
        actor=principal,
        via=principal.via,
        now=utcnow(),
    )
    miss = views.for_appointments(session, appointment_ids=[appointment.id]).get(appointment.id)
    return views.appointment_read(appointment, ref=young_person.ref, miss=miss)
