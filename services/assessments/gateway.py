"""Escalation: a HIGH level makes a Gateway (Level 1) referral sent to the care team and the local Gateway
chair; an unresolved referral can be raised to a Resolution (Level 2) request."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import CareTeamRole, EscalationLevel, EscalationStatus, NotificationKind, Via
from schemas.settings import Settings
from services.assessments.models import Assessment, Escalation
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.clock import utcnow
from services.kernel.errors import Conflict, NotFound
from services.kernel.identity import Principal
from services.notifications import service as notifications
from services.people.models import YoungPerson
from services.staff.models import User


def care_team(young_person: YoungPerson) -> list[tuple[User, CareTeamRole]]:
    return [(m.user, CareTeamRole(m.role)) for m in young_person.care_team if m.user.active]


def gateway_chairs(
    session: Session, *, young_person: YoungPerson, settings: Settings
) -> list[tuple[User, CareTeamRole]]:
    """The configured chairs for the young person's responsible local authority."""
    usernames = settings.gateway_chairs.get(young_person.responsible_la, [])
    if not usernames:
        return []
    users = session.scalars(select(User).where(User.username.in_(usernames), User.active.is_(True)))
    return [(u, CareTeamRole.gateway_chair) for u in users]


def get(session: Session, *, escalation_id: int) -> Escalation:
    found = session.get(Escalation, escalation_id)
    if found is None:
        raise NotFound(f"no escalation {escalation_id}")
    return found


def list_for(session: Session, *, young_person_id: int) -> list[Escalation]:
    return list(
        session.scalars(
            select(Escalation).where(Escalation.young_person_id == young_person_id).order_by(Escalation.id)
        )
    )


def _notify(session: Session, *, escalation: Escalation, kind: NotificationKind, settings: Settings) -> None:
    young_person = escalation.young_person
    recipients = care_team(young_person) + gateway_chairs(
        session, young_person=young_person, settings=settings
    )
    notifications.create(
        session,
        kind=kind,
        young_person=young_person,
        recipients=recipients,
        event=notifications.Event(str(kind), escalation.id),
    )


def refer_to_gateway(
    session: Session,
    *,
    assessment: Assessment,
    cetr_prompt: bool,
    actor: Principal,
    via: Via,
    settings: Settings,
) -> None:
    young_person = assessment.young_person
    referral = Escalation(
        young_person_id=young_person.id,
        young_person=young_person,
        assessment_id=assessment.id,
        level=EscalationLevel.gateway,
        status=EscalationStatus.open,
        cetr_prompt=cetr_prompt,
        created_by_id=actor.user_id,
    )
    session.add(referral)
    session.flush()
    cetr = (
        " Autism or a learning disability is recorded: consider a Care, Education and Treatment Review."
        if cetr_prompt
        else ""
    )
    chairs = gateway_chairs(session, young_person=young_person, settings=settings)
    chair_note = "" if chairs else " No Gateway chair is configured for this local authority."
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=referral.created_at,
        kind="gateway_referral",
        summary=(
            "Gateway (Level 1) referral made: the needs assessment shows a HIGH likelihood of Tier 4 "
            f"admission, placement breakdown or custody.{cetr}{chair_note}"
        ),
        detail={"escalation_id": referral.id, "assessment_id": assessment.id, "cetr_prompt": cetr_prompt},
    )
    audit.record(
        session,
        actor=actor,
        action="escalation.gateway_referral",
        via=via,
        ref=young_person.ref,
        detail={"escalation_id": referral.id, "assessment_id": assessment.id},
    )
    _notify(session, escalation=referral, kind=NotificationKind.gateway, settings=settings)


def raise_to_resolution(
    session: Session, *, referral: Escalation, reason: str, actor: Principal, via: Via, settings: Settings
) -> Escalation:
    """Gateway has not resolved the needs (clinical disagreement, no suitable local provision, ...)."""
    if referral.level != EscalationLevel.gateway or referral.status != EscalationStatus.open:
        raise Conflict("only an open Gateway referral can be raised to Resolution")
    now = utcnow()
    request = Escalation(
        young_person_id=referral.young_person_id,
        young_person=referral.young_person,
        assessment_id=referral.assessment_id,
        level=EscalationLevel.resolution,
        status=EscalationStatus.open,
        cetr_prompt=referral.cetr_prompt,
        reason=reason.strip(),
        raised_from_id=referral.id,
        created_by_id=actor.user_id,
        created_at=now,
    )
    referral.status = EscalationStatus.raised
    session.add(request)
    session.flush()
    chronology.add(
        session,
        young_person_id=referral.young_person_id,
        at=now,
        kind="resolution_request",
        summary=f"Gateway referral raised to a Resolution (Level 2) request by {actor.username}",
        detail={"escalation_id": request.id, "raised_from_id": referral.id},
    )
    audit.record(
        session,
        actor=actor,
        action="escalation.resolution_request",
        via=via,
        ref=referral.young_person.ref,
        detail={"escalation_id": request.id, "raised_from_id": referral.id},
    )
    _notify(session, escalation=request, kind=NotificationKind.resolution, settings=settings)
    return request


def close(session: Session, *, escalation: Escalation, outcome: str, actor: Principal, via: Via) -> None:
    if escalation.status != EscalationStatus.open:
        raise Conflict(f"this {escalation.level} escalation is already {escalation.status}")
    now = utcnow()
    escalation.status = EscalationStatus.resolved
    escalation.closed_at = now
    for told_as in (NotificationKind.gateway, NotificationKind.resolution):  # a referral and its request
        notifications.void(session, event_type=told_as, event_id=escalation.id, at=now)
    escalation.closed_by_id = actor.user_id
    escalation.outcome = outcome.strip()
    label = "Gateway referral" if escalation.level == EscalationLevel.gateway else "Resolution request"
    chronology.add(
        session,
        young_person_id=escalation.young_person_id,
        at=now,
        kind="escalation_resolved",
        summary=f"{label} resolved, recorded by {actor.username}",
        detail={"escalation_id": escalation.id},
    )
    audit.record(
        session,
        actor=actor,
        action="escalation.resolved",
        via=via,
        ref=escalation.young_person.ref,
        detail={"escalation_id": escalation.id},
    )
