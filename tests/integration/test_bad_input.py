"""Bad input gets a 4xx with a JSON `detail`, never a 5xx (contract: HTTP). Each case here was a 500 found
by fuzzing the OpenAPI schema with schemathesis against PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.integration.conftest import YOUNG_PERSON, Case, attendance

pytestmark = pytest.mark.integration


def assert_refused(answer: Any, status: int = 422) -> str:
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert detail
    return str(detail)


@pytest.mark.parametrize("field", ["statuses", "given_name", "family_name", "responsible_la"])
def test_a_null_for_a_field_that_must_have_a_value_is_refused_and_the_record_stays_readable(
    client: TestClient, case: Case, field: str
) -> None:
    answer = client.patch(f"/api/v1/young-people/{case.ref}", json={field: None}, headers=case.lead.headers)
    assert field in assert_refused(answer)
    read = client.get(f"/api/v1/young-people/{case.ref}", headers=case.lead.headers)
    assert read.status_code == 200, read.text
    assert read.json()["statuses"] == YOUNG_PERSON["statuses"]
    assert read.json()["given_name"] == YOUNG_PERSON["given_name"]


def test_residence_la_may_still_be_removed_and_an_empty_patch_changes_nothing(
    client: TestClient, case: Case
) -> None:
    url, headers = f"/api/v1/young-people/{case.ref}", case.lead.headers
    assert client.patch(url, json={"residence_la": "CEC"}, headers=headers).json()["residence_la"] == "CEC"
    assert client.patch(url, json={"residence_la": None}, headers=headers).json()["residence_la"] is None
    unchanged = client.patch(url, json={}, headers=headers)
    assert unchanged.status_code == 200 and unchanged.json()["statuses"] == YOUNG_PERSON["statuses"]


@pytest.mark.parametrize("number", [2**31, 2**63, 2**70])
def test_an_id_beyond_the_database_integer_is_a_4xx(client: TestClient, case: Case, number: int) -> None:
    # PostgreSQL refuses 2**31 for an integer column; SQLite cannot bind anything past 64 bits.
    for method, path in (
        ("GET", f"/api/v1/notifications/{number}"),
        ("POST", f"/api/v1/notifications/{number}/acknowledge"),
        ("GET", f"/api/v1/assessments/{number}"),
    ):
        answer = client.request(method, path, headers=case.social_worker.headers)
        assert 400 <= answer.status_code < 500, (method, path, answer.status_code, answer.text)
        assert answer.json()["detail"]


def test_a_nul_byte_in_text_is_a_4xx(client: TestClient, case: Case) -> None:
    # PostgreSQL text cannot hold NUL; SQLite can, so there it is simply stored.
    body = {**YOUNG_PERSON, "nhs_number": "9990000026", "given_name": "Sam\x00"}
    answer = client.post("/api/v1/young-people", json=body, headers=case.lead.headers)
    assert answer.status_code in (201, 422), answer.text
    if answer.status_code == 422:
        assert "NUL" in answer.json()["detail"]
    recorded = client.post(
        "/api/v1/attendances", json=attendance(source_id="V\x000"), headers=case.hospital.headers
    )
    assert recorded.status_code in (202, 422), recorded.text


@pytest.mark.parametrize("arrived_at", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_an_arrival_time_that_falls_off_the_calendar_in_utc_is_a_422(
    client: TestClient, case: Case, arrived_at: str
) -> None:
    answer = client.post(
        "/api/v1/attendances", json=attendance(arrived_at=arrived_at), headers=case.hospital.headers
    )
    assert "out of range" in assert_refused(answer)


def test_an_nhs_number_in_other_digits_is_refused_not_registered_as_a_second_identity(
    client: TestClient, case: Case
) -> None:
    fullwidth = "９９９０００００１８"  # Alex's number in full-width digits
    again = client.post(
        "/api/v1/young-people", json={**YOUNG_PERSON, "nhs_number": fullwidth}, headers=case.lead.headers
    )
    assert "10 digits" in assert_refused(again)
    recorded = client.post(
        "/api/v1/attendances", json=attendance(nhs_number=fullwidth), headers=case.hospital.headers
    )
    assert "10 digits" in assert_refused(recorded)


def _hl7(client: TestClient, case: Case, body: bytes) -> tuple[int, str]:
    answer = client.post(
        "/api/v1/hl7/v2",
        content=body,
        headers={**case.hospital.headers, "content-type": "x-application/hl7-v2+er7"},
    )
    return answer.status_code, answer.text


@pytest.mark.parametrize(
    ("old", "new"),
    [(b"^~\\&", b"^^^^"), (b"MSG0001", b"MSG\x000001"), (b"V0001^", b"V\x00001^")],
    ids=["repeated-encoding-characters", "nul-in-control-id", "nul-in-visit-number"],
)
def test_a_malformed_hl7_message_gets_an_ar_ack_over_http_and_mllp(
    client: TestClient, case: Case, old: bytes, new: bytes
) -> None:
    from tests.integration.intake_helpers import MllpClient, hl7_fixture, mllp_listener

    body = hl7_fixture("a04-ed-attendance.hl7").replace(old, new)
    status, ack = _hl7(client, case, body)
    assert status in (200, 400) and "MSA|AR|" in ack, (status, ack)
    with mllp_listener() as listener:
        sender = MllpClient(listener.port)
        sender.send_raw(b"\x0b" + body + b"\x1c\x0d")
        assert str(sender.read_ack()["MSA.F1"]) == "AR"
        sender.send_raw(b"\x0b" + hl7_fixture("a04-ed-attendance.hl7") + b"\x1c\x0d")
        assert str(sender.read_ack()["MSA.F1"]) == "AA"  # the same connection keeps serving


@pytest.mark.parametrize(
    "change",
    [
        {"period": {"start": "0001-01-01T00:00:00+14:00"}},
        {"period": {"start": "9999-12-31T23:59:59-14:00"}},
        {"identifier": [{"system": "https://example.nhs.uk/Id/encounter", "value": "V\x000"}]},
    ],
    ids=["before-year-1-in-utc", "after-year-9999-in-utc", "nul-in-identifier"],
)
def test_fhir_errors_from_storage_are_operation_outcomes(
    client: TestClient, case: Case, fixture_text: Any, change: dict[str, Any]
) -> None:
    import json

    encounter = {**json.loads(fixture_text("fhir/encounter-ed.json")), **change}
    answer = client.post(
        "/api/v1/fhir/Encounter",
        json=encounter,
        headers={**case.hospital.headers, "content-type": "application/fhir+json"},
    )
    assert answer.status_code in (201, 422), answer.text  # SQLite keeps a NUL; PostgreSQL cannot
    assert answer.json()["resourceType"] == "OperationOutcome"
    if answer.status_code == 422:
        assert answer.headers["content-type"].startswith("application/fhir+json")


def test_a_pid_segment_ending_before_pid_3_is_ae_no_nhs_number_not_a_fault_of_ours(
    client: TestClient, case: Case
) -> None:
    from tests.integration.intake_helpers import hl7_fixture

    segments = hl7_fixture("a04-ed-attendance.hl7").split(b"\r")
    body = b"\r".join(b"PID|1" if s.startswith(b"PID|") else s for s in segments)
    status, ack = _hl7(client, case, body)
    assert status == 200 and "MSA|AE|MSG0001|PID-3 has no NHS number" in ack, ack  # not "send it again"


def test_an_ack_uses_the_standard_separators_whatever_the_sender_used(client: TestClient, case: Case) -> None:
    import hl7

    from tests.integration.intake_helpers import MllpClient, hl7_fixture, mllp_listener

    standard = hl7_fixture("a04-ed-attendance.hl7")
    for separator in (b"#", b"\x1c"):  # 0x1C is also MLLP's end block
        body = standard.replace(b"MSH|", b"MSH" + separator, 1).replace(b"|", separator)
        _, ack = _hl7(client, case, body)
        assert "\x1c" not in ack and ack.startswith("MSH|^~\\&|")
        assert str(hl7.parse(ack)["MSA.F1"]) in ("AA", "AE", "AR")
    with mllp_listener() as listener:
        sender = MllpClient(listener.port)
        sender.send_raw(b"\x0b" + standard.replace(b"|", b"#") + b"\x1c\x0d")
        assert str(sender.read_ack()["MSA.F1"]) in ("AA", "AE", "AR")


def test_an_hl7_time_with_seconds_too_long_to_count_is_ae_not_a_fault_of_ours(
    client: TestClient, case: Case
) -> None:
    from tests.integration.intake_helpers import hl7_fixture

    body = hl7_fixture("a04-ed-attendance.hl7").replace(b"20221208092500", b"20221208092500" + b"9" * 30)
    status, ack = _hl7(client, case, body)
    assert status == 200 and "MSA|AE|MSG0001|" in ack and "not an HL7 time stamp" in ack, ack


def test_a_field_the_parser_cannot_unescape_is_not_logged(
    client: TestClient, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.integration.intake_helpers import hl7_fixture

    caplog.set_level("DEBUG")
    body = (
        hl7_fixture("a04-ed-attendance.hl7")
        .replace(b"M0001234^", b"M0001234\\Zz\\^")  # PID-3, beside the NHS number
        .replace(b"^Overdose of", b"^Overdose \\Zz\\ of")  # PV2-3: clinical free text
    )
    status, ack = _hl7(client, case, body)
    assert status == 200 and "MSA|" in ack
    assert "9990000018" not in caplog.text and "Overdose" not in caplog.text, caplog.text
