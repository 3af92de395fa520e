"""HL7 v2 SIU scheduling messages: parsed with python-hl7 (as the ADT code does), mapped to what they say
of one appointment. Pure functions over a parsed message: no I/O, unit-tested without a database.

| event | meaning | action |
|---|---|---|
| S12 | new appointment booked | booked |
| S13, S14 | rescheduled, modified | booked (the new time) |
| S15 | cancelled | cancelled |
| S17 | deleted (the booking was made in error) | deleted: cancels it, and withdraws a miss recorded of it |
| S26 | the patient did not show up | noshow |

The appointment is named by SCH-2 (filler appointment ID: the scheduling system's), else SCH-1 (placer
appointment ID); its start by SCH-11.4, else AIS-4, AIL-6 or AIP-6 (AIS, AIL and AIP are optional); its kind
by the words of AIS-3, SCH-7 and SCH-8 (`appointments.rules.kind_from`).

An AE's ERR-2 points at the field at fault (`error_location`): the start (the field it was read from, else
SCH-11) or the appointment's id (SCH-2, else SCH-1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import hl7

from services.appointments.rules import IntakeAction, kind_from
from services.intake.hl7 import AckCode, Header, MessageProblem, hl7_time, nhs_number_of, value

SIU_EVENTS: dict[str, IntakeAction] = {
    "S12": IntakeAction.booked,
    "S13": IntakeAction.booked,
    "S14": IntakeAction.booked,
    "S15": IntakeAction.cancelled,
    "S17": IntakeAction.deleted,
    "S26": IntakeAction.noshow,
}
# Where the appointment's start may be, in order: SCH-11.4 (TQ start), AIS-4, AIL-6, AIP-6.
START_FIELDS = ("SCH.F11.R1.C4.S1", "AIS.F4.R1.C1", "AIL.F6.R1.C1", "AIP.F6.R1.C1")


@dataclass(frozen=True)
class ScheduleEvent:
    """What one SIU message says about one appointment, in the service's own vocabulary."""

    event: str
    action: IntakeAction
    facility: str
    nhs_number: str
    appointment_id: str
    at: datetime | None
    kind: str
    id_location: str = "SCH^1^2"  # where the appointment id was read from
    start_location: str = "SCH^1^11"  # where the start was read from (SCH-11 when there is none)

    @property
    def system(self) -> str:
        """The appointment's external system: its id is unique within the sending facility."""
        return f"hl7:{self.facility}"


def is_siu(head: Header) -> bool:
    return head.message_type == "SIU"


def schedule_event(message: hl7.Message, head: Header) -> ScheduleEvent:
    """The facts of an understood SIU event, or a problem saying why the message cannot be used."""
    action = SIU_EVENTS.get(head.event)
    if action is None:
        raise MessageProblem(
            AckCode.reject,
            f"SIU event {head.event or 'none'} is not handled: only " + ", ".join(sorted(SIU_EVENTS)),
            error_code="201",
            location="MSH^1^9",
        )
    try:
        message.segment("SCH")
    except KeyError:
        raise MessageProblem(
            AckCode.error, "no SCH segment: the appointment cannot be identified", error_code="100"
        ) from None
    nhs_number = nhs_number_of(message)
    appointment_id = value(message, "SCH.F2.R1.C1") or value(message, "SCH.F1.R1.C1")
    if not appointment_id:
        raise MessageProblem(
            AckCode.error,
            "SCH-2 (filler appointment ID) and SCH-1 (placer appointment ID) are both empty",
            error_code="101",
            location="SCH^1^2",
        )
    at = None
    start_location = "SCH^1^11"
    for key in START_FIELDS:
        text = value(message, key)
        if text:
            segment, _, rest = key.partition(".F")
            start_location = f"{segment}^1^{rest.split('.')[0]}"
            try:
                at = hl7_time(text)
            except ValueError as exc:
                raise MessageProblem(
                    AckCode.error, str(exc), error_code="102", location=start_location
                ) from exc
            break
    texts = [
        value(message, "AIS.F3.R1.C2"),
        value(message, "AIS.F3.R1.C1"),
        value(message, "SCH.F7.R1.C2"),
        value(message, "SCH.F7.R1.C1"),
        value(message, "SCH.F8.R1.C2"),
        value(message, "SCH.F8.R1.C1"),
    ]
    return ScheduleEvent(
        event=head.event,
        action=action,
        facility=head.facility,
        nhs_number=nhs_number,
        appointment_id=appointment_id[:200],
        at=at,
        kind=kind_from(t for t in texts if t),
        id_location="SCH^1^2" if value(message, "SCH.F2.R1.C1") else "SCH^1^1",
        start_location=start_location,
    )


def error_location(field: str, event: ScheduleEvent) -> str:
    """The ERR-2 of an appointment that cannot be used as sent: the field at fault, by what is wrong
    (`start`: a start missing, or a no-show still to come; anything else: the appointment's id)."""
    return event.start_location if field == "start" else event.id_location


def error_code(field: str, event: ScheduleEvent) -> str:
    """The HL7 table 0357 code (ERR-3) that goes with it: 101 for a start that is missing, 103 for an id
    that is another patient's (as ADT's visit number), 207 for anything else (a no-show still to come)."""
    if field == "start":
        return "101" if event.at is None else "207"
    return "103"
