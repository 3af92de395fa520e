"""What a transfer looks like to a reader: its checklist, worked out by the pure rules from the facts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import CareTeamRole
from services.people.models import YoungPerson
from services.plans import service as plans
from services.plans.models import CarePlan, SafetyPlan
from services.staff.models import User
from services.transfers import rules
from services.transfers.models import Transfer
from services.transfers.rules import ChecklistFacts, TransferChange, TransferItem, TransferStatus
from services.transfers.schemas import ItemRead, TransferRead


def changed_of(transfer: Transfer) -> frozenset[TransferChange]:
    return frozenset(TransferChange(c) for c in transfer.changed)


def lead_social_workers(young_person: YoungPerson, la_code: str | None = None) -> list[User]:
    return [
        m.user
        for m in young_person.care_team
        if m.role == CareTeamRole.lead_social_worker and (la_code is None or m.user.team.la_code == la_code)
    ]


def checklist_facts(session: Session, *, transfer: Transfer) -> ChecklistFacts:
    young_person = transfer.young_person
    return ChecklistFacts(
        to_la=transfer.to_la,
        changed=changed_of(transfer),
        statuses=frozenset(young_person.statuses),
        accepted=transfer.accepted_at is not None,
        ticked=frozenset(TransferItem(t.item) for t in transfer.ticks),
        receiving_lead_social_worker=bool(lead_social_workers(young_person, transfer.to_la)),
        has_care_plan=plans.current(session, CarePlan, young_person_id=young_person.id) is not None,
        has_safety_plan=plans.current(session, SafetyPlan, young_person_id=young_person.id) is not None,
    )


def to_read(session: Session, *, transfer: Transfer) -> TransferRead:
    facts = checklist_facts(session, transfer=transfer)
    ticks = {TransferItem(t.item): t for t in transfer.ticks}
    items: list[ItemRead] = []
    for spec in rules.CHECKLIST:
        done = ticks.get(spec.item)
        read = ItemRead(
            item=spec.item,
            label=spec.label,
            required=rules.is_required(spec, facts),
            done=rules.is_done(spec, facts),
        )
        if spec.item == TransferItem.accepted and transfer.accepted_by is not None:
            read.ticked_by, read.ticked_at = transfer.accepted_by.username, transfer.accepted_at
            read.note = transfer.acceptance_note
        elif done is not None:
            read.ticked_by, read.ticked_at = done.ticked_by.username, done.ticked_at
            read.note, read.date = done.note, done.on_date
        items.append(read)
    status = TransferStatus(transfer.status)
    accepted = status in (TransferStatus.accepted, TransferStatus.completed)
    return TransferRead(
        id=transfer.id,
        young_person_ref=transfer.young_person.ref,
        from_la=transfer.from_la,
        to_la=transfer.to_la,
        changed=[TransferChange(c) for c in transfer.changed],
        status=status,
        responsible_now=transfer.to_la if accepted else transfer.from_la,
        opened_at=transfer.opened_at,
        opened_by=transfer.opened_by.username if transfer.opened_by else None,
        accepted_at=transfer.accepted_at,
        accepted_by=transfer.accepted_by.username if transfer.accepted_by else None,
        ended_at=transfer.ended_at,
        ended_by=transfer.ended_by.username if transfer.ended_by else None,
        end_note=transfer.end_note,
        chased=transfer.chased,
        checklist=items,
        outstanding=[s.item for s in rules.outstanding(facts)] if status.live else [],
    )


def live_between(session: Session, *, young_person_id: int) -> list[tuple[str, str]]:
    """The (from, to) local authorities of the young person's open or accepted transfers, oldest first:
    whose duty teams an attendance alert also tells."""
    rows = session.execute(
        select(Transfer.from_la, Transfer.to_la)
        .where(
            Transfer.young_person_id == young_person_id,
            Transfer.status.in_((TransferStatus.open, TransferStatus.accepted)),
        )
        .order_by(Transfer.id)
    )
    return [(from_la, to_la) for from_la, to_la in rows]
