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
