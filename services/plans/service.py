"""Care plans and safety plans: separate artefacts, each saved as a new version (history kept), and care-plan
reviews that prompt a re-score. Keyword-only functions, session first; every change is audited and enters
the chronology. Discharge plans are in `discharge.py`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from schemas.api.plans import CarePlanContent, ReviewCreate, SafetyPlanContent, VersionStatus
from schemas.enums import NotificationKind, Via
from services.assessments import needs
from services.audit import service as audit
from services.chronology import service as chronology
from services.errors import Conflict, NotFound
from services.notifications import service as notifications
from services.people.access import Principal
from services.people.models import YoungPerson
from services.plans import rules
from services.plans.models import CarePlan, CarePlanReview, SafetyPlan
from services.staff.models import Team, User

Plan = TypeVar("Plan", CarePlan, SafetyPlan)


def current(session: Session, model: type[Plan], *, young_person_id: int) -> Plan | None:
    return session.scalar(
        select(model).where(model.young_person_id == young_person_id, model.status == VersionStatus.current)
    )


def history(session: Session, model: type[Plan], *, young_person_id: int) -> list[Plan]:
    """Every version, newest first."""
    return list(
        session.scalars(
            select(model).where(model.young_person_id == young_person_id).order_by(model.version.desc())
        )
    )


def version(session: Session, model: type[Plan], *, young_person_id: int, number: int) -> Plan:
    found = session.scalar(
        select(model).where(model.young_person_id == young_person_id, model.version == number)
    )
    if found is None:
        raise NotFound(f"no {_name(model)} version {number}")
    return found


def warnings_for(session: Session, *, young_person_id: int) -> list[str]:
    return rules.plan_warnings(
        has_care_plan=current(session, CarePlan, young_person_id=young_person_id) is not None,
        has_safety_plan=current(session, SafetyPlan, young_person_id=young_person_id) is not None,
    )


def _name(model: type[CarePlan] | type[SafetyPlan]) -> str:
    return "care plan" if model is CarePlan else "safety plan"


def check_people(session: Session, *, teams: Iterable[str | None], users: Iterable[str | None]) -> None:
    """Every team code and username a plan names must exist (NotFound says which does not)."""
    for code in {t for t in teams if t}:
        if session.scalar(select(Team.id).where(Team.code == code)) is None:
            raise NotFound(f"no team {code!r}")
    for username in {u for u in users if u}:
        if session.scalar(select(User.id).where(User.username == username, User.active.is_(True))) is None:
            raise NotFound(f"no active user {username!r}")


def _save(
    session: Session,
    model: type[Plan],
    *,
    young_person: YoungPerson,
    content: dict[str, Any],
    review_date: date,
    actor: Principal,
    via: Via,
    create: bool,
) -> Plan:
    """Version 1 on create; otherwise a new version, the current one becoming `superseded`."""
    name = _name(model)
    existing = current(session, model, young_person_id=young_person.id)
    if create and existing is not None:
        raise Conflict(f"a {name} already exists (version {existing.version}): update it with PUT")
    if not create and existing is None:
        raise NotFound(f"there is no {name} yet: create it with POST")
    row = model(
        young_person_id=young_person.id,
        young_person=young_person,
        version=existing.version + 1 if existing else 1,
        previous_id=existing.id if existing else None,
        status=VersionStatus.current,
        content=content,
        review_date=review_date,
        recorded_by_id=actor.user_id,
    )
    if existing is not None:
        existing.status = VersionStatus.superseded
        session.flush()  # the old version stops being current before the new one is
    session.add(row)
    session.flush()
    slug = name.replace(" ", "_")
    audit.record(
        session,
        actor=actor,
        action=f"{slug}.{'created' if create else 'updated'}",
        via=via,
        ref=young_person.ref,
        detail={"version": row.version},
    )
    return row


def save_care_plan(
    session: Session,
    *,
    young_person: YoungPerson,
    data: CarePlanContent,
    actor: Principal,
    via: Via,
    create: bool,
) -> CarePlan:
    check_people(
        session,
        teams=(i.owning_team for i in data.interventions),
        users=(i.owner for i in data.interventions),
    )
    plan = _save(
        session,
        CarePlan,
        young_person=young_person,
        content=data.model_dump(mode="json"),
        review_date=data.review_date,
        actor=actor,
        via=via,
        create=create,
    )
    jointly = (
        "made jointly with the young person" if data.made_jointly_with_young_person else "NOT made jointly"
    )
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=plan.recorded_at,
        kind="care_plan_saved",
        summary=f"Care plan version {plan.version} recorded by {actor.username} ({jointly}; "
        f"{len(data.interventions)} interventions; review by {data.review_date.isoformat()})",
        detail={"version": plan.version},
    )
    return plan


def save_safety_plan(
    session: Session,
    *,
    young_person: YoungPerson,
    data: SafetyPlanContent,
    actor: Principal,
    via: Via,
    create: bool,
) -> SafetyPlan:
    plan = _save(
        session,
        SafetyPlan,
        young_person=young_person,
        content=data.model_dump(mode="json"),
        review_date=data.review_date,
        actor=actor,
        via=via,
        create=create,
    )
    agreed = "agreed with the young person" if data.agreed_with_young_person else "NOT agreed with them"
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=plan.recorded_at,
        kind="safety_plan_saved",
        summary=f"Safety plan version {plan.version} recorded by {actor.username} ({agreed}; "
        f"review by {data.review_date.isoformat()})",
        detail={"version": plan.version},
    )
    if current(session, CarePlan, young_person_id=young_person.id) is None:
        chronology.add(
            session,
            young_person_id=young_person.id,
            at=plan.recorded_at,
            kind="plan_warning",
            summary=f"Warning: {rules.SAFETY_PLAN_WITHOUT_CARE_PLAN} (NICE NG225 asks for both; "
            "a discharge plan cannot be issued without a care plan)",
            detail={"warning": rules.SAFETY_PLAN_WITHOUT_CARE_PLAN, "safety_plan_version": plan.version},
        )
    return plan


def reviews(session: Session, *, young_person_id: int) -> list[CarePlanReview]:
    return list(
        session.scalars(
            select(CarePlanReview)
            .where(CarePlanReview.young_person_id == young_person_id)
            .order_by(CarePlanReview.reviewed_at.desc(), CarePlanReview.id.desc())
        )
    )


def review_care_plan(
    session: Session,
    *,
    young_person: YoungPerson,
    data: ReviewCreate,
    actor: Principal,
    via: Via,
    now: datetime,
) -> CarePlanReview:
    """Record a review of the current care plan and its next review date, and prompt the care coordinator
    to re-score the needs assessment (once per review). Returns the review and deliveries to send."""
    plan = current(session, CarePlan, young_person_id=young_person.id)
    if plan is None:
        raise NotFound("there is no care plan to review: create one first")
    review = CarePlanReview(
        care_plan_id=plan.id,
        young_person_id=young_person.id,
        outcome=data.outcome,
        reviewed_by_id=actor.user_id,
        reviewed_at=data.reviewed_at or now,
        next_review_date=data.next_review_date,
        recorded_at=now,
    )
    session.add(review)
    plan.review_date = data.next_review_date
    session.flush()
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=review.reviewed_at,
        kind="care_plan_reviewed",
        summary=f"Care plan version {plan.version} reviewed by {actor.username}; "
        f"next review by {data.next_review_date.isoformat()}",
        detail={"review_id": review.id, "version": plan.version},
    )
    audit.record(
        session,
        actor=actor,
        action="care_plan.reviewed",
        via=via,
        ref=young_person.ref,
        detail={"review_id": review.id, "version": plan.version},
    )
    needs.prompt_rescore(
        session,
        young_person=young_person,
        reason="the care plan was reviewed",
        cause=notifications.Event("care_plan_review", review.id),
        at=review.reviewed_at,
    )
    return review


def prompt_due_reviews(session: Session, *, now: datetime) -> None:
    """Each current care plan past its review date prompts the care coordinator (or, when nobody
    coordinates care, the lead social worker) once for that date. Claimed with a conditional UPDATE, so two
    runs at once prompt once."""
    today = now.date()
    due = session.scalars(
        select(CarePlan).where(
            CarePlan.status == VersionStatus.current,
            CarePlan.review_date < today,
            or_(CarePlan.review_prompted_for.is_(None), CarePlan.review_prompted_for != CarePlan.review_date),
        )
    )
    for plan in list(due):
        if not rules.review_prompt_due(
            review_date=plan.review_date, prompted_for=plan.review_prompted_for, today=today
        ):
            continue
        claimed = session.execute(
            update(CarePlan)
            .where(
                CarePlan.id == plan.id,
                or_(CarePlan.review_prompted_for.is_(None), CarePlan.review_prompted_for != plan.review_date),
            )
            .values(review_prompted_for=plan.review_date)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        young_person = plan.young_person
        chronology.add(
            session,
            young_person_id=young_person.id,
            at=now,
            kind="care_plan_review_due",
            summary=f"Care plan version {plan.version} was due for review by {plan.review_date.isoformat()}: "
            "care coordinator prompted",
            detail={"version": plan.version, "review_date": plan.review_date.isoformat()},
        )
        audit.record(
            session,
            actor=None,
            action="care_plan.review_due",
            via=Via.worker,
            ref=young_person.ref,
            detail={"version": plan.version},
        )
        notifications.create(
            session,
            kind=NotificationKind.plan_review_due,
            young_person=young_person,
            recipients=needs.coordinators(young_person, fallback=True),
            # once per young person and review date (its round: the date as a number, 20261203)
            event=notifications.Event(
                "care_plan_review_due", young_person.id, round=int(plan.review_date.strftime("%Y%m%d"))
            ),
        )
