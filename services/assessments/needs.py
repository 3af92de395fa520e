"""The unmet-needs register, overdue needs, re-score prompts to the care coordinator, and THRIVE."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import AssessmentStatus, CareTeamRole, NeedStatus, NotificationKind, Thrive, Via
from services.assessments import templates
from services.assessments.models import Assessment, ThriveRecord, UnmetNeed
from services.audit import service as audit
from services.chronology import service as chronology
from services.chronology.models import ChronologyEntry
from services.clock import utcnow
from services.errors import Invalid, NotFound
from services.notifications import service as notifications
from services.people.access import Principal
from services.people.models import YoungPerson
from services.staff.models import Team, User

LIVE = (NeedStatus.open, NeedStatus.in_progress)


def is_overdue(need: UnmetNeed, today: date) -> bool:
    return need.status in LIVE and need.due_date < today


def get(session: Session, *, need_id: int) -> UnmetNeed:
    need = session.get(UnmetNeed, need_id)
    if need is None:
        raise NotFound(f"no unmet need {need_id}")
    return need


def list_for(session: Session, *, young_person_id: int) -> list[UnmetNeed]:
    return list(
        session.scalars(
            select(UnmetNeed)
            .where(UnmetNeed.young_person_id == young_person_id)
            .order_by(UnmetNeed.due_date, UnmetNeed.id)
        )
    )


def add(
    session: Session,
    *,
    assessment: Assessment,
    link_id: str,
    owning_team: str,
    action: str,
    due_date: date,
    actor: Principal,
    via: Via,
) -> UnmetNeed:
    """Record a need found at a Section C item, with the team that owns the action and its due date."""
    template = templates.parsed(assessment.template)
    item = next((i for i in template.items if i.link_id == link_id), None)
    if item is None or item.need_domain is None:
        domains = ", ".join(i.link_id for i in template.items if i.need_domain)
        raise Invalid(f"{link_id!r} is not an unmet-need item of this template (one of: {domains})")
    team = session.scalar(select(Team).where(Team.code == owning_team))
    if team is None:
        raise NotFound(f"no team {owning_team!r}")
    need = UnmetNeed(
        young_person_id=assessment.young_person_id,
        young_person=assessment.young_person,
        assessment_id=assessment.id,
        link_id=link_id,
        domain=item.need_domain,
        owning_team=team,
        action=action.strip(),
        due_date=due_date,
        status=NeedStatus.open,
        created_by_id=actor.user_id,
    )
    session.add(need)
    session.flush()
    chronology.add(
        session,
        young_person_id=assessment.young_person_id,
        at=need.created_at,
        kind="need_recorded",
        summary=f"Unmet need ({item.need_domain}) recorded for {team.name}, due {due_date.isoformat()}",
        detail={"need_id": need.id, "domain": item.need_domain, "team": team.code},
    )
    audit.record(
        session,
        actor=actor,
        action="need.recorded",
        via=via,
        ref=assessment.young_person.ref,
        detail={"need_id": need.id},
    )
    return need


def set_status(session: Session, *, need: UnmetNeed, status: NeedStatus, actor: Principal, via: Via) -> None:
    before = need.status
    need.status = status
    need.updated_at = utcnow()
    if before != status:
        chronology.add(
            session,
            young_person_id=need.young_person_id,
            at=need.updated_at,
            kind="need_updated",
            summary=f"Unmet need ({need.domain}) now {status.replace('_', ' ')}, by {actor.username}",
            detail={"need_id": need.id, "from": before, "to": str(status)},
        )
    audit.record(
        session,
        actor=actor,
        action="need.updated",
        via=via,
        ref=need.young_person.ref,
        detail={"need_id": need.id},
    )


def coordinators(young_person: YoungPerson, *, fallback: bool) -> list[tuple[User, CareTeamRole]]:
    """The care coordinator(s); with `fallback`, the lead social worker when nobody coordinates care."""
    members = [(m.user, CareTeamRole(m.role)) for m in young_person.care_team if m.user.active]
    wanted_roles = [CareTeamRole.care_coordinator] + ([CareTeamRole.lead_social_worker] if fallback else [])
    for wanted in wanted_roles:
        chosen: list[tuple[User, CareTeamRole]] = [(u, r) for u, r in members if r == wanted]
        if chosen:
            return chosen
    return []


def notify_overdue(session: Session, *, now: datetime) -> None:
    """Each need past its due date, once: a chronology entry and a notification to the care coordinator.
    Idempotent: the need remembers it was notified."""
    found = session.scalars(
        select(UnmetNeed).where(
            UnmetNeed.status.in_(LIVE),
            UnmetNeed.due_date < now.date(),
            UnmetNeed.overdue_notified_at.is_(None),
        )
    )
    for need in found:
        need.overdue_notified_at = now
        chronology.add(
            session,
            young_person_id=need.young_person_id,
            at=now,
            kind="need_overdue",
            summary=f"Unmet need ({need.domain}) owned by {need.owning_team.name} is overdue "
            f"(due {need.due_date.isoformat()})",
            detail={"need_id": need.id},
        )
        audit.record(
            session,
            actor=None,
            action="need.overdue",
            via=Via.worker,
            ref=need.young_person.ref,
            detail={"need_id": need.id},
        )
        notifications.create(
            session,
            kind=NotificationKind.need_overdue,
            young_person=need.young_person,
            recipients=coordinators(need.young_person, fallback=True),
            event=notifications.Event("need_overdue", need.id),
        )


def prompt_rescore(
    session: Session,
    *,
    young_person: YoungPerson,
    reason: str,
    cause: notifications.Event,
    at: datetime,
    told_already: Collection[int] = (),
) -> None:
    """Ask the care coordinator to re-score the needs assessment. `cause` is the event that prompted it
    (`Event("attendance", 7)`, `Event("stale", 3)`): an event prompts once.

    When nobody coordinates care, the lead social worker is asked instead, and the chronology flags the
    missing coordinator (the review found nobody coordinated Jez's care). People in `told_already` already
    have a message about this event that asks for the re-score (an attendance alert does), so they get no
    second one."""
    key = cause.key
    if _prompted_already(session, young_person_id=young_person.id, key=key):
        return
    recipients = coordinators(young_person, fallback=True)
    coordinated = any(role == CareTeamRole.care_coordinator for _, role in recipients)
    to_tell = [(user, role) for user, role in recipients if user.id not in told_already]
    if to_tell:
        notifications.create(
            session,
            kind=NotificationKind.rescore,
            young_person=young_person,
            recipients=to_tell,
            event=cause,  # a re-score prompt tells of its cause (kept apart from its alerts by its kind)
        )
    asked = ", ".join(sorted(user.username for user, _ in recipients))
    if coordinated:
        summary = f"Care coordinator ({asked}) asked to re-score the needs assessment: {reason}"
    elif recipients:
        summary = (
            f"No care coordinator is named, so the lead social worker ({asked}) was asked to re-score "
            f"the needs assessment: {reason}"
        )
    else:
        summary = f"Nobody could be asked to re-score the needs assessment after {reason}"
    detail = {"reason": reason, "event": key, "asked": sorted(u.username for u, _ in recipients)}
    chronology.add(
        session, young_person_id=young_person.id, at=at, kind="rescore_prompt", summary=summary, detail=detail
    )
    if not coordinated:
        chronology.add(
            session,
            young_person_id=young_person.id,
            at=at,
            kind="no_care_coordinator",
            summary="No care coordinator is named for this young person: "
            "the care team should name one (a single point of contact)",
            detail={"event": key},
        )


def _prompted_already(session: Session, *, young_person_id: int, key: str) -> bool:
    """Whether this event has prompted a re-score before (the chronology records every prompt)."""
    details = session.scalars(
        select(ChronologyEntry.detail).where(
            ChronologyEntry.young_person_id == young_person_id, ChronologyEntry.kind == "rescore_prompt"
        )
    )
    return any(detail.get("event") == key for detail in details)


def prompt_stale(session: Session, *, now: datetime, max_age_days: int) -> None:
    """Prompt a re-score where the newest completed assessment is older than `max_age_days`."""
    cutoff = now - timedelta(days=max_age_days)
    stale = session.scalars(
        select(Assessment).where(
            Assessment.status == AssessmentStatus.completed, Assessment.completed_at < cutoff
        )
    )
    for assessment in stale:
        newer = session.scalar(
            select(Assessment.id).where(
                Assessment.young_person_id == assessment.young_person_id,
                Assessment.id != assessment.id,
                Assessment.started_at > assessment.started_at,
            )
        )
        if newer is None:  # a newer assessment, even in progress, means the re-score is under way
            prompt_rescore(
                session,
                young_person=assessment.young_person,
                reason=f"the last completed assessment is more than {max_age_days} days old",
                cause=notifications.Event("stale", assessment.id),
                at=now,
            )


def record_thrive(
    session: Session,
    *,
    young_person: YoungPerson,
    grouping: Thrive,
    on: date,
    rationale: str,
    young_person_agreed: bool | None,
    family_agreed: bool | None,
    actor: Principal,
    via: Via,
) -> ThriveRecord:
    record = ThriveRecord(
        young_person_id=young_person.id,
        grouping=grouping,
        on=on,
        rationale=rationale.strip(),
        young_person_agreed=young_person_agreed,
        family_agreed=family_agreed,
        assessor_id=actor.user_id,
    )
    session.add(record)
    session.flush()
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=record.recorded_at,
        kind="thrive_grouping",
        summary=f"THRIVE grouping recorded by {actor.username}: {grouping.replace('_', ' ').capitalize()}",
        detail={"grouping": str(grouping), "on": on.isoformat()},
    )
    audit.record(session, actor=actor, action="thrive.recorded", via=via, ref=young_person.ref)
    return record


def thrive_history(session: Session, *, young_person_id: int) -> list[ThriveRecord]:
    return list(
        session.scalars(
            select(ThriveRecord)
            .where(ThriveRecord.young_person_id == young_person_id)
            .order_by(ThriveRecord.on.desc(), ThriveRecord.id.desc())
        )
    )
