"""Reading missed appointments and appointments: the lists the API answers with. No writes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.appointments import (
    AppointmentKind,
    AppointmentRead,
    AppointmentSource,
    AppointmentStatus,
    Barrier,
    CapacityCheck,
    MissCounts,
    MissedAppointmentRead,
    MissedAppointmentsRead,
    MissedDetail,
    MissStatus,
)
from services.appointments import rules
from services.appointments.models import Appointment, MissedAppointment
from services.audit.service import SYSTEM_ACTOR
from services.people.models import YoungPerson


def for_appointments(session: Session, *, appointment_ids: Collection[int]) -> dict[int, MissedAppointment]:
    if not appointment_ids:
        return {}
    rows = session.scalars(
        select(MissedAppointment).where(MissedAppointment.appointment_id.in_(list(appointment_ids)))
    )
    return {m.appointment_id: m for m in rows}


def missed_detail(row: MissedAppointment | None) -> MissedDetail | None:
    if row is None:
        return None
    return MissedDetail(
        reason=row.reason,
        barriers=[Barrier(b) for b in row.barriers],
        capacity=CapacityCheck.model_validate(row.capacity) if row.capacity else None,
        told=row.told,
        withdrawn_at=row.withdrawn_at,
    )


def _read(row: MissedAppointment, *, now: datetime, window_days: int) -> MissedAppointmentRead:
    return MissedAppointmentRead(
        id=row.id,
        follow_up_id=row.appointment_id if row.appointment.discharge_plan_id is not None else None,
        discharge_plan_id=row.appointment.discharge_plan_id,
        appointment_id=row.appointment_id,
        kind=row.appointment.kind,
        status=MissStatus(row.status),
        appointment_at=row.appointment_at,
        owner_team=row.owner_team.code if row.owner_team else None,
        reason=row.reason,
        barriers=[Barrier(b) for b in row.barriers],
        capacity=CapacityCheck.model_validate(row.capacity) if row.capacity else None,
        statuses=row.statuses,
        told=row.told,
        recorded_by=row.recorded_by.username if row.recorded_by else SYSTEM_ACTOR,
        recorded_at=row.recorded_at,
        withdrawn_at=row.withdrawn_at,
        in_window=row.withdrawn_at is None
        and rules.in_window(row.appointment_at, now=now, window_days=window_days),
    )


def overview(
    session: Session, *, young_person: YoungPerson, now: datetime, threshold: int, window_days: int
) -> MissedAppointmentsRead:
    """Every recorded miss of either kind, newest appointment first, with the counts in the window."""
    rows = session.scalars(
        select(MissedAppointment)
        .where(MissedAppointment.young_person_id == young_person.id)
        .order_by(MissedAppointment.appointment_at.desc(), MissedAppointment.id.desc())
    )
    missed = [_read(r, now=now, window_days=window_days) for r in rows]
    counted = [m for m in missed if m.in_window]
    brought = sum(1 for m in counted if m.status == MissStatus.was_not_brought)
    return MissedAppointmentsRead(
        young_person_ref=young_person.ref,
        window_days=window_days,
        threshold=threshold,
        window_starts=now - timedelta(days=window_days),
        in_window=MissCounts(
            total=len(counted), was_not_brought=brought, did_not_attend=len(counted) - brought
        ),
        pattern_met=len(counted) >= threshold,
        missed=missed,
    )


def appointment_read(
    appointment: Appointment, *, ref: str, miss: MissedAppointment | None
) -> AppointmentRead:
    return AppointmentRead(
        id=appointment.id,
        young_person_ref=ref,
        at=appointment.at,
        kind=AppointmentKind(appointment.kind),
        discharge_plan_id=appointment.discharge_plan_id,
        owner_team=appointment.owner_team.code if appointment.owner_team else None,
        owner=appointment.owner.username if appointment.owner else None,
        location=appointment.location,
        purpose=appointment.purpose,
        status=AppointmentStatus(appointment.status),
        note=appointment.note,
        source=AppointmentSource(appointment.source),
        facility=appointment.facility,
        external_system=appointment.external_system,
        external_id=appointment.external_id,
        created_by=appointment.created_by.username if appointment.created_by else SYSTEM_ACTOR,
        created_at=appointment.created_at,
        recorded_by=appointment.recorded_by.username if appointment.recorded_by else None,
        recorded_at=appointment.recorded_at,
        missed=missed_detail(miss),
    )


def appointments(session: Session, *, young_person: YoungPerson) -> list[AppointmentRead]:
    """Every appointment but discharge plans' follow-ups (listed with their plan), newest first."""
    rows = list(
        session.scalars(
            select(Appointment)
            .where(Appointment.young_person_id == young_person.id, Appointment.discharge_plan_id.is_(None))
            .order_by(Appointment.at.desc(), Appointment.id.desc())
        )
    )
    misses = for_appointments(session, appointment_ids=[a.id for a in rows])
    return [appointment_read(a, ref=young_person.ref, miss=misses.get(a.id)) for a in rows]
