"""HL7 v2 intake, shared by the HTTP endpoint and the MLLP listener: one message in, one ACK out.

Every attendance goes through `services.attendances.service.record` (the JSON intake's own function), and
every later event through that domain's `end`, `reopen`, `amend` and `cancel`. This module adds only what
HL7 brings: the inbound message log that makes a repeat (same sending facility and MSH-10) answer with the
same ACK code and do nothing new, and the mapping from ADT events to those functions.

Events for a visit liaison never recorded (the young person is not registered, or the A04 never came) are
accepted (AA) with a note in MSA-3 and change nothing: the sender cannot fix them by sending again.

SIU scheduling messages (S12, S13, S14, S15, S17, S26) go to `scheduling.apply` (the appointments domain) with
the same log, the same idempotency on MSH-4 + MSH-10 and the same ACK rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hl7 import Message
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.enums import Via
from services.appointments.booking import IntakeBooking
from services.attendances import service as attendances
from services.attendances.models import Attendance
from services.attendances.schemas import AttendanceCreate
from services.intake import hl7, scheduling, siu
from services.intake.hl7 import AckCode, Header, MessageProblem, VisitEvent
from services.intake.models import InboundMessage
from services.kernel.audit import service as audit
from services.kernel.clock import utcnow
from services.kernel.identity import Principal
from services.kernel.logsafe import log_failure
from services.transfers import views as transfers

log = logging.getLogger(__name__)

NOT_REGISTERED = "NHS number not registered with liaison: nothing kept"
UNKNOWN_VISIT = "no attendance recorded for this visit (unregistered, or never sent): nothing changed"


@dataclass
class Reply:
    """The ACK to send back, and what the message came to."""

    ack: str
    code: AckCode
    outcome: str
    attendance_id: int | None = None


@dataclass
class Applied:
    outcome: str
    attendance: Attendance | None = None
    note: str = ""
    appointment_id: int | None = None


def _audit_problem(
    session: Session, *, actor: Principal | None, via: Via, problem: MessageProblem, facility: str = ""
) -> None:
    audit.record(
        session,
        actor=actor,
        action="hl7.rejected",
        via=via,
        outcome="refused",
        detail={"ack": str(problem.code), "reason": problem.reason, "facility": facility},
    )


def _same_person(attendance: Attendance, event: VisitEvent) -> None:
    if attendance.young_person.nhs_number != event.nhs_number:
        raise MessageProblem(
            AckCode.error,
            "PV1-19: this visit number belongs to another patient's attendance",
            error_code="103",
            location="PV1^1^19",
        )


def apply(session: Session, *, event: VisitEvent, actor: Principal | None, via: Via) -> Applied:
    """Do what one understood ADT event asks, through the attendances domain."""
    existing = attendances.find_visit(
        session,
        source=event.source,
        source_id=event.visit_number,
        site_code=event.site_code,
        nhs_number=event.nhs_number,
    )
    if event.event in hl7.ATTENDS and existing is None:
        try:
            data = AttendanceCreate(
                nhs_number=event.nhs_number,
                arrived_at=event.arrived_at,
                site_code=event.site_code,
                setting=event.setting,
                reasons=list(event.reasons),
                source=event.source,
                source_id=event.visit_number,
            )
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise MessageProblem(AckCode.error, reason, error_code="102") from exc
        recorded = attendances.record(
            session, data=data, actor=actor, via=via, live_transfers=transfers.live_between
        )
        note = NOT_REGISTERED if recorded.outcome == "not_registered" else ""
        return Applied(recorded.outcome, recorded.attendance, note)
    if existing is None:
        return Applied("unknown_visit", note=UNKNOWN_VISIT)
    _same_person(existing, event)
    at = event.ended_at or utcnow()
    match event.event:
        case "A01" | "A04" | "A08":
            carried = event.carried  # what the message leaves empty it does not change
            changed = attendances.amend(
                session,
                attendance=existing,
                site_code=event.site_code if "site_code" in carried else None,
                setting=event.setting if "setting" in carried else None,
                arrived_at=event.arrived_at if "arrived_at" in carried else None,
                reasons=list(event.reasons) if "reasons" in carried else None,
                actor=actor,
                via=via,
            )
            return Applied("updated" if changed else "unchanged", existing)
        case "A03":
            if attendances.end(session, attendance=existing, at=at, actor=actor, via=via):
                return Applied("ended", existing)
            return Applied("unchanged", existing, f"the attendance is {existing.status}: nothing changed")
        case "A13":
            if attendances.reopen(session, attendance=existing, at=utcnow(), actor=actor, via=via):
                return Applied("reopened", existing)
            return Applied("unchanged", existing, "the attendance had not ended: nothing changed")
        case _:  # A11
            if not attendances.cancel(session, attendance=existing, at=utcnow(), actor=actor, via=via):
                return Applied("unchanged", existing, "the attendance was already cancelled")
            return Applied("cancelled", existing)


def apply_schedule(
    session: Session, *, message: Message, head: Header, actor: Principal | None, via: Via
) -> Applied:
    """Do what one understood SIU event asks, through the appointments domain."""
    event = siu.schedule_event(message, head)
    data = IntakeBooking(
        action=event.action,
        source="hl7",
        external_system=event.system,
        external_id=event.appointment_id,
        reporter=event.system,
        facility=event.facility,
        at=event.at,
        kind=event.kind,
    )
    try:
        done = scheduling.apply(session, nhs_number=event.nhs_number, booking_data=data, actor=actor, via=via)
    except scheduling.Unusable as unusable:
        raise MessageProblem(
            AckCode.error,
            unusable.reason,
            error_code=siu.error_code(unusable.field, event),
            location=siu.error_location(unusable.field, event),
        ) from None
    return Applied(done.outcome, None, done.note, done.appointment_id)


def handle(
    session: Session,
    *,
    raw: bytes | str,
    actor: Principal | None,
    via: Via,
    allowed_facilities: frozenset[str] = frozenset(),
) -> Reply:
    """Act on one HL7 v2 message inside the caller's transaction and say what to answer.

    `allowed_facilities`, when not empty, is the only sending facilities (MSH-4) taken (the MLLP listener's
    trust rule). A message already in the log gets the ACK code it got before and changes nothing.
    """
    try:
        message = hl7.parse(raw)
    except MessageProblem as not_hl7:
        _audit_problem(session, actor=actor, via=via, problem=not_hl7)
        ack = hl7.ack(None, not_hl7.code, text=not_hl7.reason, error_code=not_hl7.error_code)
        return Reply(ack, not_hl7.code, "not_hl7")

    def answer(code: AckCode, text: str = "", problem: MessageProblem | None = None) -> str:
        if problem is not None:
            return hl7.ack(
                message, code, text=problem.reason, error_code=problem.error_code, location=problem.location
            )
        return hl7.ack(message, code, text=text)

    try:
        head = hl7.header(message)
    except MessageProblem as no_header:
        _audit_problem(session, actor=actor, via=via, problem=no_header)
        return Reply(answer(no_header.code, problem=no_header), no_header.code, "rejected")
    if allowed_facilities and head.facility not in allowed_facilities:
        refused = MessageProblem(
            AckCode.reject,
            f"sending facility {head.facility} is not allowed on this listener",
            error_code="207",
            location="MSH^1^4",
        )
        _audit_problem(session, actor=actor, via=via, problem=refused, facility=head.facility)
        return Reply(answer(refused.code, problem=refused), refused.code, "refused")

    logged = session.scalar(
        select(InboundMessage).where(
            InboundMessage.facility == head.facility, InboundMessage.control_id == head.control_id
        )
    )
    if logged is not None:
        audit.record(
            session,
            actor=actor,
            action="hl7.duplicate",
            via=via,
            detail={"facility": head.facility, "inbound_message_id": logged.id, "ack": logged.ack_code},
        )
        code = AckCode(logged.ack_code)
        text = "a repeat of a message already received: nothing new done"
        return Reply(answer(code, text), code, "duplicate", logged.attendance_id)

    try:
        if siu.is_siu(head):
            applied = apply_schedule(session, message=message, head=head, actor=actor, via=via)
        else:
            applied = apply(session, event=hl7.visit_event(message, head), actor=actor, via=via)
        code, ack_text = AckCode.accept, answer(AckCode.accept, applied.note)
    except MessageProblem as problem:
        code, ack_text = problem.code, answer(problem.code, problem=problem)
        applied = Applied("rejected" if code == AckCode.reject else "error", note=problem.reason)
        _audit_problem(session, actor=actor, via=via, problem=problem, facility=head.facility)
    event_label = f"{head.message_type}^{head.event}" if head.event else head.message_type or "?"
    session.add(
        InboundMessage(
            facility=head.facility,
            control_id=head.control_id,
            event=event_label[:16],
            outcome=applied.outcome,
            ack_code=str(code),
            note=applied.note[:300] or None,
            attendance_id=applied.attendance.id if applied.attendance else None,
            appointment_id=applied.appointment_id,
            via=str(via),
        )
    )
    session.flush()
    return Reply(
        ack_text,
        code,
        applied.outcome,
        applied.attendance.id if applied.attendance else None,
    )


def receive(
    session: Session,
    *,
    raw: bytes | str,
    actor: Principal | None,
    via: Via,
    allowed_facilities: frozenset[str] = frozenset(),
) -> Reply:
    """One unit of work: handle the message and commit (the alerts it made are queued on commit). It
    commits itself, for the HTTP endpoint too, because a race is only seen at the commit and is retried.

    Two copies of one message racing each other meet the log's unique key: the loser rolls back and is
    answered as a repeat. Any other failure rolls back and answers AE, so the sender tries again later.
    """
    for _attempt in (1, 2):
        try:
            reply = handle(session, raw=raw, actor=actor, via=via, allowed_facilities=allowed_facilities)
            session.commit()
        except IntegrityError:
            session.rollback()
            continue
        except Exception:
            session.rollback()
            log_failure(log, "an HL7 v2 message could not be processed")
            break
        return reply
    return failure(raw)


def failure(raw: bytes | str) -> Reply:
    """AE for a message that met a fault of ours (the database away): nothing was kept; send it again."""
    try:
        message: Message | None = hl7.parse(raw)
    except MessageProblem:
        message = None
    text = "the message could not be processed now; nothing was kept: send it again"
    return Reply(hl7.ack(message, AckCode.error, text=text, error_code="207"), AckCode.error, "failed")


def cancel_encounter(session: Session, *, data: AttendanceCreate, actor: Principal) -> tuple[int | None, str]:
    """A withdrawn FHIR Encounter cancels the attendance it recorded, exactly as an HL7 A11 does (the
    cancellation notices are queued when the request commits). Returns the attendance id and
    `cancelled`, `unchanged` or `not_found` (nothing is kept for an Encounter never recorded)."""
    existing = attendances.find_visit(
        session,
        source=data.source,
        source_id=data.source_id,
        site_code=data.site_code,
        nhs_number=data.nhs_number,
    )
    if existing is None:
        audit.record(session, actor=actor, action="fhir.cancel_unmatched", via=actor.via)
        return None, "not_found"
    told = attendances.cancel(session, attendance=existing, at=utcnow(), actor=actor, via=actor.via)
    return existing.id, "cancelled" if told else "unchanged"


def record_encounter(session: Session, *, data: AttendanceCreate, actor: Principal) -> attendances.Recorded:
    """A FHIR Encounter's attendance, recorded like any other (its alerts are queued on commit)."""
    return attendances.record(
        session, data=data, actor=actor, via=actor.via, live_transfers=transfers.live_between
    )
