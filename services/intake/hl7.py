"""HL7 v2 ADT messages: parsed with python-hl7, mapped to the facts of one hospital visit, answered with
an ACK. Pure functions over text: no I/O, unit-tested without a database.

UK conventions (NHS Digital HL7 v2 ADT guidance):
- the NHS number is the PID-3 repetition whose assigning authority is `NHS` and identifier type `NH`;
- the visit (spell or ED attendance) is named by PV1-19, the sending site by PV1-3.4 or MSH-4;
- a time stamp without an offset is local UK time (Europe/London, so GMT or BST as the date says).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import hl7
from hl7 import util as hl7_util
from hl7.datatypes import parse_datetime
from hl7.exceptions import ParseException
from hl7.util import escape

from schemas.enums import AttendanceReason, CareSetting
from schemas.nhs import InvalidNhsNumber, check_nhs_number
from services.intake import snomed
from services.intake.rules import reasons_from

# python-hl7 logs the text of a field it cannot unescape, and whole segments it cannot place: names, NHS
# numbers and addresses would reach the logs. Our ACKs say what is wrong instead; its logger stays quiet.
# A filter, not `disabled`: logging.config.dictConfig (uvicorn's, say) re-enables loggers it was not told of.
logging.getLogger(hl7_util.__file__).addFilter(lambda _record: False)

LONDON = ZoneInfo("Europe/London")
MEDIA_TYPE = "x-application/hl7-v2+er7"
RECEIVING_APPLICATION = "LIAISON"

# ADT events this service understands: what each does to the visit.
ATTENDS = frozenset({"A01", "A04"})  # admit / register: a new attendance
SUPPORTED_EVENTS = frozenset({"A01", "A03", "A04", "A08", "A11", "A13"})

# PV1-2 patient class (HL7 table 0004) to the care setting of the attendance.
PATIENT_CLASS_SETTINGS = {
    "E": CareSetting.emergency_department,
    "I": CareSetting.inpatient_admission,
}

_TEMPLATE = "MSH|^~\\&|\r"  # separators for an ACK to input that is not HL7 at all


class AckCode(StrEnum):
    accept = "AA"
    error = "AE"
    reject = "AR"


class MessageProblem(Exception):
    """A message that cannot be acted on: answered with `code`, the reason in MSA-3 and ERR.

    `error_code` is from HL7 table 0357 (101 required field missing, 102 data type error, 103 table value
    not found, 200 unsupported message type, 201 unsupported event code); `location` is the field, such as
    `PID^1^3`. The reason never carries a patient identifier.
    """

    def __init__(self, code: AckCode, reason: str, *, error_code: str, location: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.error_code = error_code
        self.location = location


ERROR_NAMES = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "207": "Application internal error",
}


@dataclass(frozen=True)
class Header:
    """Who sent the message and what it is (from MSH)."""

    facility: str
    control_id: str
    message_type: str
    event: str

    @property
    def label(self) -> str:
        return f"{self.message_type} {self.event}".strip()


@dataclass(frozen=True)
class VisitEvent:
    """What one ADT message says about one visit, in the service's own vocabulary."""

    event: str
    facility: str
    nhs_number: str
    visit_number: str
    site_code: str
    setting: CareSetting
    arrived_at: datetime | None
    ended_at: datetime | None
    reasons: tuple[AttendanceReason, ...]
    # Which of site_code, setting, arrived_at, reasons the message itself gave. An update changes only
    # those: in HL7 an empty field is "no change", so an A08 or A01 without PV2/DG1 keeps the reasons.
    carried: frozenset[str] = frozenset({"site_code", "setting", "arrived_at", "reasons"})

    @property
    def source(self) -> str:
        """The attendance's `source`: later events for the same visit find it by (source, visit number)."""
        return f"hl7:{self.facility}"


def parse(raw: bytes | str) -> hl7.Message:
    """One HL7 v2 message in ER7; segments separated by carriage returns (newlines are accepted too)."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    text = text.replace("\r\n", "\r").replace("\n", "\r").strip()
    if not text.startswith("MSH") or len(text) < 8:
        raise MessageProblem(
            AckCode.reject, "not an HL7 v2 message: it must begin with an MSH segment", error_code="100"
        )
    if "\x00" in text:
        raise MessageProblem(AckCode.reject, "the message contains NUL (0x00) characters", error_code="102")
    try:
        message = hl7.parse(text)
    except (ParseException, IndexError, ValueError, AssertionError) as exc:  # the parser asserts on MSH-2
        raise MessageProblem(
            AckCode.reject, f"not a well-formed HL7 v2 message ({type(exc).__name__})", error_code="102"
        ) from exc
    if hl7.isbatch(text):
        raise MessageProblem(AckCode.reject, "send one message at a time, not a batch", error_code="100")
    return message


def value(message: hl7.Message, key: str) -> str:
    """The text at an accessor such as `PV1.F19.R1.C1`, or "" when the segment or field is absent."""
    try:
        return str(message[key]).strip()
    except (KeyError, IndexError, TypeError):
        return ""


def has_segment(message: hl7.Message, name: str) -> bool:
    try:
        message.segment(name)
    except KeyError:
        return False
    return True


def header(message: hl7.Message) -> Header:
    facility = value(message, "MSH.F4.R1.C1").upper()
    control_id = value(message, "MSH.F10")
    if not facility:
        raise MessageProblem(
            AckCode.reject, "MSH-4 (sending facility) is empty", error_code="101", location="MSH^1^4"
        )
    if not control_id:
        raise MessageProblem(
            AckCode.reject, "MSH-10 (message control ID) is empty", error_code="101", location="MSH^1^10"
        )
    if len(facility) > 64 or len(control_id) > 64:
        raise MessageProblem(AckCode.reject, "MSH-4 or MSH-10 is longer than 64 characters", error_code="102")
    event = value(message, "MSH.F9.R1.C2").upper() or value(message, "EVN.F1").upper()
    return Header(facility, control_id, value(message, "MSH.F9.R1.C1").upper(), event)


def hl7_time(text: str) -> datetime | None:
    """An HL7 TS/DTM as an aware datetime; without an offset it is UK local time (GMT or BST)."""
    if not text:
        return None
    try:
        parsed = parse_datetime(text)
    except (ValueError, TypeError, OverflowError) as exc:  # OverflowError: an offset of +99999999999
        raise ValueError(f"{text!r} is not an HL7 time stamp") from exc
    if not isinstance(parsed, datetime):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=LONDON)
    return datetime.fromtimestamp(parsed.timestamp(), tz=LONDON)


def setting_for(event: str, patient_class: str) -> CareSetting:
    """An admission (A01) is an inpatient admission; otherwise the PV1-2 patient class decides."""
    if event == "A01":
        return CareSetting.inpatient_admission
    return PATIENT_CLASS_SETTINGS.get(patient_class.upper(), CareSetting.other)


def nhs_number_of(message: hl7.Message) -> str:
    """The NHS number from PID-3 (assigning authority NHS, identifier type NH), checked; or a problem."""
    if not has_segment(message, "PID"):
        raise MessageProblem(
            AckCode.error, "no PID segment: the patient cannot be identified", error_code="100"
        )
    try:
        field = message.segment("PID")(3)
    except IndexError:  # a PID segment that ends before PID-3
        field = None
    repetitions = len(field) if isinstance(field, hl7.Field) else int(field is not None)
    for n in range(1, repetitions + 1):
        authority = value(message, f"PID.F3.R{n}.C4.S1").upper()
        kind = value(message, f"PID.F3.R{n}.C5").upper()
        if authority == "NHS" and kind == "NH":
            try:
                return check_nhs_number(value(message, f"PID.F3.R{n}.C1"))
            except InvalidNhsNumber as exc:
                raise MessageProblem(
                    AckCode.error, f"PID-3: {exc}", error_code="102", location="PID^1^3"
                ) from exc
    raise MessageProblem(
        AckCode.error,
        "PID-3 has no NHS number (an identifier with assigning authority NHS and type NH)",
        error_code="101",
        location="PID^1^3",
    )


def coded(message: hl7.Message, key: str) -> list[tuple[str, str, str]]:
    """A CE/CWE field's (identifier, text, coding system) triplets, the primary (components 1-3) and the
    alternate (4-6), the system upper-cased; a triplet with neither identifier nor text is left out."""
    triplets = []
    for first in (1, 4):
        code, text, system = (value(message, f"{key}.R1.C{first + i}") for i in range(3))
        if code or text:
            triplets.append((code, text, system.upper()))
    return triplets


def _time(message: hl7.Message, *keys: str) -> datetime | None:
    for key in keys:
        text = value(message, key)
        if text:
            try:
                return hl7_time(text)
            except ValueError as exc:
                location = key.replace(".F", "^1^").split(".")[0]
                raise MessageProblem(AckCode.error, str(exc), error_code="102", location=location) from exc
    return None


def visit_event(message: hl7.Message, head: Header) -> VisitEvent:
    """The facts of an understood ADT event, or a problem saying why the message cannot be used."""
    if not head.message_type:
        raise MessageProblem(
            AckCode.reject, "MSH-9 (message type) is empty", error_code="101", location="MSH^1^9"
        )
    if head.message_type != "ADT":
        raise MessageProblem(
            AckCode.reject,
            f"message type {head.label or '(none)'} is not handled: only ADT "
            + ", ".join(sorted(SUPPORTED_EVENTS))
            + " and SIU S12, S13, S14, S15, S17, S26",
            error_code="200",
            location="MSH^1^9",
        )
    if head.event not in SUPPORTED_EVENTS:
        raise MessageProblem(
            AckCode.reject,
            f"ADT event {head.event or 'none'} is not handled: only " + ", ".join(sorted(SUPPORTED_EVENTS)),
            error_code="201",
            location="MSH^1^9",
        )
    nhs_number = nhs_number_of(message)
    if not has_segment(message, "PV1"):
        raise MessageProblem(
            AckCode.error, "no PV1 segment: the visit cannot be identified", error_code="100"
        )
    visit_number = value(message, "PV1.F19.R1.C1")
    if not visit_number:
        raise MessageProblem(
            AckCode.error, "PV1-19 (visit number) is empty", error_code="101", location="PV1^1^19"
        )
    site_code = (value(message, "PV1.F3.R1.C4.S1") or head.facility).upper()
    if not re.fullmatch(r"[A-Z0-9]{3,10}", site_code):
        raise MessageProblem(
            AckCode.error,
            "the site (PV1-3.4, else MSH-4) is not an ODS code of 3 to 10 letters and digits",
            error_code="102",
            location="PV1^1^3",
        )
    texts = [value(message, "PV2.F3.R1.C1")]  # some senders put the admit reason's words in PV2-3.1
    codes: list[str] = []
    concepts: list[str] = []
    try:
        diagnoses = len(list(message.segments("DG1")))
    except KeyError:
        diagnoses = 0
    # python-hl7's accessor for the nth DG1 is the segment name, then which one: DG11, DG12 ...
    for key in ["PV2.F3", *(f"DG1{n}.F3" for n in range(1, diagnoses + 1))]:
        for code, text, system in coded(message, key):
            texts.append(text)
            if system.startswith("I10") or system.startswith("ICD"):
                codes.append(code)
            elif snomed.is_snomed(system):
                concepts.append(code)
    texts += [value(message, f"DG1{n}.F4") for n in range(1, diagnoses + 1)]
    given = {
        "site_code": bool(value(message, "PV1.F3.R1.C4.S1")),
        "setting": head.event == "A01" or bool(value(message, "PV1.F2")),
        "arrived_at": bool(value(message, "PV1.F44")),
        "reasons": any(texts) or bool(codes or concepts),
    }
    arrived_at = _time(message, "PV1.F44", "EVN.F2", "MSH.F7")
    if arrived_at is None and head.event in ATTENDS:
        raise MessageProblem(
            AckCode.error,
            "no arrival time: PV1-44, EVN-2 and MSH-7 are all empty",
            error_code="101",
            location="PV1^1^44",
        )
    return VisitEvent(
        event=head.event,
        facility=head.facility,
        nhs_number=nhs_number,
        visit_number=visit_number[:200],
        site_code=site_code,
        setting=setting_for(head.event, value(message, "PV1.F2")),
        arrived_at=arrived_at,
        ended_at=_time(message, "PV1.F45", "EVN.F2", "MSH.F7") if head.event == "A03" else None,
        reasons=reasons_from([t for t in texts if t], codes, concepts),
        carried=frozenset(name for name, carried in given.items() if carried),
    )


def oversize_ack(head: bytes, limit: int) -> str | None:
    """The AR for a message larger than `limit` bytes, from `head` (its first bytes): answered to its MSH
    (MSA-2 its control ID) when the first segment is a readable MSH with MSH-4 and MSH-10; None otherwise,
    as there is then nothing a sender could match the answer to."""
    first = re.split(rb"[\r\n]", head, maxsplit=1)[0]
    try:
        message = parse(first)
        header(message)
    except MessageProblem:
        return None
    return ack(message, AckCode.reject, text=f"message larger than {limit} bytes", error_code="207")


def ack(
    source: hl7.Message | None,
    code: AckCode,
    *,
    text: str = "",
    error_code: str = "",
    location: str = "",
) -> str:
    """An original-mode ACK: MSH (sender and receiver swapped), MSA (code, the original MSH-10, the text)
    and, unless accepted, an ERR segment with the HL7 error code and the reason."""
    # Always the standard separators, whatever the sender used: an ACK built with the sender's could carry
    # 0x1C (the MLLP end block) or a separator its own MSH-1 does not declare. Copied values are escaped.
    base = hl7.parse(_TEMPLATE)

    def get(key: str) -> str:
        return escape(base, value(source, key)) if source is not None else ""

    msh = base.create_segment([base.create_field(["MSH"])])
    msh.assign_field("|", 1)
    msh.assign_field("^~\\&", 2)
    msh.assign_field(get("MSH.F5.R1.C1") or RECEIVING_APPLICATION, 3)
    msh.assign_field(get("MSH.F6.R1.C1"), 4)
    msh.assign_field(get("MSH.F3.R1.C1"), 5)
    msh.assign_field(get("MSH.F4.R1.C1"), 6)
    msh.assign_field(datetime.now(LONDON).strftime("%Y%m%d%H%M%S%z"), 7)
    msh.assign_field("ACK", 9, 1, 1)
    msh.assign_field(get("MSH.F9.R1.C2"), 9, 1, 2)
    msh.assign_field("ACK", 9, 1, 3)
    msh.assign_field(uuid.uuid4().hex[:20].upper(), 10)
    msh.assign_field(get("MSH.F11") or "P", 11)
    msh.assign_field(get("MSH.F12.R1.C1") or "2.4", 12)
    msa = base.create_segment([base.create_field(["MSA"])])
    msa.assign_field(str(code), 1)
    msa.assign_field(get("MSH.F10"), 2)
    segments = [msh, msa]
    if text:
        msa.assign_field(escape(base, text[:80]), 3)
    if code != AckCode.accept or error_code:
        err = base.create_segment([base.create_field(["ERR"])])
        if location:
            for index, part in enumerate(location.split("^"), start=1):
                err.assign_field(part, 2, 1, index)
        err_code = error_code or "207"
        err.assign_field(err_code, 3, 1, 1)
        err.assign_field(ERROR_NAMES.get(err_code, "Error"), 3, 1, 2)
        err.assign_field("HL70357", 3, 1, 3)
        err.assign_field("E" if code != AckCode.accept else "I", 4)
        err.assign_field(escape(base, text), 8)
        segments.append(err)
    return str(base.create_message(segments))
