"""Opening, working through and closing transfers between local authorities. Keyword-only functions,
session first; the only place that writes transfers.

Every step enters the chronology and the audit trail, and tells both local authorities (by ref only)
through the notification pipeline; the deliveries are queued when the session commits.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schemas.enums import CareTeamRole, NotificationKind, Role, Via
from services.attendances.patterns import safeguarding_leads
from services.audit import service as audit
from services.chronology import service as chronology
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.notifications import service as notifications
from services.people.access import Principal
from services.people.models import YoungPerson
from services.staff.models import User
from services.transfers import rules, views
from services.transfers.models import Transfer, TransferTick
from services.transfers.rules import (
    LaState,
    LiveTransfer,
    Move,
    RefusalKind,
    TransferChange,
    TransferItem,
    TransferStatus,
)
from services.transfers.views import lead_social_workers
from services.worktime.rules import WorkingCalendar

LIVE = (TransferStatus.open, TransferStatus.accepted)
_ERRORS = {RefusalKind.conflict: Conflict, RefusalKind.forbidden: Forbidden, RefusalKind.invalid: Invalid}


def get(session: Session, *, transfer_id: int) -> Transfer:
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(f"no transfer {transfer_id}")
    return transfer


def list_for(session: Session, *, young_person_id: int) -> list[Transfer]:
    """Newest first."""
    return list(
        session.scalars(
            select(Transfer).where(Transfer.young_person_id == young_person_id).order_by(Transfer.id.desc())
        )
    )


def _tell(
    session: Session,
    transfer: Transfer,
    kind: NotificationKind,
    *,
    event: notifications.Event,
    care_team: bool = True,
    duty: bool = False,
) -> None:
    """Both local authorities: their safeguarding leads (their duty team when they have none), with
    `duty` their duty teams too, and with `care_team` everyone on the care team. Each person once."""
    young_person = transfer.young_person
    recipients: list[tuple[User, CareTeamRole]] = []
    if care_team:
        recipients += [(m.user, CareTeamRole(m.role)) for m in young_person.care_team if m.user.active]
    for la_code in (transfer.from_la, transfer.to_la):
        for user in safeguarding_leads(session, la_code=la_code):
            role = (
                CareTeamRole.safeguarding_lead if user.role == Role.safeguarding_lead else CareTeamRole.duty
            )
            recipients.append((user, role))
        if duty:
            recipients += [
                (user, CareTeamRole.duty) for user in notifications.duty_users(session, la_code=la_code)
            ]
    notifications.create(session, kind=kind, young_person=young_person, recipients=recipients, event=event)


def _void(session: Session, transfer: Transfer, *, now: datetime) -> None:
    """A transfer no longer open is no longer overdue; one withdrawn no longer asks anyone to act on it."""
    if transfer.status != TransferStatus.open:
        notifications.void(
            session, event_type=NotificationKind.transfer_overdue, event_id=transfer.id, at=now
        )
    if transfer.status == TransferStatus.withdrawn:
        notifications.void(session, event_type=NotificationKind.transfer_opened, event_id=transfer.id, at=now)


def _record(
    session: Session,
    transfer: Transfer,
    *,
    kind: str,
    summary: str,
    actor: Principal | None,
    via: Via,
    now: datetime,
    detail: dict[str, object] | None = None,
) -> None:
    chronology.add(
        session,
        young_person_id=transfer.young_person_id,
        at=now,
        kind=kind,
        summary=summary,
        detail={"transfer_id": transfer.id, **(detail or {})},
    )
    audit.record(
        session,
        actor=actor,
        action=kind.replace("transfer_", "transfer."),
        via=via,
        ref=transfer.young_person.ref,
        detail={"transfer_id": transfer.id, **(detail or {})},
    )


def open_for_change(
    session: Session, *, young_person: YoungPerson, before: LaState, actor: Principal, via: Via, now: datetime
) -> None:
    """Open a transfer for each move the change makes (withdrawing any it supersedes) and tell both local
    authorities at once."""
    after = LaState(young_person.responsible_la, young_person.residence_la)
    for move in rules.moves(before, after):
        _supersede(session, young_person=young_person, move=move, actor=actor, via=via, now=now)
        _open(session, young_person=young_person, move=move, actor=actor, via=via, now=now)


def _supersede(
    session: Session, *, young_person: YoungPerson, move: Move, actor: Principal, via: Via, now: datetime
) -> None:
    live = [t for t in list_for(session, young_person_id=young_person.id) if t.status in LIVE]
    facts = [LiveTransfer(t.id, views.changed_of(t), TransferStatus(t.status)) for t in live]
    for transfer in (t for t in live if t.id in set(rules.superseded(facts, move))):
        reason = f"superseded by a later move from {move.from_la} to {move.to_la}"
        _end(session, transfer, TransferStatus.withdrawn, actor=actor, via=via, now=now, note=reason)


def _open(
    session: Session, *, young_person: YoungPerson, move: Move, actor: Principal, via: Via, now: datetime
) -> None:
    transfer = Transfer(
        young_person=young_person,
        from_la=move.from_la,
        to_la=move.to_la,
        changed=[str(c) for c in TransferChange if c in move.changed],
        status=TransferStatus.open,
        opened_at=now,
        opened_by_id=actor.user_id,
    )
    session.add(transfer)
    session.flush()
    leads = lead_social_workers(young_person)
    keeps = (
        f"the lead social worker ({', '.join(u.username for u in leads)}) stays on the care team"
        if leads
        else f"no lead social worker is named: {move.from_la}'s duty team is told"
    )
    _record(
        session,
        transfer,
        kind="transfer_opened",
        summary=f"Transfer {transfer.id} opened ({rules.labels(move.changed)}): {move.from_la} to "
        f"{move.to_la}. {move.from_la} keeps responsibility until {move.to_la} accepts; {keeps}. Both "
        "local authorities have been told.",
        actor=actor,
        via=via,
        now=now,
        detail={"from_la": move.from_la, "to_la": move.to_la, "changed": transfer.changed},
    )
    _tell(
        session,
        transfer,
        NotificationKind.transfer_opened,
        event=notifications.Event("transfer_opened", transfer.id),
        duty=True,
    )


def tick(
    session: Session,
    *,
    transfer: Transfer,
    item: TransferItem,
    note: str,
    on: date | None,
    actor: Principal,
    via: Via,
    now: datetime,
) -> TransferTick:
    """Record one handover item as done, by this person, now, with a note (and a date where needed)."""
    day = on
    refusal = rules.tick_refusal(
        item,
        views.checklist_facts(session, transfer=transfer),
        status=TransferStatus(transfer.status),
        ticker_la=actor.la_code,
        on=day,
    )
    if refusal is not None:
        outcome = "denied" if refusal.kind == RefusalKind.forbidden else "refused"
        _refuse(session, transfer, "transfer.tick", actor=actor, via=via, outcome=outcome, item=str(item))
        raise _ERRORS[refusal.kind](refusal.reason)
    done = TransferTick(
        transfer=transfer,
        item=str(item),
        ticked_by_id=actor.user_id,
        ticked_at=now,
        note=note.strip(),
        on_date=day,
    )
    session.add(done)
    session.flush()
    when = f" ({day.isoformat()})" if day else ""
    _record(
        session,
        transfer,
        kind="transfer_item_ticked",
        summary=f"Transfer {transfer.id} handover: {rules.SPECS[item].label}{when}, "
        f"ticked by {actor.username}",
        actor=actor,
        via=via,
        now=now,
        detail={"item": str(item)},
    )
    return done


def _refuse(
    session: Session,
    transfer: Transfer,
    action: str,
    *,
    actor: Principal | None,
    via: Via,
    outcome: str = "refused",
    item: str | None = None,
) -> None:
    """Audit a refused step (kept although the refused work rolls back, like a denial of access); the
    caller then raises."""
    detail: dict[str, object] = {"transfer_id": transfer.id}
    if item is not None:
        detail["item"] = item
    audit.record_refusal(
        session,
        actor=actor,
        action=action,
        via=via,
        ref=transfer.young_person.ref,
        outcome=outcome,
        detail=detail,
    )


def _require(
    session: Session, transfer: Transfer, to: TransferStatus, *, actor: Principal | None, via: Via
) -> None:
    refusal = rules.step_refusal(TransferStatus(transfer.status), to)
    if refusal is not None:
        verb = {"accepted": "accept", "declined": "decline", "withdrawn": "withdraw", "completed": "complete"}
        _refuse(session, transfer, f"transfer.{verb[to]}", actor=actor, via=via)
        raise Conflict(refusal)


def accept(
    session: Session, *, transfer: Transfer, note: str | None, actor: Principal, via: Via, now: datetime
) -> None:
    """The receiving local authority takes the case on; the sending lead social worker stays on the care
    team until the handover is completed."""
    _require(session, transfer, TransferStatus.accepted, actor=actor, via=via)
    transfer.status = TransferStatus.accepted
    transfer.accepted_at = now
    _void(session, transfer, now=now)
    transfer.accepted_by = session.get_one(User, actor.user_id)
    transfer.acceptance_note = note.strip() if note else None
    left = rules.outstanding(views.checklist_facts(session, transfer=transfer))
    _record(
        session,
        transfer,
        kind="transfer_accepted",
        summary=f"{transfer.to_la} accepted transfer {transfer.id} ({actor.username}): responsibility passes "
        f"from {transfer.from_la}, whose lead social worker stays on the care team until the handover is "
        f"completed. Outstanding: {', '.join(s.item for s in left) or 'nothing'}",
        actor=actor,
        via=via,
        now=now,
    )
    _tell(
        session,
        transfer,
        NotificationKind.transfer_accepted,
        event=notifications.Event("transfer_accepted", transfer.id),
    )


def _end(
    session: Session,
    transfer: Transfer,
    status: TransferStatus,
    *,
    actor: Principal | None,
    via: Via,
    now: datetime,
    note: str,
) -> None:
    _require(session, transfer, status, actor=actor, via=via)
    transfer.status = status
    transfer.ended_at = now
    _void(session, transfer, now=now)
    transfer.ended_by_id = actor.user_id if actor is not None else None
    transfer.end_note = note.strip()
    by = actor.username if actor is not None else "liaison"
    match status:
        case TransferStatus.declined:
            summary = (
                f"{transfer.to_la} declined transfer {transfer.id} ({by}): {transfer.end_note}. "
                f"{transfer.from_la} keeps responsibility."
            )
        case TransferStatus.withdrawn:
            summary = (
                f"Transfer {transfer.id} ({transfer.from_la} to {transfer.to_la}) withdrawn ({by}): "
                f"{transfer.end_note}"
            )
        case _:
            summary = (
                f"Transfer {transfer.id} completed ({by}): {transfer.to_la} holds the case and every "
                f"required handover item is done. The lead social worker of {transfer.from_la} may now "
                "close their involvement through the closure guard (reason: transferred)."
            )
    _record(session, transfer, kind=f"transfer_{status}", summary=summary, actor=actor, via=via, now=now)
    kind = NotificationKind(f"transfer_{status}")
    _tell(session, transfer, kind, event=notifications.Event(str(kind), transfer.id))


def decline(
    session: Session, *, transfer: Transfer, reason: str, actor: Principal, via: Via, now: datetime
) -> None:
    _end(session, transfer, TransferStatus.declined, actor=actor, via=via, now=now, note=reason)


def withdraw(
    session: Session, *, transfer: Transfer, reason: str, actor: Principal, via: Via, now: datetime
) -> None:
    _end(session, transfer, TransferStatus.withdrawn, actor=actor, via=via, now=now, note=reason)


def complete(
    session: Session, *, transfer: Transfer, note: str | None, actor: Principal, via: Via, now: datetime
) -> None:
    """Refused (409, naming every outstanding item) until the receiving LA has accepted and every required
    handover item is done."""
    refusal = rules.completion_refusal(
        TransferStatus(transfer.status), views.checklist_facts(session, transfer=transfer)
    )
    if refusal is not None:
        _refuse(session, transfer, "transfer.complete", actor=actor, via=via)
        raise Conflict(refusal)
    _end(session, transfer, TransferStatus.completed, actor=actor, via=via, now=now, note=note or "")


def chase_overdue(
    session: Session, *, now: datetime, every_working_days: int, calendar: WorkingCalendar
) -> None:
    """Tell both local authorities' safeguarding leads about each transfer not accepted within another
    `every_working_days` working days (of `calendar`: no weekends, no bank holidays): once per threshold
    (a conditional UPDATE claims it, so a second run or a second scheduler tells nobody again)."""
    for transfer in session.scalars(select(Transfer).where(Transfer.status == TransferStatus.open)):
        due = rules.chase_due(
            status=TransferStatus(transfer.status),
            opened_at=transfer.opened_at,
            chased=transfer.chased,
            now=now,
            every_working_days=every_working_days,
            calendar=calendar,
        )
        if due is None:
            continue
        claimed = session.execute(
            update(Transfer)
            .where(Transfer.id == transfer.id, Transfer.status == TransferStatus.open, Transfer.chased < due)
            .values(chased=due, chased_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        _record(
            session,
            transfer,
            kind="transfer_overdue",
            summary=f"Transfer {transfer.id} ({transfer.from_la} to {transfer.to_la}) not accepted after "
            f"{due * every_working_days} working days: both local authorities' safeguarding leads told. "
            f"{transfer.from_la} keeps responsibility.",
            actor=None,
            via=Via.worker,
            now=now,
            detail={"threshold": due},
        )
        _tell(
            session,
            transfer,
            NotificationKind.transfer_overdue,
            event=notifications.Event("transfer_overdue", transfer.id, round=due),
            care_team=False,
        )
