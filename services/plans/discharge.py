"""Multi-agency discharge plans: drafts (created with defaults from the care team, changed field by field)
and their follow-up appointments (appointments with the plan's id, whose outcome is recorded as any
appointment's). Issuing, review and distribution are in `issuing.py`. Keyword-only functions, session
first; every change is audited and enters the chronology."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.appointments import AppointmentKind, AppointmentSource, AppointmentStatus
from schemas.api.plans import (
    DischargePlanCreate,
    DischargePlanFields,
    DischargePlanStatus,
    FollowUpCreate,
)
from schemas.enums import AssessmentStatus, CareTeamRole, Via
from schemas.settings import Settings
from services.appointments.models import Appointment
from services.assessments.models import Assessment
from services.attendances.models import Attendance
from services.audit import service as audit
from services.chronology import service as chronology
from services.errors import Conflict, Invalid, NotFound
from services.people.access import Principal
from services.people.models import YoungPerson
from services.plans.models import DischargePlan
from services.staff.models import Team, User

CONTENT_FIELDS = (
    "agency_contacts",
    "crisis_plan",
    "out_of_hours_contacts",
    "risk_formulation",
    "safety_alerts",
    "reasonable_adjustments",
    "young_person_views",
    "family_views",
    "agreed_with_young_person",
    "legal",
)
LIVE = (DischargePlanStatus.issued, DischargePlanStatus.reviewed)


def get(session: Session, *, young_person: YoungPerson, plan_id: int) -> DischargePlan:
    plan = session.get(DischargePlan, plan_id)
    if plan is None or plan.young_person_id != young_person.id:
        raise NotFound(f"no discharge plan {plan_id} for {young_person.ref}")
    return plan


def list_for(session: Session, *, young_person_id: int) -> list[DischargePlan]:
    return list(
        session.scalars(
            select(DischargePlan)
            .where(DischargePlan.young_person_id == young_person_id)
            .order_by(DischargePlan.created_at.desc(), DischargePlan.id.desc())
        )
    )


def member_role(young_person: YoungPerson, user_id: int) -> CareTeamRole | None:
    member = next((m for m in young_person.care_team if m.user_id == user_id), None)
    return CareTeamRole(member.role) if member else None


def _member(young_person: YoungPerson, username: str, role: CareTeamRole | None, field: str) -> User:
    """A care-team member, in `role` when one is asked for; Invalid names the field and what is wrong."""
    member = next((m for m in young_person.care_team if m.user.username == username and m.user.active), None)
    if member is None:
        raise Invalid(f"{field}: {username!r} is not on {young_person.ref}'s care team")
    if role is not None and member.role != role:
        raise Invalid(f"{field}: {username!r} is on the care team as {member.role}, not {role}")
    return member.user


def _first(young_person: YoungPerson, role: CareTeamRole) -> User | None:
    return next((m.user for m in young_person.care_team if m.role == role and m.user.active), None)


def latest_completed_assessment(session: Session, *, young_person_id: int) -> Assessment | None:
    return session.scalar(
        select(Assessment)
        .where(Assessment.young_person_id == young_person_id, Assessment.status == AssessmentStatus.completed)
        .order_by(Assessment.completed_at.desc(), Assessment.id.desc())
        .limit(1)
    )


def _apply(session: Session, plan: DischargePlan, changes: dict[str, Any]) -> None:
    """Check and apply the fields sent (typed columns and the free-text content)."""
    young_person = plan.young_person
    if "attendance_id" in changes:
        attendance_id = changes["attendance_id"]
        if attendance_id is not None:
            attendance = session.get(Attendance, attendance_id)
            if attendance is None or attendance.young_person_id != young_person.id:
                raise NotFound(f"no attendance {attendance_id} for {young_person.ref}")
        plan.attendance_id = attendance_id
    for field, role in (
        ("care_coordinator", CareTeamRole.care_coordinator),
        ("lead_social_worker", CareTeamRole.lead_social_worker),
    ):
        if field in changes:
            username = changes[field]
            user = _member(young_person, username, role, field) if username else None
            setattr(plan, f"{field}_id", user.id if user else None)
            setattr(plan, field, user)
    if changes.get("agency_contacts") is not None:
        for username in changes["agency_contacts"]:
            _member(young_person, username, None, "agency_contacts")
    if "assessment_id" in changes and changes["assessment_id"] is not None:
        assessment = session.get(Assessment, changes["assessment_id"])
        if assessment is None or assessment.young_person_id != young_person.id:
            raise NotFound(f"no assessment {changes['assessment_id']} for {young_person.ref}")
    for field in ("discharge_at", "first_contact_hours", "assessment_id", "review_date"):
        if field in changes:
            setattr(plan, field, changes[field])
    content = dict(plan.content or {})
    for field in CONTENT_FIELDS:
        if field in changes:
            content[field] = changes[field]
    plan.content = content


def create(
    session: Session,
    *,
    young_person: YoungPerson,
    data: DischargePlanCreate,
    actor: Principal,
    via: Via,
    settings: Settings,
    now: datetime,
) -> DischargePlan:
    """A draft. Left out: the care coordinator and lead social worker from the care team, every care-team
    member as an agency contact, the latest completed assessment, the configured first-contact target."""
    plan = DischargePlan(
        young_person_id=young_person.id,
        young_person=young_person,
        status=DischargePlanStatus.draft,
        first_contact_hours=settings.discharge_first_contact_hours,
        content={},
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    fields = DischargePlanFields.model_fields
    changes = data.model_dump(mode="json", include=set(fields))
    changes["discharge_at"] = data.discharge_at
    changes["review_date"] = data.review_date
    sent = data.model_fields_set
    if "care_coordinator" not in sent:
        found = _first(young_person, CareTeamRole.care_coordinator)
        changes["care_coordinator"] = found.username if found else None
    if "lead_social_worker" not in sent:
        found = _first(young_person, CareTeamRole.lead_social_worker)
        changes["lead_social_worker"] = found.username if found else None
    if data.agency_contacts is None:
        changes["agency_contacts"] = [m.user.username for m in young_person.care_team if m.user.active]
    if data.first_contact_hours is None:
        changes.pop("first_contact_hours")
    if data.assessment_id is None:
        latest = latest_completed_assessment(session, young_person_id=young_person.id)
        changes["assessment_id"] = latest.id if latest else None
    _apply(session, plan, changes)
    session.flush()
    for follow_up in data.follow_ups:
        _add_follow_up(session, plan=plan, data=follow_up, actor=actor)
    session.flush()
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=now,
        kind="discharge_plan_drafted",
        summary=f"Discharge plan {plan.id} drafted by {actor.username}",
        detail={"discharge_plan_id": plan.id, "attendance_id": plan.attendance_id},
    )
    audit.record(
        session,
        actor=actor,
        action="discharge_plan.created",
        via=via,
        ref=young_person.ref,
        detail={"discharge_plan_id": plan.id},
    )
    return plan


def draft_only(plan: DischargePlan) -> None:
    if plan.status != DischargePlanStatus.draft:
        raise Conflict(
            f"discharge plan {plan.id} is {plan.status}: it cannot change; draft a new plan instead"
        )


def update_draft(
    session: Session,
    *,
    plan: DischargePlan,
    data: DischargePlanFields,
    actor: Principal,
    via: Via,
    now: datetime,
) -> None:
    draft_only(plan)
    changes = data.model_dump(mode="json", exclude_unset=True)
    for field in ("discharge_at", "review_date"):
        if field in changes:
            changes[field] = getattr(data, field)
    _apply(session, plan, changes)
    plan.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="discharge_plan.updated",
        via=via,
        ref=plan.young_person.ref,
        detail={"discharge_plan_id": plan.id, "fields": sorted(changes)},
    )


def _add_follow_up(
    session: Session, *, plan: DischargePlan, data: FollowUpCreate, actor: Principal
) -> Appointment:
    team = session.scalar(select(Team).where(Team.code == data.owner_team))
    if team is None:
        raise NotFound(f"follow_ups: no team {data.owner_team!r}")
    owner = None
    if data.owner is not None:
        owner = session.scalar(select(User).where(User.username == data.owner, User.active.is_(True)))
        if owner is None:
            raise NotFound(f"follow_ups: no active user {data.owner!r}")
    follow_up = Appointment(
        young_person_id=plan.young_person_id,
        discharge_plan_id=plan.id,
        kind=AppointmentKind.follow_up,
        source=AppointmentSource.api,
        created_by_id=actor.user_id,
        at=data.at,
        owner_team=team,
        owner_team_id=team.id,
        owner=owner,
        location=data.location,
        purpose=data.purpose,
        status=AppointmentStatus.scheduled,
    )
    plan.follow_ups.append(follow_up)
    return follow_up


def add_follow_up(
    session: Session, *, plan: DischargePlan, data: FollowUpCreate, actor: Principal, via: Via
) -> Appointment:
    draft_only(plan)
    follow_up = _add_follow_up(session, plan=plan, data=data, actor=actor)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="discharge_plan.follow_up_added",
        via=via,
        ref=plan.young_person.ref,
        detail={"discharge_plan_id": plan.id, "follow_up_id": follow_up.id},
    )
    return follow_up


def follow_up(plan: DischargePlan, follow_up_id: int) -> Appointment:
    """The plan's follow-up (an appointment with the plan's id); its outcome is recorded as any appointment's
    (`services.appointments.booking.set_outcome`)."""
    found = next((f for f in plan.follow_ups if f.id == follow_up_id), None)
    if found is None:
        raise NotFound(f"discharge plan {plan.id} has no follow-up {follow_up_id}")
    return found
