"""The pure parts of intake: HL7 v2 parsing and mapping, ACKs, UK local times, reasons, FHIR Encounters."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hl7 as python_hl7
import pytest

from schemas.enums import AttendanceReason, CareSetting
from services.intake import fhir, hl7
from services.intake.hl7 import AckCode, MessageProblem
from services.intake.rules import reasons_from

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / "hl7" / name).read_bytes()


def event_of(raw: bytes | str) -> hl7.VisitEvent:
    message = hl7.parse(raw)
    return hl7.visit_event(message, hl7.header(message))


def problem_of(raw: bytes | str) -> MessageProblem:
    with pytest.raises(MessageProblem) as caught:
        event_of(raw)
    return caught.value


def test_the_fixtures_keep_their_carriage_returns() -> None:
    assert b"\r" in fixture("a04-ed-attendance.hl7") and b"\n" not in fixture("a04-ed-attendance.hl7")


def test_an_ed_registration_maps_to_the_attendance_it_describes() -> None:
    event = event_of(fixture("a04-ed-attendance.hl7"))
    assert event == hl7.VisitEvent(
        event="A04",
        facility="RBT",
        nhs_number="9990000018",
        visit_number="V0001",
        site_code="RBT",
        setting=CareSetting.emergency_department,
        arrived_at=datetime(2022, 12, 8, 9, 25, tzinfo=UTC),
        ended_at=None,
        reasons=(AttendanceReason.overdose,),
    )
    assert event.source == "hl7:RBT"


def test_newline_separated_segments_parse_the_same() -> None:
    raw = fixture("a04-ed-attendance.hl7")
    assert event_of(raw.replace(b"\r", b"\n")) == event_of(raw)
    assert event_of(raw.replace(b"\r", b"\r\n")) == event_of(raw)


def test_an_admission_is_inpatient_and_a_discharge_carries_its_end_in_uk_summer_time() -> None:
    admission = event_of(fixture("a01-admission.hl7"))
    assert admission.setting == CareSetting.inpatient_admission and admission.visit_number == "V0002"
    discharge = event_of(fixture("a03-discharge.hl7"))
    assert discharge.ended_at == datetime(2022, 10, 25, 9, 55, tzinfo=UTC)  # 10:55 BST


def test_the_nhs_number_is_the_nhs_nh_repetition_wherever_it_is() -> None:
    raw = fixture("a04-ed-attendance.hl7").replace(
        b"9990000018^^^NHS^NH~M0001234^^^RBT^MR", b"M0001234^^^RBT^MR~9990000018^^^NHS^NH"
    )
    assert event_of(raw).nhs_number == "9990000018"
    only_local = fixture("a04-ed-attendance.hl7").replace(b"9990000018^^^NHS^NH~", b"")
    problem = problem_of(only_local)
    assert problem.code == AckCode.error and "no NHS number" in problem.reason


@pytest.mark.parametrize(
    ("name", "code", "error_code", "words"),
    [
        ("bad-nhs-number.hl7", AckCode.error, "102", "modulus 11"),
        ("bad-no-pid.hl7", AckCode.error, "100", "no PID segment"),
        ("bad-unsupported-type.hl7", AckCode.reject, "200", "ORU R01"),
    ],
)
def test_bad_fixtures_give_their_problem(name: str, code: AckCode, error_code: str, words: str) -> None:
    problem = problem_of(fixture(name))
    assert (problem.code, problem.error_code) == (code, error_code) and words in problem.reason
    assert "9990000019" not in problem.reason  # reasons never carry an identifier


def test_text_that_is_not_hl7_is_rejected_before_anything_else() -> None:
    with pytest.raises(MessageProblem) as caught:
        hl7.parse(fixture("bad-not-hl7.hl7"))
    assert caught.value.code == AckCode.reject


def test_an_unhandled_adt_event_is_rejected() -> None:
    raw = fixture("a04-ed-attendance.hl7").replace(b"ADT^A04", b"ADT^A28")
    problem = problem_of(raw)
    assert (problem.code, problem.error_code) == (AckCode.reject, "201")


def test_an_empty_message_type_is_named_as_such() -> None:
    raw = fixture("a04-ed-attendance.hl7").replace(b"ADT^A04^ADT_A01", b"").replace(b"ADT^A04", b"")
    problem = problem_of(raw)
    assert (problem.code, problem.error_code, str(problem)) == (
        AckCode.reject,
        "101",
        "MSH-9 (message type) is empty",
    )


def test_an_attendance_without_any_time_is_an_error() -> None:
    raw = "MSH|^~\\&|EDIS|RBT|||||ADT^A04|X1|P|2.4\rPID|1||9990000018^^^NHS^NH\rPV1|1|E|||||||||||||||||V9"
    assert "no arrival time" in problem_of(raw).reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20221208092500", datetime(2022, 12, 8, 9, 25, tzinfo=UTC)),  # GMT
        ("20220715092500", datetime(2022, 7, 15, 8, 25, tzinfo=UTC)),  # BST
        ("202207150925", datetime(2022, 7, 15, 8, 25, tzinfo=UTC)),
        ("20220715092500+0000", datetime(2022, 7, 15, 9, 25, tzinfo=UTC)),  # an offset wins
        ("20220715092500-0500", datetime(2022, 7, 15, 14, 25, tzinfo=UTC)),
        ("", None),
    ],
)
def test_hl7_times_without_an_offset_are_uk_local_time(text: str, expected: datetime | None) -> None:
    assert hl7.hl7_time(text) == expected


def test_a_malformed_time_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not an HL7 time stamp"):
        hl7.hl7_time("yesterday")


@pytest.mark.parametrize(
    ("texts", "codes", "expected"),
    [
        (["Overdose of prescribed and non-prescribed drugs"], [], ["overdose"]),
        (["Self-harm"], [], ["self_harm"]),
        (["Alcohol intoxication", "Head injury"], [], ["injury", "substance_use"]),
        (["Mental health crisis"], [], ["mental_health_crisis"]),
        (["Abdominal pain"], [], ["other"]),
        ([], ["X78.0", "T39.1"], ["overdose", "self_harm"]),
        ([], ["F10.0"], ["substance_use"]),
        ([], [], ["other"]),
    ],
)
def test_coded_reasons_map_to_attendance_reasons(
    texts: list[str], codes: list[str], expected: list[str]
) -> None:
    assert [str(r) for r in reasons_from(texts, codes)] == expected


def test_diagnosis_segments_add_reasons() -> None:
    raw = fixture("a04-second-child.hl7").decode() + "DG1|1||T39.1^Paracetamol poisoning^I10\r"
    assert set(event_of(raw).reasons) == {AttendanceReason.self_harm, AttendanceReason.overdose}


@pytest.mark.parametrize(
    ("event", "patient_class", "setting"),
    [
        ("A04", "E", CareSetting.emergency_department),
        ("A04", "I", CareSetting.inpatient_admission),
        ("A01", "E", CareSetting.inpatient_admission),
        ("A04", "O", CareSetting.other),
        ("A04", "", CareSetting.other),
    ],
)
def test_the_setting_follows_the_event_and_patient_class(
    event: str, patient_class: str, setting: CareSetting
) -> None:
    assert hl7.setting_for(event, patient_class) == setting


def test_an_ack_answers_the_original_message_and_says_why_it_failed() -> None:
    message = hl7.parse(fixture("bad-nhs-number.hl7"))
    text = hl7.ack(
        message, AckCode.error, text="PID-3: fails ^ the | check", error_code="102", location="PID^1^3"
    )
    ack = python_hl7.parse(text)
    assert str(ack.segment("MSH")(9)) == "ACK^A04^ACK"
    assert (str(ack["MSH.F5"]), str(ack["MSH.F6"])) == ("EDIS", "RBT")  # back to the sender
    assert (str(ack["MSA.F1"]), str(ack["MSA.F2"])) == ("AE", "MSG0901")
    assert str(ack["ERR.F3.R1.C1"]) == "102" and str(ack["ERR.F2.R1.C1"]) == "PID"
    assert "\\S\\" in str(ack.segment("MSA")) and "\\F\\" in str(ack.segment("MSA"))  # escaped, not split


def test_an_accept_has_no_err_segment_and_input_that_is_not_hl7_still_gets_an_ack() -> None:
    accepted = python_hl7.parse(hl7.ack(hl7.parse(fixture("a04-ed-attendance.hl7")), AckCode.accept))
    assert [str(s[0]) for s in accepted] == ["MSH", "MSA"]
    rejected = python_hl7.parse(hl7.ack(None, AckCode.reject, text="not HL7", error_code="100"))
    assert str(rejected["MSA.F1"]) == "AR" and str(rejected["MSA.F2"]) == ""


ENCOUNTER: dict[str, Any] = json.loads((FIXTURES / "fhir" / "encounter-ed.json").read_text())


def test_an_ed_encounter_maps_to_the_same_attendance_the_json_intake_takes() -> None:
    data = fhir.attendance_from_encounter(ENCOUNTER)
    assert data.nhs_number == "9990000018" and data.site_code == "RBT"
    assert data.setting == CareSetting.emergency_department
    assert data.arrived_at == datetime(2022, 12, 8, 9, 25, tzinfo=UTC)
    assert data.reasons == [AttendanceReason.overdose]
    assert (data.source, data.source_id) == ("fhir:RBT", "https://example.nhs.uk/Id/encounter|RBT-ED-V0001")


def test_an_inpatient_encounter_without_an_identifier_is_known_by_its_id() -> None:
    body = copy.deepcopy(ENCOUNTER)
    body["class"]["code"] = "IMP"
    del body["identifier"]
    data = fhir.attendance_from_encounter(body)
    assert data.setting == CareSetting.inpatient_admission and data.source_id == "Encounter/example-ed-1"


def test_an_operation_outcome_is_a_valid_fhir_resource() -> None:
    resource = fhir.operation_outcome("error", "bad")
    assert resource["resourceType"] == "OperationOutcome"
    assert resource["issue"] == [{"severity": "error", "code": "invalid", "diagnostics": "bad"}]


def test_an_oversize_message_is_answered_to_its_msh_only_when_that_is_readable() -> None:
    answer = hl7.oversize_ack(fixture("a04-ed-attendance.hl7")[:200], 2048)
    assert answer is not None
    parsed = python_hl7.parse(answer)
    assert (str(parsed["MSA.F1"]), str(parsed["MSA.F2"])) == ("AR", "MSG0001")
    assert "larger than 2048 bytes" in str(parsed["MSA.F3"]) and str(parsed["MSH.F5"]) == "EDIS"
    assert hl7.oversize_ack(b"MSH|^~\\&|EDIS|RBT|" + b"X" * 300, 2048) is None  # no MSH-10 in sight
    assert hl7.oversize_ack(b"GET / HTTP/1.1\r\n", 2048) is None
    assert hl7.oversize_ack(b"", 2048) is None
