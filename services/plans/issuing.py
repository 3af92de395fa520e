"""Issuing a discharge plan: readiness (pure rules in `rules.py`), issue to everyone named in it through the
notification pipeline, review, supersede, and the 24-hour distribution check (NICE QS159 statement 3)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schemas.api.plans import DischargePlanStatus, FollowUpStatus
from schemas.enums import CareTeamRole, NotificationKind, Via
from services.assessments import needs
from services.assessments.models import Assessment
from services.audit import service as audit
from services.chronology import service as chronology
from services.errors import Conflict, Invalid
from services.notifications import events
from services.notifications import service as notifications
from services.notifications.models import Notification
from services.people.access import Principal
from services.plans import discharge, rules
from services.plans import service as plans
from services.plans.models import CarePlan, DischargePlan, DischargePlanRecipient, SafetyPlan
from services.staff.models import User


class NotReady(Invalid):
    """Issuing was refused: `missing` says what the plan still needs."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("the discharge plan cannot be issued yet: missing " + "; ".join(missing))
        self.missing = missing


def facts(session: Session, *, plan: DischargePlan, now: datetime) -> rules.PlanFacts:
    young_person_id = plan.young_person_id
    legal = (plan.content or {}).get("legal") or {}
    assessment = session.get(Assessment, plan.assessment_id) if plan.assessment_id else None
    return rules.PlanFacts(
        care_coordinator=plan.care_coordinator.username if plan.care_coordinator else None,
        has_care_plan=plans.current(session, CarePlan, young_person_id=young_person_id) is not None,
        has_safety_plan=plans.current(session, SafetyPlan, young_person_id=young_person_id) is not None,
        follow_ups=[rules.FollowUp(at=f.at, status=f.status) for f in plan.follow_ups],
        discharge_at=plan.discharge_at or now,
        first_contact_hours=plan.first_contact_hours,
        review_date=plan.review_date,
        lead_social_worker=plan.lead_social_worker.username if plan.lead_social_worker else None,
        risk_formulation=(plan.content or {}).get("risk_formulation"),
        consent_recorded=legal.get("consent_to_share") is not None or bool(legal.get("lawful_basis")),
        cnest_level=assessment.level if assessment else None,
    )


def readiness(session: Session, *, plan: DischargePlan, now: datetime) -> rules.Readiness:
    return rules.readiness(facts(session, plan=plan, now=now))


def _recipients(session: Session, plan: DischargePlan) -> dict[int, tuple[User, list[str]]]:
    """Everyone named in the plan, each once, with every part they are named for."""
    named: dict[int, tuple[User, list[str]]] = {}

    def name(user: User | None, part: str) -> None:
        if user is not None and user.active:
            named.setdefault(user.id, (user, []))[1].append(part)

    name(plan.care_coordinator, "care_coordinator")
    name(plan.lead_social_worker, "lead_social_worker")
    by_username = {m.user.username: m.user for m in plan.young_person.care_team}
    for username in (plan.content or {}).get("agency_contacts") or []:
        name(by_username.get(username), "agency_contact")
    for follow_up in plan.follow_ups:
        if follow_up.status == FollowUpStatus.cancelled:
            continue
        if follow_up.owner is not None:
            name(follow_up.owner, "follow_up_owner")
        else:  # no named owner: the plan goes to the owning team
            for user in session.scalars(select(User).where(User.team_id == follow_up.owner_team_id)):
                name(user, "follow_up_owner")
    return named


def issue(session: Session, *, plan: DischargePlan, actor: Principal, via: Via, now: datetime) -> None:
    """Issue a ready draft: pin the current care and safety plans, supersede older issued plans, and tell
    everyone named in it (ref only). Refused with `NotReady` naming what is missing."""
    discharge.draft_only(plan)
    young_person = plan.young_person
    ready = readiness(session, plan=plan, now=now)
    if not ready.ready:
        audit.record_refusal(
            session,
            actor=actor,
            action="discharge_plan.issue",
            via=via,
            ref=young_person.ref,
            outcome="refused",
            detail={"discharge_plan_id": plan.id, "missing": len(ready.missing)},
        )
        raise NotReady(ready.missing)
    claimed = session.execute(
        update(DischargePlan)
        .where(DischargePlan.id == plan.id, DischargePlan.status == DischargePlanStatus.draft)
        .values(status=DischargePlanStatus.issued)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"discharge plan {plan.id} is being issued by someone else")
    care_plan = plans.current(session, CarePlan, young_person_id=young_person.id)
    safety_plan = plans.current(session, SafetyPlan, young_person_id=young_person.id)
    plan.care_plan_id = care_plan.id if care_plan else None
    plan.safety_plan_id = safety_plan.id if safety_plan else None
    plan.discharge_at = plan.discharge_at or now
    plan.status = DischargePlanStatus.issued
    plan.issued_at = now
    plan.issued_by_id = actor.user_id
    plan.updated_at = now
    for older in session.scalars(
        select(DischargePlan).where(
            DischargePlan.young_person_id == young_person.id,
            DischargePlan.id != plan.id,
            DischargePlan.status.in_(discharge.LIVE),
        )
    ):
        older.status = DischargePlanStatus.superseded
        older.superseded_by_id = plan.id
        chronology.add(
            session,
            young_person_id=young_person.id,
            at=now,
            kind="discharge_plan_superseded",
            summary=f"Discharge plan {older.id} superseded by discharge plan {plan.id}",
            detail={"discharge_plan_id": older.id, "superseded_by_id": plan.id},
        )
    event = notifications.Event("plan_issued", plan.id)
    named = _recipients(session, plan)
    for user, parts in named.values():
        role = discharge.member_role(young_person, user.id) or CareTeamRole.other
        notifications.create(
            session,
            kind=NotificationKind.plan_issued,
            young_person=young_person,
            recipients=[(user, role)],
            event=event,
        )
        notification_id = session.scalar(
            select(Notification.id).where(
                Notification.dedup_key == events.dedup_key(NotificationKind.plan_issued, event, user.id)
            )
        )
        plan.recipients.append(
            DischargePlanRecipient(
                user_id=user.id, user=user, named_as=parts, notification_id=notification_id
            )
        )
    session.flush()
    coordinator = plan.care_coordinator.display_name if plan.care_coordinator else "none"
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=now,
        kind="discharge_plan_issued",
        summary=f"Discharge plan {plan.id} issued by {actor.username} to the {len(named)} people named in it "
        f"(all to be reached by {rules.distribution_due_by(now).isoformat(timespec='minutes')}); care "
        f"coordinator {coordinator}; first community contact by "
        f"{ready.first_contact_due_by.isoformat(timespec='minutes')}",
        detail={"discharge_plan_id": plan.id, "recipients": sorted(u.username for u, _ in named.values())},
    )
    audit.record(
        session,
        actor=actor,
        action="discharge_plan.issued",
        via=via,
        ref=young_person.ref,
        detail={"discharge_plan_id": plan.id, "recipients": len(named)},
    )


def review(
    session: Session, *, plan: DischargePlan, outcome: str, actor: Principal, via: Via, now: datetime
) -> None:
    """Mark an issued plan reviewed, and prompt a re-score of the needs assessment (once per plan)."""
    if plan.status != DischargePlanStatus.issued:
        raise Conflict(f"only an issued discharge plan can be reviewed; plan {plan.id} is {plan.status}")
    plan.status = DischargePlanStatus.reviewed
    plan.reviewed_at = now
    plan.reviewed_by_id = actor.user_id
    plan.review_outcome = outcome
    plan.updated_at = now
    chronology.add(
        session,
        young_person_id=plan.young_person_id,
        at=now,
        kind="discharge_plan_reviewed",
        summary=f"Discharge plan {plan.id} reviewed by {actor.username}",
        detail={"discharge_plan_id": plan.id},
    )
    audit.record(
        session,
        actor=actor,
        action="discharge_plan.reviewed",
        via=via,
        ref=plan.young_person.ref,
        detail={"discharge_plan_id": plan.id},
    )
    needs.prompt_rescore(
        session,
        young_person=plan.young_person,
        reason="the discharge plan was reviewed",
        cause=notifications.Event("discharge_plan_review", plan.id),
        at=now,
    )


def reached_at(recipient: DischargePlanRecipient) -> datetime | None:
    """When the plan first reached this person: a delivered channel, or their acknowledgement."""
    notification = recipient.notification
    if notification is None:
        return None
    times = [t for t in (notification.delivered_at, notification.acknowledged_at) if t is not None]
    return min(times) if times else None


def check_distribution(session: Session, *, now: datetime) -> int:
    """Once 24 h have passed since issue, record in the chronology whether the plan reached everyone named
    in it in time (NICE QS159), naming anyone it did not reach. Each plan once. Returns plans checked."""
    checked = 0
    due = session.scalars(
        select(DischargePlan).where(
            DischargePlan.issued_at < now - timedelta(hours=rules.DISTRIBUTION_HOURS),
            DischargePlan.distribution_checked_at.is_(None),
        )
    )
    for plan in list(due):
        issued_at = plan.issued_at or now
        claimed = session.execute(
            update(DischargePlan)
            .where(DischargePlan.id == plan.id, DischargePlan.distribution_checked_at.is_(None))
            .values(distribution_checked_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        checked += 1
        late = [
            r.user.username
            for r in plan.recipients
            if rules.reached_in_time(issued_at=issued_at, reached_at=reached_at(r), now=now) is not True
        ]
        summary = (
            f"Discharge plan {plan.id} reached all {len(plan.recipients)} people named in it within 24 h"
            if not late
            else f"Discharge plan {plan.id} did not reach {', '.join(late)} within 24 h of issue "
            "(NICE QS159): check their contact details and send it another way"
        )
        chronology.add(
            session,
            young_person_id=plan.young_person_id,
            at=now,
            kind="discharge_plan_distribution",
            summary=summary,
            detail={"discharge_plan_id": plan.id, "not_reached": late},
        )
        audit.record(
            session,
            actor=None,
            action="discharge_plan.distribution_checked",
            via=Via.worker,
            ref=plan.young_person.ref,
            detail={"discharge_plan_id": plan.id, "not_reached": len(late)},
        )
    return checked
