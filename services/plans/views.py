"""Read models of plans, built from the rows (no writes)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from schemas.api.plans import (
    CarePlanRead,
    CarePlanWithheld,
    CnestLevel,
    DischargePlanRead,
    DischargePlanStatus,
    DischargePlanSummary,
    Distribution,
    FollowUpRead,
    FollowUpStatus,
    Legal,
    NamedPerson,
    OutOfHoursContact,
    PlanContact,
    PlansOverview,
    PlanVersionSummary,
    Readiness,
    Recipient,
    RecipientDelivery,
    ReviewRead,
    SafetyAlerts,
    SafetyPlanRead,
    VersionStatus,
)
from schemas.enums import CareTeamRole, Channel, DeliveryStatus
from services.appointments import views as missed
from services.appointments.models import Appointment, MissedAppointment
from services.assessments.models import Assessment
from services.assessments.rules import NG225_NOTE
from services.kernel.identity import Principal
from services.notifications import rules as notification_rules
from services.people import access
from services.people.models import YoungPerson
from services.plans import discharge, issuing, rules
from services.plans import service as plans
from services.plans.models import CarePlan, CarePlanReview, DischargePlan, SafetyPlan
from services.staff.models import User

CNEST_LABEL = "Likelihood of Tier 4 admission, placement breakdown or custody"


def review_read(review: CarePlanReview) -> ReviewRead:
    return ReviewRead(
        id=review.id,
        care_plan_version=review.care_plan.version,
        outcome=review.outcome,
        reviewed_by=review.reviewed_by.username,
        reviewed_at=review.reviewed_at,
        next_review_date=review.next_review_date,
    )


def care_plan_read(
    session: Session, plan: CarePlan, *, today: date, with_reviews: bool = True
) -> CarePlanRead:
    content = dict(plan.content) | {"review_date": plan.review_date}
    warnings = []
    if not plan.content.get("made_jointly_with_young_person"):
        warnings.append("not made jointly with the young person")
    sharing = plan.content.get("sharing") or {}
    if sharing.get("consent_to_share") is None and not sharing.get("lawful_basis"):
        warnings.append("consent to share or the lawful basis is not recorded")
    reviews = plans.reviews(session, young_person_id=plan.young_person_id) if with_reviews else []
    current = plan.status == VersionStatus.current  # the current version shows every review so far
    return CarePlanRead(
        **content,
        young_person_ref=plan.young_person.ref,
        version=plan.version,
        status=VersionStatus(plan.status),
        recorded_by=plan.recorded_by.username,
        recorded_at=plan.recorded_at,
        review_overdue=current and rules.review_overdue(plan.review_date, today),
        warnings=warnings,
        reviews=[review_read(r) for r in reviews if current or r.care_plan_id == plan.id],
    )


def _coordinators(young_person: YoungPerson) -> list[User]:
    return [
        m.user for m in young_person.care_team if m.role == CareTeamRole.care_coordinator and m.user.active
    ]


def whom_to_ask(young_person: YoungPerson) -> list[PlanContact]:
    """The care coordinators: whom a reader without consent asks about the care plan."""
    return [
        PlanContact(username=u.username, display_name=u.display_name, team=u.team.code)
        for u in _coordinators(young_person)
    ]


def withheld_from(session: Session, principal: Principal, plan: CarePlan) -> str | None:
    """The reader's agency when the young person did not consent to share this care plan version with
    it (`access.may_read_care_plan_content`, the one rule); None when the reader may read its content."""
    reader = session.get(User, principal.user_id)
    agency = str(reader.team.agency) if reader is not None else ""
    sharing = access.PlanSharing(
        withheld_from=rules.withheld_agencies(plan.content),
        coordinator_user_ids=frozenset(u.id for u in _coordinators(plan.young_person)),
    )
    return None if access.may_read_care_plan_content(principal, agency=agency, sharing=sharing) else agency


def care_plan_withheld(plan: CarePlan, *, agency: str) -> CarePlanWithheld:
    ask = whom_to_ask(plan.young_person)
    names = ", ".join(f"{c.display_name} ({c.username})" for c in ask) or "the young person's care team"
    return CarePlanWithheld(
        young_person_ref=plan.young_person.ref,
        version=plan.version,
        status=VersionStatus(plan.status),
        recorded_at=plan.recorded_at,
        review_date=plan.review_date,
        reason=f"The young person did not consent to share their care plan with {agency}: ask {names}.",
        ask=ask,
    )


def care_plan_for(
    session: Session, principal: Principal, plan: CarePlan, *, today: date
) -> CarePlanRead | CarePlanWithheld:
    """The care plan version as the reader may see it: whole, or withheld (that it exists, whom to ask)."""
    agency = withheld_from(session, principal, plan)
    if agency is not None:
        return care_plan_withheld(plan, agency=agency)
    return care_plan_read(session, plan, today=today)


def safety_plan_read(session: Session, plan: SafetyPlan, *, today: date) -> SafetyPlanRead:
    warnings = plans.warnings_for(session, young_person_id=plan.young_person_id)
    if not any(p.get("available_24_7") for p in plan.content.get("professionals_and_agencies") or []):
        warnings.append("no 24/7 crisis line among the professionals and agencies")
    if not plan.content.get("agreed_with_young_person"):
        warnings.append("not agreed with the young person")
    return SafetyPlanRead(
        **plan.content,
        young_person_ref=plan.young_person.ref,
        version=plan.version,
        status=VersionStatus(plan.status),
        recorded_by=plan.recorded_by.username,
        recorded_at=plan.recorded_at,
        review_overdue=plan.status == VersionStatus.current and rules.review_overdue(plan.review_date, today),
        warnings=warnings,
    )


def _summary(plan: CarePlan | SafetyPlan | None, today: date) -> PlanVersionSummary | None:
    if plan is None:
        return None
    return PlanVersionSummary(
        version=plan.version,
        review_date=plan.review_date,
        review_overdue=rules.review_overdue(plan.review_date, today),
        recorded_at=plan.recorded_at,
    )


def discharge_summary(plan: DischargePlan) -> DischargePlanSummary:
    return DischargePlanSummary(
        id=plan.id,
        status=DischargePlanStatus(plan.status),
        attendance_id=plan.attendance_id,
        created_at=plan.created_at,
        issued_at=plan.issued_at,
        review_date=plan.review_date,
    )


def overview(
    session: Session, young_person: YoungPerson, *, today: date, reader: Principal | None = None
) -> PlansOverview:
    """`reader`: whose view it is (the care plan's content may be withheld from their agency)."""
    care_plan = plans.current(session, CarePlan, young_person_id=young_person.id)
    care_summary = _summary(care_plan, today)
    if care_plan is not None and care_summary is not None and reader is not None:
        if withheld_from(session, reader, care_plan) is not None:
            care_summary.content_withheld = True
            care_summary.ask = whom_to_ask(young_person)
    return PlansOverview(
        young_person_ref=young_person.ref,
        care_plan=care_summary,
        safety_plan=_summary(plans.current(session, SafetyPlan, young_person_id=young_person.id), today),
        discharge_plans=[
            discharge_summary(p) for p in discharge.list_for(session, young_person_id=young_person.id)
        ],
        warnings=plans.warnings_for(session, young_person_id=young_person.id),
    )


def named_person(user: User, young_person: YoungPerson) -> NamedPerson:
    return NamedPerson(
        username=user.username,
        display_name=user.display_name,
        care_team_role=discharge.member_role(young_person, user.id),
        team=user.team.code,
        agency=user.team.agency,
        reachable_by=notification_rules.channels_for(
            email=user.email, webhook_url=user.webhook_url, telegram_chat_id=user.telegram_chat_id
        ),
    )


def _cnest(session: Session, plan: DischargePlan) -> CnestLevel | None:
    """Shown for information, labelled as what it is; never a criterion for issuing (NICE NG225)."""
    assessment = session.get(Assessment, plan.assessment_id) if plan.assessment_id else None
    if assessment is None or assessment.level is None:
        return None
    result = assessment.result or {}
    return CnestLevel(
        assessment_id=assessment.id,
        level=assessment.level,
        label=str(result.get("label") or CNEST_LABEL),
        note=str(result.get("note") or NG225_NOTE),
    )


def _distribution(plan: DischargePlan, now: datetime) -> Distribution | None:
    if plan.issued_at is None:
        return None
    recipients = []
    for r in plan.recipients:
        reached = issuing.reached_at(r)
        notification = r.notification
        recipients.append(
            Recipient(
                username=r.user.username,
                named_as=r.named_as,
                notification_id=r.notification_id,
                notified_at=notification.created_at if notification else None,
                deliveries=[
                    RecipientDelivery(
                        channel=Channel(d.channel),
                        status=DeliveryStatus(d.status),
                        delivered_at=d.delivered_at,
                    )
                    for d in (notification.deliveries if notification else [])
                ],
                reached_at=reached,
                reached_within_24h=rules.reached_in_time(
                    issued_at=plan.issued_at, reached_at=reached, now=now
                ),
                acknowledged_at=notification.acknowledged_at if notification else None,
            )
        )
    return Distribution(
        due_by=rules.distribution_due_by(plan.issued_at),
        reached=sum(1 for r in recipients if r.reached_at is not None),
        named=len(recipients),
        all_reached_within_24h=rules.all_reached_in_time([r.reached_within_24h for r in recipients]),
        recipients=recipients,
    )


def _follow_up(
    f: Appointment, plan: DischargePlan, now: datetime, row: MissedAppointment | None
) -> FollowUpRead:
    return FollowUpRead(
        id=f.id,
        at=f.at,
        owner_team=f.owner_team.code if f.owner_team else "",  # a follow-up always has one
        owner=f.owner.username if f.owner else None,
        location=f.location or "",  # always given for a follow-up
        purpose=f.purpose,
        status=FollowUpStatus(f.status),
        note=f.note,
        recorded_by=f.recorded_by.username if f.recorded_by else None,
        recorded_at=f.recorded_at,
        within_first_contact_target=rules.within_first_contact(
            rules.FollowUp(at=f.at, status=f.status),
            discharge_at=plan.discharge_at or now,
            hours=plan.first_contact_hours,
        ),
        missed=missed.missed_detail(row),
    )


def discharge_read(session: Session, plan: DischargePlan, *, now: datetime) -> DischargePlanRead:
    young_person = plan.young_person
    content = plan.content or {}
    by_username = {m.user.username: m.user for m in young_person.care_team}
    contacts = [by_username[u] for u in content.get("agency_contacts") or [] if u in by_username]
    readiness = None
    if plan.status == DischargePlanStatus.draft:
        found = issuing.readiness(session, plan=plan, now=now)
        readiness = Readiness(
            ready=found.ready,
            missing=found.missing,
            warnings=found.warnings,
            first_contact_due_by=found.first_contact_due_by,
        )
    care_plan = session.get(CarePlan, plan.care_plan_id) if plan.care_plan_id else None
    safety_plan = session.get(SafetyPlan, plan.safety_plan_id) if plan.safety_plan_id else None
    misses = missed.for_appointments(session, appointment_ids=[f.id for f in plan.follow_ups])
    return DischargePlanRead(
        id=plan.id,
        young_person_ref=young_person.ref,
        status=DischargePlanStatus(plan.status),
        attendance_id=plan.attendance_id,
        care_coordinator=named_person(plan.care_coordinator, young_person) if plan.care_coordinator else None,
        lead_social_worker=(
            named_person(plan.lead_social_worker, young_person) if plan.lead_social_worker else None
        ),
        agency_contacts=[named_person(u, young_person) for u in contacts],
        follow_ups=[_follow_up(f, plan, now, misses.get(f.id)) for f in plan.follow_ups],
        discharge_at=plan.discharge_at,
        first_contact_hours=plan.first_contact_hours,
        first_contact_due_by=(
            rules.first_contact_due_by(plan.discharge_at, plan.first_contact_hours)
            if plan.discharge_at
            else None
        ),
        crisis_plan=content.get("crisis_plan"),
        out_of_hours_contacts=[OutOfHoursContact(**c) for c in content.get("out_of_hours_contacts") or []],
        risk_formulation=content.get("risk_formulation"),
        cnest=_cnest(session, plan),
        safety_alerts=SafetyAlerts(**(content.get("safety_alerts") or {})),
        reasonable_adjustments=content.get("reasonable_adjustments") or [],
        young_person_views=content.get("young_person_views"),
        family_views=content.get("family_views"),
        agreed_with_young_person=content.get("agreed_with_young_person"),
        legal=Legal(**(content.get("legal") or {})),
        review_date=plan.review_date,
        care_plan_version=care_plan.version if care_plan else None,
        safety_plan_version=safety_plan.version if safety_plan else None,
        readiness=readiness,
        created_by=plan.created_by.username,
        created_at=plan.created_at,
        issued_by=plan.issued_by.username if plan.issued_by else None,
        issued_at=plan.issued_at,
        distribution=_distribution(plan, now),
        reviewed_by=plan.reviewed_by.username if plan.reviewed_by else None,
        reviewed_at=plan.reviewed_at,
        review_outcome=plan.review_outcome,
        superseded_by_id=plan.superseded_by_id,
    )
