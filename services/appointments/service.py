"""Recording missed appointments and telling the right people (the was-not-brought engine).

The only place that writes `missed_appointments`. A miss is of an `Appointment`: a discharge plan's follow-up
or any other care-team appointment (`services/appointments/booking.py`, intake included); every outcome goes
through `booking.set_outcome`, so the same rules, dedup, threshold count, chronology and audit apply. A miss
commits with its notifications (ref only), its re-score prompt, its chronology entries and its audit event;
the rules that decide are in `rules.py`. The read side is `views.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.appointments import Barrier, CapacityCheck, MissStatus
from schemas.enums import CareTeamRole, NotificationKind, Via, WithdrawalWhy
from services.appointments import rules, withdrawal
from services.appointments.models import Appointment, MissedAppointment
from services.assessments import needs
from services.attendances.patterns import safeguarding_leads
from services.audit import service as audit
from services.audit.service import SYSTEM_ACTOR
from services.chronology import service as chronology
from services.errors import Invalid
from services.notifications import events
from services.notifications import service as notifications
from services.people.access import Principal
from services.people.models import YoungPerson
from services.staff.models import User

KINDS = {
    MissStatus.was_not_brought: NotificationKind.was_not_brought,
    MissStatus.did_not_attend: NotificationKind.did_not_attend,
}
ASK = "Find out why, check the child is safe, re-offer the appointment and review the plan."
COORDINATING = frozenset({"care_coordinator", "care_coordinator_fallback"})
NEVER_CLOSE = "Never close for non-attendance without a multi-agency discussion and a fresh risk review."


class Refused(Invalid):
    """The miss cannot be recorded as given; `detail` names everything that is missing."""


def _live(session: Session, young_person_id: int) -> list[MissedAppointment]:
    return list(
        session.scalars(
            select(MissedAppointment).where(
                MissedAppointment.young_person_id == young_person_id,
                MissedAppointment.withdrawn_at.is_(None),
            )
        )
    )


def _in_window(
    session: Session, *, young_person_id: int, now: datetime, window_days: int
) -> list[MissedAppointment]:
    return [
        m
        for m in _live(session, young_person_id)
        if rules.in_window(m.appointment_at, now=now, window_days=window_days)
    ]


def not_brought_count(session: Session, *, young_person_id: int, now: datetime, window_days: int) -> int:
    """Misses recorded as was_not_brought with the appointment in the window (for the closure guard)."""
    found = _in_window(session, young_person_id=young_person_id, now=now, window_days=window_days)
    return sum(1 for m in found if m.status == MissStatus.was_not_brought)


def _owners(session: Session, misses: Sequence[MissedAppointment]) -> list[int]:
    """Who owns the missed appointments: the named owner, else every active member of the owning team
    (none for an intake appointment whose owning service is not known)."""
    owners: list[int] = []
    for miss in sorted(misses, key=lambda m: m.appointment_at):
        appointment = miss.appointment
        if appointment.owner is not None and appointment.owner.active:
            found = [appointment.owner.id]
        elif appointment.owner_team is not None:
            found = list(
                session.scalars(
                    select(User.id)
                    .where(User.team_id == appointment.owner_team.id, User.active.is_(True))
                    .order_by(User.id)
                )
            )
        else:
            found = []
        owners.extend(uid for uid in found if uid not in owners)
    return owners


def _row_for(session: Session, appointment: Appointment) -> MissedAppointment | None:
    return session.scalar(select(MissedAppointment).where(MissedAppointment.appointment_id == appointment.id))


def _capacity(capacity: CapacityCheck | None) -> rules.Capacity | None:
    if capacity is None:
        return None
    return rules.Capacity(
        framework=capacity.framework,
        competent=capacity.competent,
        informed_choice=capacity.informed_choice,
        assessed_on=capacity.assessed_on,
    )


def record(
    session: Session,
    *,
    young_person: YoungPerson,
    appointment: Appointment,
    status: MissStatus,
    reason: str | None,
    barriers: Sequence[Barrier],
    capacity: CapacityCheck | None,
    actor: Principal | None,
    via: Via,
    now: datetime,
    threshold: int,
    window_days: int,
) -> None:
    """Record (or amend) the miss of one appointment and tell whoever the rules say, once per appointment.
    Refused (422, audited) naming everything missing.
    `actor` None is the system (a no-show reported over MLLP)."""
    miss = rules.Miss(
        status=status,
        reason=reason,
        barriers=barriers,
        capacity=_capacity(capacity),
        appointment_at=appointment.at,
        date_of_birth=young_person.date_of_birth,
    )
    standing = rules.problems(miss, now=now)
    if capacity is not None and capacity.assessed_by is not None:
        assessor = session.scalar(select(User.id).where(User.username == capacity.assessed_by))
        if assessor is None:
            standing.append(f"capacity.assessed_by: no user {capacity.assessed_by!r}")
    if standing:
        audit.record_refusal(
            session,
            actor=actor,
            action="missed_appointment.record",
            via=via,
            ref=young_person.ref,
            outcome="refused",
            detail={**appointment.ids, "status": str(status), "missing": len(standing)},
        )
        raise Refused(f"cannot record {status} for {appointment.label}: " + "; ".join(standing))
    # One miss at a time per young person, so two misses recorded at once both count (PostgreSQL; SQLite
    # has one writer anyway).
    session.execute(select(YoungPerson.id).where(YoungPerson.id == young_person.id).with_for_update())
    row = _row_for(session, appointment)
    fresh = row is None
    if row is None:
        row = MissedAppointment(
            young_person_id=young_person.id,
            appointment=appointment,
            told=[],
        )
        session.add(row)
    owner_team = appointment.owner_team
    row.status = str(status)
    row.appointment_at = appointment.at
    row.owner_team_id = owner_team.id if owner_team is not None else None
    row.reason = (reason or "").strip()
    row.barriers = sorted({str(b) for b in barriers})
    row.capacity = capacity.model_dump(mode="json") if capacity else None
    if row.capacity is not None and row.capacity["assessed_by"] is None:
        row.capacity["assessed_by"] = actor.username if actor else SYSTEM_ACTOR
    row.statuses = sorted(set(young_person.statuses) & rules.STATUTORY)
    row.recorded_by_id = actor.user_id if actor else None
    row.recorded_at = now
    event = withdrawal.event_of(appointment)
    if row.withdrawn_at is not None:  # recorded as missed again: its notifications stand again
        notifications.reinstate(session, event_type=event.type, event_id=event.id)
    row.withdrawn_at = None
    session.flush()

    in_window = _in_window(session, young_person_id=young_person.id, now=now, window_days=window_days)
    members = [(m.user_id, CareTeamRole(m.role)) for m in young_person.care_team if m.user.active]
    leads = safeguarding_leads(session, la_code=young_person.responsible_la)
    decision = rules.who_is_told(
        rules.MissFacts(
            statuses=frozenset(young_person.statuses),
            members=members,
            owners=_owners(session, in_window),
            safeguarding_leads=[u.id for u in leads],
            misses_in_window=len(in_window),
            threshold=threshold,
            unowned=sum(1 for m in in_window if m.owner_team_id is None),
        )
    )
    kind = NotificationKind.missed_appointments if decision.pattern else KINDS[status]
    already = {
        n.recipient_id for n in notifications.told_of(session, event=event, kinds=events.told_kinds(kind))
    }
    recipients = [
        (session.get_one(User, t.user_id), t.role) for t in decision.told if t.user_id not in already
    ]
    notifications.create(session, kind=kind, young_person=young_person, recipients=recipients, event=event)
    row.told = sorted(set(row.told) | {user.username for user, _ in recipients})
    coordinating = {t.user_id for t in decision.told if COORDINATING & set(t.because)}
    words = status.replace("_", " ")
    needs.prompt_rescore(
        session,
        young_person=young_person,
        reason=f"a missed appointment ({words}): {appointment.what}",
        cause=event,
        at=now,
        told_already=coordinating,
    )
    _chronicle(
        session,
        row=row,
        decision=decision,
        recipients=recipients,
        fresh=fresh,
        actor=actor,
        window_days=window_days,
        in_window=in_window,
        now=now,
    )
    audit.record(
        session,
        actor=actor,
        action="missed_appointment.recorded",
        via=via,
        ref=young_person.ref,
        detail={
            **appointment.ids,
            "status": str(status),
            "barriers": len(row.barriers),
            "capacity_framework": capacity.framework.value if capacity else None,
            "told": len(recipients),
            "pattern": decision.pattern,
        },
    )
    if decision.pattern and fresh:
        audit.record(
            session,
            actor=None,
            action="rule.missed_pattern",
            via=via,
            ref=young_person.ref,
            detail={**appointment.ids, "misses": len(in_window), "window_days": window_days},
        )


def _chronicle(
    session: Session,
    *,
    row: MissedAppointment,
    decision: rules.Decision,
    recipients: Sequence[tuple[User, CareTeamRole]],
    fresh: bool,
    actor: Principal | None,
    window_days: int,
    in_window: Sequence[MissedAppointment],
    now: datetime,
) -> None:
    appointment = row.appointment
    words = row.status.replace("_", " ")
    told = ", ".join(f"{user.username} ({role.label})" for user, role in recipients) or "nobody new"
    by = actor.username if actor else SYSTEM_ACTOR
    summary = (
        f"{appointment.what} on {appointment.at:%Y-%m-%d}: {words} "
        f"(recorded by {by}); barriers: {', '.join(row.barriers).replace('_', ' ')}"
    )
    if row.status == MissStatus.did_not_attend and row.capacity:
        summary += f"; capacity check: {row.capacity['framework']} on {row.capacity['assessed_on']}"
    summary += f". Told: {told}. {ASK}"
    if decision.gaps:
        summary += " Gaps: " + "; ".join(decision.gaps) + "."
    chronology.add(
        session,
        young_person_id=row.young_person_id,
        at=now,
        kind=row.status,
        summary=summary,
        detail={
            **appointment.ids,
            "barriers": row.barriers,
            "told": [user.username for user, _ in recipients],
            "gaps": decision.gaps,
        },
    )
    if decision.pattern and fresh:
        brought = sum(1 for m in in_window if m.status == MissStatus.was_not_brought)
        chronology.add(
            session,
            young_person_id=row.young_person_id,
            at=now,
            kind="missed_pattern",
            summary=f"{len(in_window)} missed appointments in the last {window_days} days ({brought} was not "
            f"brought, {len(in_window) - brought} did not attend): the GP, the services whose appointments "
            f"were missed and the safeguarding lead are told. {NEVER_CLOSE}",
            detail={
                "follow_up_ids": sorted(m.appointment_id for m in in_window if _follow_up(m)),
                "appointment_ids": sorted(m.appointment_id for m in in_window if not _follow_up(m)),
                "window_days": window_days,
                "since": (now - timedelta(days=window_days)).isoformat(),
            },
        )


def _follow_up(miss: MissedAppointment) -> bool:
    return miss.appointment.discharge_plan_id is not None


def withdraw(
    session: Session,
    *,
    young_person: YoungPerson,
    appointment: Appointment,
    why: WithdrawalWhy,
    actor: Principal | None,
    via: Via,
    now: datetime,
    threshold: int,
    window_days: int,
) -> None:
    """The miss no longer stands (the outcome was corrected, an arrival reported, the booking deleted): it
    no longer counts nor is chased, and everyone told of it is told why (`withdrawal.withdraw`). Nothing
    happens when there is no standing miss for this appointment."""
    row = _row_for(session, appointment)
    if row is None or row.withdrawn_at is not None:
        return
    session.execute(select(YoungPerson.id).where(YoungPerson.id == young_person.id).with_for_update())
    standing = _in_window(session, young_person_id=young_person.id, now=now, window_days=window_days)
    withdrawal.withdraw(
        session,
        young_person=young_person,
        row=row,
        standing_in_window=standing,
        why=why,
        actor=actor,
        via=via,
        now=now,
        threshold=threshold,
        window_days=window_days,
    )
