"""Moving an appointment booked in liaison that is not yet held: a new start, owning team, named owner or
kind (`PATCH /young-people/{ref}/appointments/{id}`). Cancelling is an outcome (`.../outcome` with
`cancelled`), so there is one way to do it. A missed appointment is never moved (`rules.move_refusal`):
the miss stands for the appointment it was of, and a re-offer is a new booking.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.appointments import AppointmentUpdate
from schemas.enums import Via
from services.appointments import rules
from services.appointments.models import Appointment, MissedAppointment
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.clock import utc_minute
from services.kernel.errors import Conflict, NotFound
from services.kernel.identity import Principal
from services.people.models import YoungPerson
from services.staff.models import Team, User


def refusal(session: Session, appointment: Appointment) -> str | None:
    """Why this appointment may not be moved, or None. A standing miss counts whatever the status says; a
    discharge plan's follow-up changes with its plan."""
    if appointment.discharge_plan_id is not None:
        return (
            f"{appointment.label} belongs to discharge plan {appointment.discharge_plan_id}: it is not moved "
            "here. Change the draft plan, or draft a new plan"
        )
    status = appointment.status
    standing = session.scalar(
        select(MissedAppointment.status).where(
            MissedAppointment.appointment_id == appointment.id, MissedAppointment.withdrawn_at.is_(None)
        )
    )
    return rules.move_refusal(
        label=appointment.label,
        status=standing or status,
        source=appointment.source,
        facility=appointment.facility,
    )


def move(
    session: Session,
    *,
    young_person: YoungPerson,
    appointment: Appointment,
    data: AppointmentUpdate,
    team: Team | None,
    actor: Principal,
    via: Via,
    now: datetime,
) -> bool:
    """Apply the move (409 when it may not be moved: `refusal`, audited `refused`). `team` is the new
    owning team when one is given. True if anything changed."""
    refused = refusal(session, appointment)
    if refused is not None:
        audit.record_refusal(
            session,
            actor=actor,
            action="appointment.move",
            via=via,
            ref=young_person.ref,
            outcome="refused",
            detail={"appointment_id": appointment.id, "status": appointment.status},
        )
        raise Conflict(refused)
    before = _facts(appointment)
    if "owner" in data.model_fields_set:
        owner = None
        if data.owner is not None:
            owner = session.scalar(select(User).where(User.username == data.owner, User.active.is_(True)))
            if owner is None:
                raise NotFound(f"owner: no active user {data.owner!r}")
        appointment.owner, appointment.owner_id = owner, owner.id if owner else None
    if data.at is not None:
        appointment.at = data.at
    if team is not None:
        appointment.owner_team, appointment.owner_team_id = team, team.id
    if data.kind is not None:
        appointment.kind = str(data.kind)
    after = _facts(appointment)
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        words = appointment.what
        chronology.add(
            session,
            young_person_id=young_person.id,
            at=now,
            kind="appointment_moved",
            summary=f"{words} moved (changed: {', '.join(changed).replace('_', ' ')}): now "
            f"{utc_minute(appointment.at)}, was {before['at']} (by {actor.username})",
            detail={"appointment_id": appointment.id, "changed": changed},
        )
    audit.record(
        session,
        actor=actor,
        action="appointment.moved",
        via=via,
        ref=young_person.ref,
        detail={"appointment_id": appointment.id, "changed": changed},
    )
    return bool(changed)


def _facts(appointment: Appointment) -> dict[str, Any]:
    return {
        "at": utc_minute(appointment.at),
        "owner_team": appointment.owner_team_id,
        "owner": appointment.owner_id,
        "kind": appointment.kind,
    }
