"""Proposing, consulting on and deciding the end of a service's involvement (the closure guard).

The only place that writes closures. Each step is in the chronology and the audit trail; the care team is
told of the proposal and of the decision (by ref only), and a disengagement closure prompts a re-score.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from schemas.enums import (
    AssessmentStatus,
    CareTeamRole,
    ClosureReason,
    ClosureStance,
    ClosureStatus,
    NotificationKind,
    Role,
    Via,
)
from services.appointments import service as missed
from services.assessments import needs
from services.assessments.models import Assessment
from services.closures.models import Closure, ClosureResponse
from services.closures.rules import ClosureFacts, blockers
from services.closures.schemas import ClosureDecide, ClosurePropose, ClosureRespond
from services.kernel.audit import service as audit
from services.kernel.chronology import service as chronology
from services.kernel.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from services.kernel.identity import Principal
from services.notifications import service as notifications
from services.people.models import CareTeamMember, YoungPerson
from services.staff.models import User

MANAGERS = frozenset({Role.team_manager, Role.safeguarding_lead, Role.admin})
KEY_ROLES = (CareTeamRole.lead_social_worker, CareTeamRole.care_coordinator)


def get(session: Session, *, closure_id: int) -> Closure:
    closure = session.get(Closure, closure_id)
    if closure is None:
        raise NotFound(f"no closure {closure_id}")
    return closure


def list_for(session: Session, *, young_person_id: int) -> list[Closure]:
    return list(
        session.scalars(
            select(Closure).where(Closure.young_person_id == young_person_id).order_by(Closure.id.desc())
        )
    )


def _refused(
    session: Session,
    error: DomainError,
    *,
    young_person: YoungPerson,
    action: str,
    actor: Principal,
    via: Via,
    why: str,
    closure_id: int | None = None,
) -> DomainError:
    """Audit a refused step (`denied` for a 403, `refused` otherwise), kept although the refused work rolls
    back; returns the error for the caller to raise. `why` is a fixed code, never free text."""
    detail: dict[str, object] = {"why": why}
    if closure_id is not None:
        detail["closure_id"] = closure_id
    audit.record_refusal(
        session,
        actor=actor,
        action=action,
        via=via,
        ref=young_person.ref,
        outcome="denied" if isinstance(error, Forbidden) else "refused",
        detail=detail,
    )
    return error


def _membership(young_person: YoungPerson, user_id: int) -> CareTeamMember | None:
    return next((m for m in young_person.care_team if m.user_id == user_id), None)


def _label(closure: Closure) -> str:
    return f"{CareTeamRole(closure.member_role).label} ({closure.member.username})"


def _tell(session: Session, closure: Closure, kind: NotificationKind, *, also: User | None = None) -> None:
    """The care team other than the member whose involvement is ending (and `also`, if given)."""
    recipients = [
        (m.user, CareTeamRole(m.role))
        for m in closure.young_person.care_team
        if m.user.active and m.user_id != closure.member_id
    ]
    if also is not None:
        recipients.append((also, CareTeamRole(closure.member_role)))
    notifications.create(
        session,
        kind=kind,
        young_person=closure.young_person,
        recipients=recipients,
        event=notifications.Event(str(kind), closure.id),
    )


def propose(
    session: Session,
    *,
    young_person: YoungPerson,
    data: ClosurePropose,
    actor: Principal,
    via: Via,
    now: datetime,
    consultation_days: int,
) -> Closure:
    def refused(error: DomainError, why: str, closure_id: int | None = None) -> DomainError:
        return _refused(
            session,
            error,
            young_person=young_person,
            action="closure.propose",
            actor=actor,
            via=via,
            why=why,
            closure_id=closure_id,
        )

    member_user = session.get_one(User, actor.user_id)
    if data.username is not None and data.username != actor.username:
        found = session.scalar(select(User).where(User.username == data.username))
        if found is None:
            raise refused(NotFound(f"no user {data.username!r}"), "no_such_user")
        same_team_manager = actor.role == Role.team_manager and found.team_id == actor.team_id
        if not (same_team_manager or actor.role in (Role.safeguarding_lead, Role.admin)):
            raise refused(
                Forbidden(
                    "only that person, or a manager of their team, may propose closing their involvement"
                ),
                "not_their_manager",
            )
        member_user = found
    membership = _membership(young_person, member_user.id)
    if membership is None:
        raise refused(
            Invalid(f"{member_user.username} is not on this young person's care team"), "not_a_member"
        )
    pending = session.scalar(
        select(Closure.id).where(
            Closure.young_person_id == young_person.id,
            Closure.member_id == member_user.id,
            Closure.status == ClosureStatus.proposed,
        )
    )
    if pending is not None:
        raise refused(
            Conflict(f"closure {pending} is already proposed for {member_user.username}: decide that one"),
            "already_proposed",
            pending,
        )
    closure = Closure(
        young_person=young_person,
        member=member_user,
        member_role=membership.role,
        reason=data.reason,
        rationale=data.rationale.strip(),
        status=ClosureStatus.proposed,
        proposed_by_id=actor.user_id,
        proposed_at=now,
        consultation_ends=now + timedelta(days=consultation_days),
    )
    session.add(closure)
    session.flush()
    chronology.add(
        session,
        young_person_id=young_person.id,
        at=now,
        kind="closure_proposed",
        summary=f"{_label(closure)} proposes to close ({data.reason.replace('_', ' ')}); the care team is "
        f"consulted until {closure.consultation_ends:%Y-%m-%d}",
        detail={"closure_id": closure.id, "reason": str(data.reason), "member": member_user.username},
    )
    audit.record(
        session,
        actor=actor,
        action="closure.proposed",
        via=via,
        ref=young_person.ref,
        detail={"closure_id": closure.id},
    )
    _tell(session, closure, NotificationKind.closure_proposed)
    if data.reason.disengagement:
        needs.prompt_rescore(
            session,
            young_person=young_person,
            reason=f"a proposal to close {_label(closure)} for {data.reason.replace('_', '-')}",
            cause=notifications.Event("closure", closure.id),
            at=now,
        )
    return closure


def respond(
    session: Session, *, closure: Closure, data: ClosureRespond, actor: Principal, via: Via, now: datetime
) -> ClosureResponse:
    def refused(error: DomainError, why: str) -> DomainError:
        return _refused(
            session,
            error,
            young_person=closure.young_person,
            action="closure.respond",
            actor=actor,
            via=via,
            why=why,
            closure_id=closure.id,
        )

    if closure.status != ClosureStatus.proposed:
        raise refused(Conflict(f"closure {closure.id} is already decided ({closure.status})"), "decided")
    if actor.user_id == closure.member_id:
        raise refused(
            Invalid("the member whose involvement is ending does not answer their own proposal"),
            "own_proposal",
        )
    if _membership(closure.young_person, actor.user_id) is None and actor.role not in MANAGERS:
        raise refused(
            Forbidden("only the care team (or a manager) answers a closure consultation"), "not_consulted"
        )
    response = next((r for r in closure.responses if r.responder_id == actor.user_id), None)
    if response is None:
        response = ClosureResponse(
            closure=closure, responder_id=actor.user_id, stance=data.stance, comment=""
        )
        session.add(response)
    response.stance = data.stance
    response.comment = data.comment.strip()
    response.at = now
    session.flush()
    verb = "agrees with" if data.stance == ClosureStance.agree else "objects to"
    chronology.add(
        session,
        young_person_id=closure.young_person_id,
        at=now,
        kind="closure_response",
        summary=f"{actor.username} {verb} closing {_label(closure)}",
        detail={"closure_id": closure.id, "stance": str(data.stance)},
    )
    audit.record(
        session,
        actor=actor,
        action="closure.responded",
        via=via,
        ref=closure.young_person.ref,
        detail={"closure_id": closure.id, "stance": str(data.stance)},
    )
    return response


def facts(
    session: Session,
    *,
    closure: Closure,
    decider: Principal | None,
    now: datetime,
    missed_window_days: int,
    live_transfer_id: int | None,
) -> ClosureFacts:
    """What the closure guard reads. `live_transfer_id` is the young person's transfer in progress (open or
    accepted), which the caller asks the transfers domain for (services/transfers/views.py)."""
    key = {
        m.user_id: m.user.username
        for m in closure.young_person.care_team
        if m.role in KEY_ROLES and m.user_id != closure.member_id and m.user.active
    }
    lead_social_workers = frozenset(
        m.user_id for m in closure.young_person.care_team if m.role == CareTeamRole.lead_social_worker
    )
    rescored = session.scalar(
        select(Assessment.id).where(
            Assessment.young_person_id == closure.young_person_id,
            Assessment.status == AssessmentStatus.completed,
            Assessment.completed_at >= closure.proposed_at,
        )
    )
    return ClosureFacts(
        reason=ClosureReason(closure.reason),
        consultation_ends=closure.consultation_ends,
        key_people=key,
        lead_social_workers=lead_social_workers,
        responses={r.responder_id: ClosureStance(r.stance) for r in closure.responses},
        rescored_since_proposed=rescored is not None,
        statuses=frozenset(closure.young_person.statuses),
        decider_is_manager=decider is not None and decider.role in MANAGERS,
        not_brought=missed.not_brought_count(
            session, young_person_id=closure.young_person_id, now=now, window_days=missed_window_days
        ),
        not_brought_window_days=missed_window_days,
        member_is_lead_social_worker=closure.member_role == CareTeamRole.lead_social_worker,
        live_transfer_id=live_transfer_id,
    )


def decide(
    session: Session,
    *,
    closure: Closure,
    data: ClosureDecide,
    actor: Principal,
    via: Via,
    now: datetime,
    missed_window_days: int,
    live_transfer_id: int | None,
) -> None:
    def refused(error: DomainError, why: str) -> DomainError:
        return _refused(
            session,
            error,
            young_person=closure.young_person,
            action="closure.decide",
            actor=actor,
            via=via,
            why=why,
            closure_id=closure.id,
        )

    if closure.status != ClosureStatus.proposed:
        raise refused(Conflict(f"closure {closure.id} is already decided ({closure.status})"), "decided")
    if actor.user_id not in (closure.member_id, closure.proposed_by_id) and actor.role not in MANAGERS:
        raise refused(Forbidden("the proposer, the member or a manager decides a closure"), "not_a_decider")
    if data.decision == "close":
        found = facts(
            session,
            closure=closure,
            decider=actor,
            now=now,
            missed_window_days=missed_window_days,
            live_transfer_id=live_transfer_id,
        )
        standing = blockers(found, now=now)
        if standing:
            raise refused(Conflict("this closure cannot be decided yet: " + "; ".join(standing)), "blocked")
    closure.status = ClosureStatus.closed if data.decision == "close" else ClosureStatus.kept_open
    closure.decided_by = session.get_one(User, actor.user_id)
    closure.decided_at = now
    notifications.void(session, event_type=NotificationKind.closure_proposed, event_id=closure.id, at=now)
    closure.decision_note = data.note.strip()
    member = closure.member
    if closure.status == ClosureStatus.closed:
        session.execute(
            delete(CareTeamMember).where(
                CareTeamMember.young_person_id == closure.young_person_id,
                CareTeamMember.user_id == closure.member_id,
            )
        )
        session.expire(closure.young_person, ["care_team"])
        summary = f"{_label(closure)} closed its involvement, decided by {actor.username}"
    else:
        summary = f"{_label(closure)} stays involved: the proposed closure was not agreed ({actor.username})"
    chronology.add(
        session,
        young_person_id=closure.young_person_id,
        at=now,
        kind="closure" if closure.status == ClosureStatus.closed else "closure_kept_open",
        summary=summary,
        detail={"closure_id": closure.id, "decision": data.decision},
    )
    audit.record(
        session,
        actor=actor,
        action=f"closure.{closure.status}",
        via=via,
        ref=closure.young_person.ref,
        detail={"closure_id": closure.id},
    )
    _tell(session, closure, NotificationKind.closure, also=member)
