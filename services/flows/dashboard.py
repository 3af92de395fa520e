"""The managers' dashboard: what is waiting across a team manager's or a safeguarding lead's scope.

A team manager's scope is their own team's alerts and the young people whose care teams their team is on;
a safeguarding lead's is their local authority's young people (responsible for them, where they live, or in
a transfer to or from it). The database narrows the candidates; the pure access rule (`access.may_view`)
then decides each young person, so the dashboard never shows more than reading the records one by one
would. Young people are named by ref only. The web page reads it; an API route could serve it as it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from schemas.enums import EscalationStatus, NotificationKind, Role, TransferStatus
from services.appointments.models import Appointment
from services.assessments import needs
from services.assessments.models import Escalation, UnmetNeed
from services.flows import case_access, rules
from services.kernel.audit import service as audit
from services.kernel.errors import Forbidden
from services.kernel.identity import Principal
from services.notifications.models import Notification
from services.people import access
from services.people.models import CareTeamMember, YoungPerson
from services.staff.models import User
from services.transfers.models import Transfer

NOT_ALERTS = (NotificationKind.reminder, NotificationKind.escalation)  # they chase an alert: shown on it


@dataclass(frozen=True)
class Dashboard:
    scope: str  # in words: whose young people these are
    alerts: list[Notification] = field(default_factory=list)  # not acknowledged, the oldest first
    overdue_appointments: list[tuple[str, Appointment]] = field(default_factory=list)  # (ref, it)
    overdue_needs: list[UnmetNeed] = field(default_factory=list)
    gateway_open: list[Escalation] = field(default_factory=list)
    transfers_waiting: list[Transfer] = field(default_factory=list)
    repeat_attenders: list[str] = field(default_factory=list)  # refs
    without_coordinator: list[str] = field(default_factory=list)  # refs

    def refs(self) -> list[str]:
        found = {n.young_person.ref for n in self.alerts}
        found |= {ref for ref, _ in self.overdue_appointments}
        found |= {n.young_person.ref for n in self.overdue_needs}
        found |= {e.young_person.ref for e in self.gateway_open}
        found |= {t.young_person.ref for t in self.transfers_waiting}
        return sorted(found | set(self.repeat_attenders) | set(self.without_coordinator))


def _in_scope(session: Session, principal: Principal) -> dict[int, YoungPerson]:
    """The young people of the principal's scope that `access.may_view` allows them, by id."""
    if principal.role == Role.team_manager:
        statement = select(YoungPerson).where(
            YoungPerson.id.in_(
                select(CareTeamMember.young_person_id)
                .join(User, CareTeamMember.user_id == User.id)
                .where(User.team_id == principal.team_id)
            )
        )
    else:
        la = principal.la_code
        transferring = select(Transfer.young_person_id).where(
            Transfer.status.in_([TransferStatus.open, TransferStatus.accepted]),
            or_(Transfer.from_la == la, Transfer.to_la == la),
        )
        statement = select(YoungPerson).where(
            or_(
                YoungPerson.responsible_la == la,
                YoungPerson.residence_la == la,
                YoungPerson.id.in_(transferring),
            )
        )
    return {
        yp.id: yp
        for yp in session.scalars(statement.order_by(YoungPerson.ref))
        if access.may_view(principal, case_access.facts(session, young_person=yp))
    }


def _alerts(session: Session, principal: Principal, people: dict[int, YoungPerson]) -> list[Notification]:
    waiting = select(Notification).where(
        Notification.acknowledged_at.is_(None),
        Notification.voided_at.is_(None),
        Notification.kind.not_in(NOT_ALERTS),
    )
    if principal.role == Role.team_manager:  # their team's people's alerts, whoever the young person is
        waiting = waiting.where(
            Notification.recipient_id.in_(select(User.id).where(User.team_id == principal.team_id))
        )
    else:
        waiting = waiting.where(Notification.young_person_id.in_(people))
    return list(session.scalars(waiting.order_by(Notification.created_at, Notification.id)))


def build(session: Session, *, principal: Principal, now: datetime) -> Dashboard:
    """What is waiting in `principal`'s scope at `now` (refused unless `access.may_read_dashboard`)."""
    people = _in_scope(session, principal)
    ids = list(people)
    appointments = [
        (people[a.young_person_id].ref, a)
        for a in session.scalars(
            select(Appointment)
            .where(Appointment.young_person_id.in_(ids), Appointment.at < now)
            .order_by(Appointment.at, Appointment.id)
        )
        if rules.outcome_overdue(at=a.at, status=a.status, now=now)
    ]
    overdue_needs = [
        n
        for n in session.scalars(
            select(UnmetNeed).where(UnmetNeed.young_person_id.in_(ids)).order_by(UnmetNeed.due_date)
        )
        if needs.is_overdue(n, now.date())
    ]
    gateway = list(
        session.scalars(
            select(Escalation)
            .where(Escalation.young_person_id.in_(ids), Escalation.status == EscalationStatus.open)
            .order_by(Escalation.created_at)
        )
    )
    transfers = list(
        session.scalars(
            select(Transfer)
            .where(
                Transfer.young_person_id.in_(ids),
                Transfer.status.in_([TransferStatus.open, TransferStatus.accepted]),
            )
            .order_by(Transfer.opened_at)
        )
    )
    repeats = session.scalars(
        select(Notification.young_person_id)
        .where(
            Notification.young_person_id.in_(ids),
            Notification.kind == NotificationKind.repeat_attendance,
            Notification.created_at >= rules.month_start(now),
        )
        .distinct()
    )
    return Dashboard(
        scope=_scope_words(principal),
        alerts=_alerts(session, principal, people),
        overdue_appointments=appointments,
        overdue_needs=overdue_needs,
        gateway_open=gateway,
        transfers_waiting=transfers,
        repeat_attenders=sorted(people[i].ref for i in repeats),
        without_coordinator=[
            yp.ref for yp in people.values() if rules.lacks_coordinator(m.role for m in yp.care_team)
        ],
    )


def _scope_words(principal: Principal) -> str:
    if principal.role == Role.team_manager:
        return "your team's alerts, and the young people whose care teams your team is on"
    return f"the young people of {principal.la_code}"


def read(session: Session, *, principal: Principal, now: datetime) -> Dashboard:
    """The dashboard as `principal` may read it: a refusal audited, then Forbidden; the read audited
    (`dashboard.read`, with the refs listed), with the principal's own `via`."""
    if not access.may_read_dashboard(principal):
        audit.record_refusal(session, actor=principal, action="dashboard.read", via=principal.via)
        raise Forbidden("the dashboard is for team managers and safeguarding leads")
    found = build(session, principal=principal, now=now)
    audit.record(
        session,
        actor=principal,
        action="dashboard.read",
        via=principal.via,
        detail={"refs": found.refs()},
    )
    return found
