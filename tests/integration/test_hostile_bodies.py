"""Hostile request bodies get a 4xx, never a 5xx, and are not read further than they need be (issue 13,
item 5): deeply nested or enormous-integer JSON to the FHIR routes (RecursionError, ValueError), a lone
surrogate escape in any JSON body (the 422 handler could not write it back out), no size limit on JSON
routes, and an unauthenticated 100 MB body read whole before the 401."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.kernel.safejson import MAX_DEPTH
from tests.integration.bot.conftest import ApiServer, api_server  # noqa: F401 - the real API over HTTP
from tests.integration.conftest import YOUNG_PERSON, Case, audit_events
from tests.integration.intake_helpers import hl7_fixture

pytestmark = pytest.mark.integration

FHIR = {"content-type": "application/fhir+json"}
HUNDRED_MB = 100 * 1024 * 1024
NESTED = b'{"resourceType": "Encounter", "extension": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
SHALLOWER = b'{"resourceType": "Encounter", "extension": ' + b"[" * 500 + b"]" * 500 + b"}"
HUGE_INT = b'{"resourceType": "Encounter", "id": ' + b"9" * 5000 + b"}"
SURROGATE = b'{"resourceType": "Encounter", "id": "\\ud800"}'


@pytest.mark.parametrize("path", ["/api/v1/fhir/Encounter", "/api/v1/fhir/Appointment"])
@pytest.mark.parametrize(
    ("body", "says"),
    [(NESTED, "nests deeper"), (SHALLOWER, "nests deeper"), (HUGE_INT, "digits"), (SURROGATE, "surrogate")],
    ids=["nested-50000", "nested-500", "integer-5000-digits", "lone-surrogate"],
)
def test_fhir_bodies_that_would_knock_the_parser_over_are_a_400_operation_outcome(
    client: TestClient, case: Case, path: str, body: bytes, says: str
) -> None:
    answer = client.post(path, content=body, headers={**case.hospital.headers, **FHIR})
    assert answer.status_code == 400, answer.text
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome" and says in json.dumps(outcome)
    assert audit_events(action="fhir.rejected", outcome="refused")  # refused, and said so


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/young-people", b'{"given_name": "\\ud800Alex"}'),
        ("PATCH", "/api/v1/young-people/{ref}", b'{"given_name": "\\udfff"}'),
        ("POST", "/api/v1/attendances", b'{"source_id": "\\ud83d"}'),
        (
            "PATCH",
            "/api/v1/young-people/{ref}",
            b'{"statuses": ' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}",
        ),
        ("POST", "/api/v1/attendances", b'{"source_id": ' + b"1" * 5000 + b"}"),
        ("PATCH", "/api/v1/young-people/{ref}", b"[" * 50_000 + b"]" * 50_000),
    ],
    ids=["surrogate-register", "surrogate-patch", "surrogate-attendance", "deep", "huge-int", "very-deep"],
)
def test_json_bodies_that_cannot_be_read_or_written_back_are_a_400(
    client: TestClient, case: Case, method: str, path: str, body: bytes
) -> None:
    headers = {**case.lead.headers, "content-type": "application/json"}
    answer = client.request(method, path.format(ref=case.ref), content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"]
    read = client.get(f"/api/v1/young-people/{case.ref}", headers=case.lead.headers)
    assert read.json()["given_name"] == YOUNG_PERSON["given_name"]


def test_a_surrogate_pair_is_a_character_and_is_kept(client: TestClient, case: Case) -> None:
    body = b'{"given_name": "Alex \\ud83d\\ude00"}'
    headers = {**case.lead.headers, "content-type": "application/json"}
    answer = client.patch(f"/api/v1/young-people/{case.ref}", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["given_name"] == "Alex \U0001f600"


def test_a_body_over_the_limit_is_a_413_whether_it_says_so_or_not(client: TestClient, case: Case) -> None:
    big = json.dumps({**YOUNG_PERSON, "given_name": "A" * 1_100_000}).encode()
    headers = {**case.lead.headers, "content-type": "application/json"}
    assert client.post("/api/v1/young-people", content=big, headers=headers).status_code == 413

    def chunked() -> Iterator[bytes]:  # no Content-Length: the guard counts the bytes
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    answer = client.post("/api/v1/young-people", content=chunked(), headers=headers)
    assert answer.status_code == 413 and "larger than 1048576 bytes" in answer.json()["detail"]
    fhir = client.post("/api/v1/fhir/Encounter", content=big, headers={**case.hospital.headers, **FHIR})
    assert fhir.status_code == 413 and fhir.json()["resourceType"] == "OperationOutcome"


def _ask(server: ApiServer, head: str, first_bytes: bytes = b"") -> tuple[float, str]:
    """Send the request line and headers (and `first_bytes` of the body, never all of it) to the real
    API; how long the answer took, and the answer."""
    host, port = server.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + first_bytes)
        received = b""
        while b"\r\n\r\n" not in received or not _whole(received):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return time.monotonic() - started, received.decode(errors="replace")


def _whole(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _request(path: str, content_type: str, *headers: str) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: liaison", f"Content-Type: {content_type}"]
    return "\n".join([*lines, f"Content-Length: {HUNDRED_MB}", *headers, ""])


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/young-people", "application/json"),
        ("/api/v1/fhir/Encounter", "application/fhir+json"),
        ("/api/v1/hl7/v2", "x-application/hl7-v2+er7"),
    ],
)
def test_an_unauthenticated_100_mb_body_is_answered_401_before_it_is_sent(
    api_server: ApiServer,  # noqa: F811
    path: str,
    content_type: str,
) -> None:
    took, answer = _ask(api_server, _request(path, content_type))
    assert answer.startswith("HTTP/1.1 401"), answer[:300]
    assert "www-authenticate: bearer" in answer.lower()
    assert took < 5  # it did not wait for 100 MB that never came


def test_an_authenticated_100_mb_body_is_answered_413_before_it_is_sent(
    api_server: ApiServer,  # noqa: F811
    case: Case,
) -> None:
    auth = f"Authorization: Bearer {case.lead.token}"
    took, answer = _ask(api_server, _request("/api/v1/young-people", "application/json", auth))
    assert answer.startswith("HTTP/1.1 413"), answer[:300]
    assert took < 5

    # HL7 v2 keeps its own limit and answers with an ACK that quotes the message's control id
    hospital = f"Authorization: Bearer {case.hospital.token}"
    message = hl7_fixture("a04-ed-attendance.hl7")
    took, ack = _ask(api_server, _request("/api/v1/hl7/v2", "x-application/hl7-v2+er7", hospital), message)
    assert ack.startswith("HTTP/1.1 413") and "MSA|AR|MSG0001" in ack, ack[:600]
    assert took < 5


HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
}


def test_every_answer_carries_no_store_and_the_security_headers(client: TestClient, case: Case) -> None:
    """Issue 13, item 8: personal data must not sit in a cache or a framing page."""
    fhir = {**case.hospital.headers, **FHIR}
    answers = [
        client.get(f"/api/v1/young-people/{case.ref}", headers=case.lead.headers),  # a record
        client.get("/api/v1/young-people", headers=case.social_worker.headers),
        client.get(f"/api/v1/young-people/{case.ref}"),  # 401
        client.get("/api/v1/young-people/YP-NOPE0-NOPE0", headers=case.lead.headers),  # 404
        client.post("/api/v1/fhir/Encounter", content=b"{}", headers=fhir),  # an OperationOutcome
        client.post("/api/v1/young-people", content=b"x" * 2_000_000, headers=case.lead.headers),  # 413
        client.post("/api/v1/young-people", json={}),  # the guard's 401
        client.get("/healthz"),
    ]
    for answer in answers:
        for name, value in HEADERS.items():
            assert answer.headers.get(name) == value, (answer.request.url, answer.status_code, name)
