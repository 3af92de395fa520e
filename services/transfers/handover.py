"""Loading what the FHIR exports of the care team, the flags and the handover need, as plain data for the
pure builders (`services/people/fhir.py`, `services/transfers/flags.py`, `services/transfers/fhir.py`).
Reads only: the routes audit and commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.api.plans import DischargePlanStatus
from schemas.enums import AssessmentStatus, CareTeamRole, ClosureStatus
from schemas.settings import Settings
from services.appointments.models import MissedAppointment
from services.assessments import fhir as assessment_fhir
from services.assessments import service as assessments
from services.assessments.models import Assessment
from services.closures.models import Closure
from services.kernel.chronology.models import ChronologyEntry
from services.kernel.identity import Principal
from services.people import fhir as people_fhir
from services.people.models import YoungPerson
from services.plans import discharge, views
from services.plans import fhir as plan_fhir
from services.plans import service as plans
from services.plans.fhir_discharge import discharge_plan
from services.plans.models import CarePlan, DischargePlan, SafetyPlan
from services.transfers import fhir as bundles
from services.transfers import flags
from services.transfers import service as transfers

LIVE_PLAN = (DischargePlanStatus.issued, DischargePlanStatus.reviewed)


def _entries(session: Session, young_person_id: int, *kinds: str) -> list[ChronologyEntry]:
    return list(
        session.scalars(
            select(ChronologyEntry)
            .where(ChronologyEntry.young_person_id == young_person_id, ChronologyEntry.kind.in_(kinds))
            .order_by(ChronologyEntry.at, ChronologyEntry.id)
        )
    )


def _closed(session: Session, young_person_id: int) -> list[Closure]:
    return list(
        session.scalars(
            select(Closure)
            .where(Closure.young_person_id == young_person_id, Closure.status == ClosureStatus.closed)
            .order_by(Closure.decided_at, Closure.id)
        )
    )


def care_team_facts(session: Session, *, young_person: YoungPerson) -> people_fhir.CareTeamFacts:
    """Current members (active staff accounts) and those who left through a closure; when a member who
    left joined is read from the chronology (`care_team_changed`), the row itself being gone."""
    members = [
        people_fhir.Member(
            username=m.user.username,
            display_name=m.user.display_name,
            role=CareTeamRole(m.role),
            team_code=m.user.team.code,
            team_name=m.user.team.name,
            agency=m.user.team.agency,
            joined=m.added_at,
        )
        for m in young_person.care_team
        if m.user.active
    ]
    joins = _entries(session, young_person.id, "care_team_changed")
    for closure in _closed(session, young_person.id):
        user, left = closure.member, closure.decided_at
        joined = [e.at for e in joins if e.detail.get("username") == user.username and left and e.at <= left]
        members.append(
            people_fhir.Member(
                username=user.username,
                display_name=user.display_name,
                role=CareTeamRole(closure.member_role),
                team_code=user.team.code,
                team_name=user.team.name,
                agency=user.team.agency,
                joined=min(joined) if joined else None,
                left=left,
            )
        )
    return people_fhir.CareTeamFacts(ref=young_person.ref, members=members)


def flag_facts(session: Session, *, young_person: YoungPerson, settings: Settings) -> flags.FlagFacts:
    kinds = ("status_changed", "repeat_attendance", "no_care_coordinator", "care_team_changed")
    entries = _entries(session, young_person.id, *kinds)
    coordinators = [  # since they took the role: their latest care-team change, else when they joined
        max(
            (
                e.at
                for e in entries
                if e.kind == "care_team_changed" and e.detail.get("username") == m.user.username
            ),
            default=m.added_at,
        )
        for m in young_person.care_team
        if m.role == CareTeamRole.care_coordinator and m.user.active
    ]
    left = [
        c.decided_at
        for c in _closed(session, young_person.id)
        if c.member_role == CareTeamRole.care_coordinator and c.decided_at is not None
    ]
    misses = session.scalars(
        select(MissedAppointment).where(MissedAppointment.young_person_id == young_person.id)
    )
    return flags.FlagFacts(
        ref=young_person.ref,
        registered_at=young_person.created_at,
        statuses=frozenset(young_person.statuses),
        status_changes=[
            flags.StatusChange(
                e.at, frozenset(e.detail.get("from") or []), frozenset(e.detail.get("to") or [])
            )
            for e in entries
            if e.kind == "status_changed"
        ],
        repeat_attendances=[e.at for e in entries if e.kind == "repeat_attendance"],
        repeat_window_days=max((r.window_days for r in settings.repeat_attendance_rules), default=28),
        coordinator_since=min(coordinators) if coordinators else None,
        coordinator_left=max(left) if left else None,
        no_coordinator_seen=[e.at for e in entries if e.kind == "no_care_coordinator"],
        transfers=[
            flags.TransferFact(t.id, t.from_la, t.to_la, t.status, t.opened_at, t.ended_at)
            for t in transfers.list_for(session, young_person_id=young_person.id)
        ],
        misses=[flags.MissFact(m.appointment_at, m.status, m.withdrawn_at) for m in misses],
        missed_window_days=settings.missed_appointments_window_days,
    )


def flag_resources(
    session: Session,
    *,
    young_person: YoungPerson,
    settings: Settings,
    now: datetime,
    active_only: bool = False,
) -> list[dict[str, Any]]:
    states = flags.derive(flag_facts(session, young_person=young_person, settings=settings), now=now)
    return [flags.flag(s, ref=young_person.ref) for s in states if s.active or not active_only]


def latest_assessment(session: Session, *, young_person_id: int) -> Assessment | None:
    """The newest completed needs assessment; while an amendment is in progress, the version it amends
    (status `amended`), which is still the latest completed content."""
    return session.scalar(
        select(Assessment)
        .where(
            Assessment.young_person_id == young_person_id,
            Assessment.status.in_([AssessmentStatus.completed, AssessmentStatus.amended]),
            Assessment.completed_at.is_not(None),
        )
        .order_by(Assessment.completed_at.desc(), Assessment.id.desc())
        .limit(1)
    )


def latest_discharge_plan(session: Session, *, young_person_id: int) -> DischargePlan | None:
    """The newest issued (or reviewed) plan; a draft only when none was ever issued."""
    found = discharge.list_for(session, young_person_id=young_person_id)
    live = [p for p in found if p.status in LIVE_PLAN]
    return live[0] if live else next(iter(found), None)


@dataclass(frozen=True)
class Handover:
    bundle: dict[str, Any]
    summary: dict[str, Any]  # identifiers and codes only, for the audit trail


def _versioned(plan: CarePlan | SafetyPlan) -> int | None:
    return plan.version - 1 if plan.version > 1 else None


def handover(
    session: Session,
    *,
    young_person: YoungPerson,
    settings: Settings,
    now: datetime,
    reader: Principal | None = None,
) -> Handover:
    """The care team, current care plan and safety plan, latest discharge plan, latest completed assessment
    and active flags, as one `collection` Bundle. The care plan is left out (and `care_plan_withheld` says
    for which agency) when the young person did not consent to share it with the `reader`'s agency
    (`access.may_read_care_plan_content`, through `plans.views.withheld_from`)."""
    resources = [people_fhir.care_team(care_team_facts(session, young_person=young_person))]
    summary: dict[str, Any] = {}
    care_plan = plans.current(session, CarePlan, young_person_id=young_person.id)
    withheld = views.withheld_from(session, reader, care_plan) if care_plan and reader else None
    if care_plan is not None and withheld is not None:
        summary["care_plan_withheld"] = withheld
    elif care_plan is not None:
        resources.append(plan_fhir.care_plan(care_plan, previous_version=_versioned(care_plan)))
        summary["care_plan_version"] = care_plan.version
    safety_plan = plans.current(session, SafetyPlan, young_person_id=young_person.id)
    if safety_plan is not None:
        resources.append(plan_fhir.safety_plan(safety_plan, previous_version=_versioned(safety_plan)))
        summary["safety_plan_version"] = safety_plan.version
    plan = latest_discharge_plan(session, young_person_id=young_person.id)
    if plan is not None:
        resources.append(discharge_plan(views.discharge_read(session, plan, now=now)))
        summary["discharge_plan_id"] = plan.id
    assessment = latest_assessment(session, young_person_id=young_person.id)
    if assessment is not None:
        resources.append(
            assessment_fhir.questionnaire_response(
                assessment,
                assessments.current_answers(assessment),
                template=assessments.template_of(assessment),
            )
        )
        summary["assessment_id"] = assessment.id
    active = flag_resources(session, young_person=young_person, settings=settings, now=now, active_only=True)
    resources += active
    summary["flags"] = [f["code"]["coding"][0]["code"] for f in active]
    bundle = bundles.handover(resources, ref=young_person.ref, now=now)
    summary["resources"] = bundles.contents(bundle)
    return Handover(bundle=bundle, summary=summary)
