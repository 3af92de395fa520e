"""HL7 v2 intake over HTTP and over real TCP MLLP: each shared fixture's expected handling, repeats that
alert nobody again, cancellations that tell the people alerted, and bad messages that keep nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import hl7
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from schemas.enums import Role
from services.attendances.models import Attendance
from services.intake.models import InboundMessage
from services.kernel.db import session_scope
from tests.conftest import _reset_settings
from tests.integration.conftest import Case, Mailbox, Person, World, audit_events, run_worker
from tests.integration.intake_helpers import (
    MllpClient,
    count,
    hl7_fixture,
    mllp_listener,
    msa,
    tables_containing,
    variant,
)

pytestmark = pytest.mark.integration

Send = Callable[[bytes], hl7.Message]


@pytest.fixture
def edsys(world: World, case: Case) -> Person:
    return world.user("edsys", role=Role.integration, team="RBT-LIA")


@pytest.fixture(params=["http", "mllp"])
def send(request: pytest.FixtureRequest, client: TestClient, edsys: Person) -> Iterator[Send]:
    """Sends one message and returns the parsed ACK: over HTTP, or over one MLLP connection."""
    if request.param == "http":

        def over_http(raw: bytes) -> hl7.Message:
            answer = client.post(
                "/api/v1/hl7/v2",
                content=raw,
                headers={**edsys.headers, "content-type": "x-application/hl7-v2+er7"},
            )
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"].startswith("x-application/hl7-v2+er7")
            return hl7.parse(answer.text)

        yield over_http
        return
    with mllp_listener() as listener:
        sender = MllpClient(listener.port)
        try:
            yield sender.send
        finally:
            sender.close()


def attendances() -> list[Attendance]:
    with session_scope() as session:
        return list(session.scalars(select(Attendance).order_by(Attendance.id)))


def notifications(client: TestClient, person: Person) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/notifications", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def chronology(client: TestClient, case: Case) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers)
    return list(answer.json()["events"])


def test_an_ed_registration_is_one_attendance_and_a_repeat_alerts_nobody_again(
    send: Send, client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    assert msa(send(hl7_fixture("a04-ed-attendance.hl7")))[:2] == ("AA", "MSG0001")
    run_worker()
    [mail] = mailbox.wait_for(1)
    assert case.ref in mail["Subject"]

    repeat = send(hl7_fixture("a04-ed-attendance-repeat.hl7"))
    code, control_id, text = msa(repeat)
    assert (code, control_id) == ("AA", "MSG0001") and "repeat" in text
    run_worker()
    assert len(mailbox.wait_for(2, timeout=1)) == 1
    assert len(notifications(client, case.social_worker)) == 1

    [attendance] = attendances()
    assert attendance.setting == "emergency_department" and attendance.site_code == "RBT"
    assert attendance.source == "hl7:RBT" and attendance.source_id == "V0001"
    assert attendance.reasons == ["overdose"]
    assert attendance.arrived_at == datetime(2022, 12, 8, 9, 25, tzinfo=UTC)  # GMT in December
    with session_scope() as session:
        [logged] = session.scalars(select(InboundMessage))
        assert (logged.facility, logged.control_id, logged.event) == ("RBT", "MSG0001", "ADT^A04")
        assert (logged.outcome, logged.ack_code, logged.attendance_id) == ("recorded", "AA", attendance.id)
    assert "inbound_messages" not in tables_containing("9990000018")  # the log keeps no identifiers
    assert [e.action for e in audit_events(action="hl7.duplicate")] == ["hl7.duplicate"]


def test_an_admission_then_its_discharge_ends_it_and_a_discharge_plan_is_due(
    send: Send, client: TestClient, case: Case
) -> None:
    assert msa(send(hl7_fixture("a01-admission.hl7")))[0] == "AA"
    [admission] = attendances()
    assert admission.setting == "inpatient_admission" and admission.status == "open"
    assert admission.arrived_at == datetime(2022, 10, 15, 12, 30, tzinfo=UTC)  # 13:30 BST

    assert msa(send(hl7_fixture("a03-discharge.hl7")))[:2] == ("AA", "MSG0003")
    [ended] = attendances()
    assert ended.status == "ended" and ended.ended_at == datetime(2022, 10, 25, 9, 55, tzinfo=UTC)
    [discharged] = [e for e in chronology(client, case) if e["kind"] == "discharged"]
    assert "discharge plan is due" in discharged["summary"]

    cancel_discharge = variant("a03-discharge.hl7", control_id="MSG0006", **{"ADT^A03": "ADT^A13"})
    assert msa(send(cancel_discharge))[0] == "AA"
    [reopened] = attendances()
    assert reopened.status == "open" and reopened.ended_at is None
    assert "discharge_cancelled" in [e["kind"] for e in chronology(client, case)]


def test_a_cancelled_visit_is_marked_cancelled_and_the_people_alerted_are_told(
    send: Send, client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    send(hl7_fixture("a04-ed-attendance.hl7"))
    run_worker()
    mailbox.wait_for(1)

    assert msa(send(hl7_fixture("a11-cancel-attendance.hl7")))[:2] == ("AA", "MSG0004")
    [attendance] = attendances()
    assert attendance.status == "cancelled" and attendance.cancelled_at is not None
    run_worker()
    first, told = mailbox.wait_for(2)
    assert "cancelled" in told["Subject"].lower() and case.ref in told["Subject"]
    body = told.get_payload()
    assert isinstance(body, str)
    for identifier in ("9990000018", "TESTPERSON", "Alex", "RBT", "V0001", "Overdose"):
        assert identifier.lower() not in (told["Subject"] + body).lower()
    kinds = sorted(n["kind"] for n in notifications(client, case.social_worker))
    assert kinds == ["attendance", "attendance_cancelled"]
    assert "attendance_cancelled" in [e["kind"] for e in chronology(client, case)]

    again = variant("a11-cancel-attendance.hl7", control_id="MSG0007")
    assert msa(send(again))[0] == "AA"
    run_worker()
    assert len(mailbox.wait_for(3, timeout=1)) == 2  # told once


def test_an_update_corrects_the_visit_without_alerting_anyone_again(
    send: Send, client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    send(hl7_fixture("a04-ed-attendance.hl7"))
    run_worker()
    mailbox.wait_for(1)
    update = variant(
        "a04-ed-attendance.hl7",
        control_id="MSG0008",
        **{"ADT^A04": "ADT^A08", "EVN|A04": "EVN|A08", "Overdose of prescribed": "Self-harm and overdose of"},
    )
    assert msa(send(update))[0] == "AA"
    [attendance] = attendances()
    assert attendance.reasons == ["overdose", "self_harm"]
    run_worker()
    assert len(mailbox.wait_for(2, timeout=1)) == 1
    assert len(notifications(client, case.social_worker)) == 1
    assert "attendance_updated" in [e["kind"] for e in chronology(client, case)]


def test_events_for_a_visit_never_recorded_are_accepted_with_a_note_and_change_nothing(
    send: Send, case: Case
) -> None:
    code, _, text = msa(send(hl7_fixture("a03-discharge.hl7")))
    assert code == "AA" and "no attendance recorded" in text
    assert attendances() == []


def test_an_unregistered_young_person_is_accepted_and_nothing_identifying_is_kept(
    send: Send, case: Case
) -> None:
    code, control_id, text = msa(send(hl7_fixture("a04-second-child.hl7")))
    assert (code, control_id) == ("AA", "MSG0005") and "not registered" in text
    assert attendances() == []
    assert tables_containing("9990000026") == []
    assert tables_containing("V0100") == []


def test_a_second_registered_young_person_is_recorded_at_their_own_site(
    send: Send, client: TestClient, case: Case
) -> None:
    second = {
        "nhs_number": "9990000026",
        "given_name": "Sam",
        "family_name": "Testperson",
        "date_of_birth": "2008-07-02",
        "responsible_la": "CEC",
    }
    created = client.post("/api/v1/young-people", json=second, headers=case.lead.headers)
    assert created.status_code == 201, created.text
    assert msa(send(hl7_fixture("a04-second-child.hl7")))[0] == "AA"
    [attendance] = attendances()
    assert attendance.site_code == "RJN" and attendance.source == "hl7:RJN"
    assert attendance.reasons == ["self_harm"]


@pytest.mark.parametrize(
    ("fixture", "code", "control_id", "words"),
    [
        ("bad-nhs-number.hl7", "AE", "MSG0901", "modulus 11"),
        ("bad-no-pid.hl7", "AE", "MSG0902", "no PID segment"),
        ("bad-unsupported-type.hl7", "AR", "MSG0903", "ORU R01 is not handled"),
    ],
)
def test_bad_messages_are_refused_with_a_clear_reason_and_keep_nothing(
    send: Send, case: Case, fixture: str, code: str, control_id: str, words: str
) -> None:
    before = {t: count(t) for t in ("attendances", "notifications", "chronology_entries", "young_people")}
    ack = send(hl7_fixture(fixture))
    assert msa(ack)[:2] == (code, control_id)
    assert words in msa(ack)[2] or words in str(ack.segment("ERR"))
    assert words in str(ack["ERR.F8"])
    after = {t: count(t) for t in before}
    assert after == before
    assert tables_containing("9990000019") == []
    assert "V090" not in repr(tables_containing("V090"))
    # a repeat gets the same code and still keeps nothing
    assert msa(send(hl7_fixture(fixture)))[0] == code
    assert {t: count(t) for t in before} == before


def test_the_http_endpoint_answers_text_that_is_not_hl7_with_400_and_an_ar_ack(
    client: TestClient, edsys: Person
) -> None:
    answer = client.post("/api/v1/hl7/v2", content=hl7_fixture("bad-not-hl7.hl7"), headers=edsys.headers)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("x-application/hl7-v2+er7")
    assert msa(hl7.parse(answer.text))[0] == "AR"
    assert count("inbound_messages") == 0 and count("attendances") == 0


def test_newlines_between_segments_are_accepted(client: TestClient, case: Case, edsys: Person) -> None:
    raw = hl7_fixture("a04-ed-attendance.hl7").replace(b"\r", b"\n")
    answer = client.post("/api/v1/hl7/v2", content=raw, headers=edsys.headers)
    assert msa(hl7.parse(answer.text))[0] == "AA"
    assert len(attendances()) == 1


def test_the_http_endpoint_needs_a_token_and_a_role_that_records_attendances(
    client: TestClient, case: Case
) -> None:
    raw = hl7_fixture("a04-ed-attendance.hl7")
    assert client.post("/api/v1/hl7/v2", content=raw).status_code == 401
    refused = client.post("/api/v1/hl7/v2", content=raw, headers=case.social_worker.headers)
    assert refused.status_code == 403 and "may not record" in refused.json()["detail"]
    [denied] = audit_events(action="hl7.receive")
    assert denied.outcome == "denied" and denied.actor_username == "jsmith"
    assert attendances() == [] and count("inbound_messages") == 0


def test_an_oversize_message_over_http_gets_413_and_an_ar_naming_its_control_id(
    client: TestClient, edsys: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HL7_MAX_MESSAGE_BYTES", "2048")
    _reset_settings()
    headers = {**edsys.headers, "content-type": "x-application/hl7-v2+er7"}
    big = hl7_fixture("a04-ed-attendance.hl7") + b"NTE|1||" + b"X" * 5000
    answer = client.post("/api/v1/hl7/v2", content=big, headers=headers)
    assert answer.status_code == 413
    code, control_id, text = msa(hl7.parse(answer.text))
    assert (code, control_id) == ("AR", "MSG0001") and "larger than 2048 bytes" in text
    shapeless = client.post("/api/v1/hl7/v2", content=b"X" * 5000, headers=headers)
    assert shapeless.status_code == 413 and msa(hl7.parse(shapeless.text))[:2] == ("AR", "")
    assert count("attendances") == 0


def _without(raw: bytes, *segments: str) -> bytes:
    """The message with the named segments taken out (a sender that does not send them)."""
    kept = [s for s in raw.split(b"\r") if s[:3].decode() not in segments]
    return b"\r".join(kept)


def _without_arrival(raw: bytes) -> bytes:
    """PV1-44 (admit date/time) left empty."""
    return raw.replace(b"|20221208092500", b"|").replace(b"|20221015133000", b"|")


def test_an_admission_or_update_without_reasons_keeps_the_reasons_recorded(
    send: Send, client: TestClient, case: Case, mailbox: Mailbox
) -> None:
    """HL7: a field a message leaves empty is "no change". An ordinary A01 or A08 without PV2 or DG1 must
    not turn `overdose, substance_use` into `other`: that hid a self-harm pattern from the repeat rule."""
    words = {"Overdose of prescribed and non-prescribed drugs": "Overdose with alcohol intoxication"}
    assert msa(send(variant("a04-ed-attendance.hl7", control_id="MSG0101", **words)))[0] == "AA"
    [recorded] = attendances()
    assert recorded.reasons == ["overdose", "substance_use"]
    arrived = recorded.arrived_at

    admitted = variant("a01-admission.hl7", control_id="MSG0102", **{"V0002^": "V0001^"})
    assert msa(send(_without_arrival(admitted)))[0] == "AA"
    updated = variant(
        "a04-ed-attendance.hl7", control_id="MSG0103", **{"ADT^A04": "ADT^A08", "EVN|A04": "EVN|A08"}
    )
    assert msa(send(_without_arrival(_without(updated, "PV2"))))[0] == "AA"

    [attendance] = attendances()
    assert attendance.reasons == ["overdose", "substance_use"]
    assert attendance.arrived_at == arrived  # nor is the arrival moved to the message's own time
    assert attendance.setting == "emergency_department"  # the A08's PV1-2 `E` is a change it carries

    # So the repeat rule still sees the overdose when the next one comes.
    second = variant(
        "a04-ed-attendance.hl7", control_id="MSG0104", **{"V0001^": "V0003^", "20221208": "20221215"}
    )
    assert msa(send(second))[0] == "AA"
    assert "repeat_attendance" in [e["kind"] for e in chronology(client, case)]
