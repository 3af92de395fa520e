"""The facts the access rules (services/people/access.py) read about one young person, gathered from every
domain that grants a relationship: the care team, the alerts the service sent, the transfers in progress.
And `authorise`, which applies a rule to them and audits a refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import TransferStatus, Via
from schemas.settings import get_settings
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.errors import Forbidden
from services.kernel.identity import Principal
from services.notifications.models import Notification
from services.people.access import NOTICES_OF_WITHDRAWAL, CaseFacts, alert_access_since
from services.people.models import YoungPerson
from services.transfers.models import Transfer


def facts(session: Session, *, young_person: YoungPerson, now: datetime | None = None) -> CaseFacts:
    """What the rules read about `young_person` at `now`: among the people alerted, only those whose
    alert still grants access (`access.alert_grants_access`: recent, not withdrawn)."""
    since = alert_access_since(now or utcnow(), hours=get_settings().alert_access_hours)
    alerted = session.scalars(
        select(Notification.recipient_id).where(
            Notification.young_person_id == young_person.id,
            Notification.voided_at.is_(None),
            Notification.created_at >= since,
            Notification.kind.not_in([str(kind) for kind in NOTICES_OF_WITHDRAWAL]),
        )
    )
    live = session.execute(
        select(Transfer.from_la, Transfer.to_la).where(
            Transfer.young_person_id == young_person.id,
            Transfer.status.in_([TransferStatus.open, TransferStatus.accepted]),
        )
    )
    return CaseFacts(
        responsible_la=young_person.responsible_la,
        residence_la=young_person.residence_la,
        member_user_ids=frozenset(m.user_id for m in young_person.care_team),
        member_team_ids=frozenset(m.user.team_id for m in young_person.care_team),
        alerted_user_ids=frozenset(alerted),
        transfer_las=frozenset(la for pair in live for la in pair),
    )


def authorise(
    session: Session,
    *,
    principal: Principal,
    young_person: YoungPerson,
    rule: Callable[[Principal, CaseFacts], bool],
    action: str,
    via: Via,
) -> None:
    """Allow, or record the denial in the audit trail (kept although the request rolls back) and refuse."""
    if rule(principal, facts(session, young_person=young_person)):
        return
    audit.record_refusal(
        session, actor=principal, action=action, via=via, ref=young_person.ref, outcome="denied"
    )
    raise Forbidden("this young person is not in your care teams")
