"""No-shows from hospital and clinic systems, over the real database, real rq workers, a real SMTP server
and a real MLLP socket: a FHIR Appointment `noshow` or an HL7 SIU^S26 is a was-not-brought miss told as the
rules say; a later arrival withdraws it; the closure guard sees it; an unknown patient leaves nothing."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import hl7
import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.operationoutcome import OperationOutcome
from httpx import Response

from schemas.enums import Agency, Role
from schemas.settings import get_settings
from services.kernel.clock import utcnow
from tests.integration.conftest import (
    Case,
    Mailbox,
    Person,
    World,
    add_care_coordinator,
    audit_events,
    complete_assessment,
    run_worker,
)
from tests.integration.intake_helpers import (
    FIXTURES,
    MllpClient,
    count,
    mllp_listener,
    msa,
    tables_containing,
    variant,
)
from tests.integration.test_closures import _answer, _decide, _propose
from tests.integration.test_missed_appointments import assert_ref_only, chronology

pytestmark = pytest.mark.integration

APPOINTMENT: dict[str, Any] = json.loads((FIXTURES / "fhir" / "appointment-camhs-noshow.json").read_text())
FHIR_JSON = {"content-type": "application/fhir+json"}
HL7 = {"content-type": "x-application/hl7-v2+er7"}
FIXTURE_DAY = "20261120"  # the fixtures' appointment day; moved to three days ago so it is in the window


def recent(days: int = 3) -> str:
    return (utcnow() - timedelta(days=days)).strftime("%Y%m%d")


def siu(name: str, control_id: str, **replace: str) -> bytes:
    return variant(name, control_id=control_id, **{FIXTURE_DAY: recent()} | replace)


def fhir_appointment(status: str = "noshow", **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(APPOINTMENT) | {"status": status} | changes
    day = (utcnow() - timedelta(days=3)).date().isoformat()
    body["start"] = body["start"].replace("2026-11-20", day)
    body["end"] = body["end"].replace("2026-11-20", day)
    return body


@pytest.fixture
def nurse(client: TestClient, world: World, case: Case) -> Person:
    return add_care_coordinator(client, world, case)


@pytest.fixture
def camhs(client: TestClient, world: World, case: Case, monkeypatch: pytest.MonkeyPatch) -> Person:
    """The CAMHS team the RBT booking system's appointments belong to (APPOINTMENT_OWNER_TEAMS)."""
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    monkeypatch.setenv("APPOINTMENT_OWNER_TEAMS", '{"RBT": "CEC-CAMHS"}')
    get_settings.cache_clear()
    return world.user("camhs1", role=Role.clinician, team="CEC-CAMHS", email="camhs1@example.org")


@pytest.fixture
def pas(world: World, case: Case) -> Person:
    """The hospital's booking system's account."""
    return world.user("rbtpas", role=Role.integration, team="RBT-LIA")


def post_fhir(client: TestClient, body: Any, person: Person | None) -> Response:
    headers = {**FHIR_JSON, **(person.headers if person else {})}
    return client.post("/api/v1/fhir/Appointment", content=json.dumps(body).encode(), headers=headers)


def post_hl7(client: TestClient, raw: bytes, person: Person) -> tuple[str, str, str]:
    answer = client.post("/api/v1/hl7/v2", content=raw, headers={**HL7, **person.headers})
    assert answer.status_code == 200, answer.text
    return msa(hl7.parse(answer.text))


def code_of(answer: Response) -> str:
    assert answer.headers["content-type"].startswith("application/fhir+json"), answer.text
    issue = OperationOutcome.model_validate(answer.json()).issue[0]
    return str(issue.details.coding[0].code) if issue.details and issue.details.coding else str(issue.code)


def missed(client: TestClient, case: Case, person: Person) -> Any:
    answer = client.get(f"/api/v1/young-people/{case.ref}/missed-appointments", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_fhir_noshow_is_was_not_brought_and_a_later_arrival_withdraws_it(
    client: TestClient, case: Case, nurse: Person, camhs: Person, pas: Person, mailbox: Mailbox
) -> None:
    first = post_fhir(client, fhir_appointment("noshow"), pas)
    assert first.status_code == 201, first.text
    assert code_of(first) == "missed" and case.ref in first.text
    run_worker()
    mails = mailbox.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["jo.smith@example.org", "nurse@example.org"]
    for mail in mails:
        assert "Was not brought" in mail["Subject"]
        assert_ref_only(case, mail.as_string())
        assert "RBT-CAMHS-A0042" not in mail.as_string()

    [miss] = missed(client, case, nurse)["missed"]
    assert (miss["status"], miss["barriers"], miss["kind"], miss["owner_team"], miss["recorded_by"]) == (
        "was_not_brought",
        ["unknown"],
        "camhs",
        "CEC-CAMHS",
        "rbtpas",
    )
    assert miss["reason"] == "did not arrive (reported by RBT)"
    again = post_fhir(client, fhir_appointment("noshow"), pas)
    assert (again.status_code, code_of(again)) == (200, "unchanged")
    run_worker()
    assert len(mailbox.wait_for(3, timeout=0.5)) == 2  # a resend tells nobody again

    arrived = post_fhir(client, fhir_appointment("arrived"), pas)
    assert (arrived.status_code, code_of(arrived)) == (200, "withdrawn")
    overview = missed(client, case, nurse)
    assert overview["in_window"]["total"] == 0 and overview["missed"][0]["withdrawn_at"] is not None
    [appointment] = client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers).json()[
        "appointments"
    ]
    assert (appointment["status"], appointment["source"], appointment["facility"]) == (
        "attended",
        "fhir",
        "RBT",
    )
    kinds = [e["kind"] for e in chronology(client, case)]
    assert kinds.count("was_not_brought") == 1 and "appointment_booked" in kinds and "appointment" in kinds
    assert [e.actor_username for e in audit_events(action="missed_appointment.withdrawn")] == ["rbtpas"]


def test_fhir_appointment_errors_are_operation_outcomes_and_denials_are_audited(
    client: TestClient, case: Case, pas: Person
) -> None:
    unauthenticated = post_fhir(client, fhir_appointment(), None)
    assert unauthenticated.status_code == 401 and code_of(unauthenticated) == "invalid"
    social_worker = post_fhir(client, fhir_appointment(), case.social_worker)
    assert social_worker.status_code == 403
    assert [e.action for e in audit_events(outcome="denied")] == ["fhir.appointment"]
    future = fhir_appointment()
    future["start"] = (utcnow() + timedelta(days=2)).isoformat()
    early = post_fhir(client, future, pas)
    assert early.status_code == 422 and "still to come" in early.text
    nameless = fhir_appointment(participant=APPOINTMENT["participant"][1:])
    assert post_fhir(client, nameless, pas).status_code == 422
    assert count("appointments") == 0
    assert len(audit_events(action="fhir.rejected")) == 2


def test_an_unregistered_patients_noshow_is_accepted_and_nothing_is_kept(
    client: TestClient, case: Case, pas: Person, mailbox: Mailbox
) -> None:
    body = fhir_appointment()
    body["participant"][0]["actor"]["identifier"]["value"] = "9990000026"
    answer = post_fhir(client, body, pas)
    assert (answer.status_code, code_of(answer)) == (200, "not_registered")
    assert post_hl7(client, siu("siu-s26-unregistered.hl7", "SIU0101"), pas)[0] == "AA"
    assert count("appointments") == 0 and count("missed_appointments") == 0
    assert tables_containing("9990000026") == []
    assert len(audit_events(action="appointment.not_registered")) == 2


def test_siu_s12_then_s26_over_http_records_the_miss_once_and_a_repeat_changes_nothing(
    client: TestClient, case: Case, nurse: Person, camhs: Person, pas: Person, mailbox: Mailbox
) -> None:
    assert post_hl7(client, siu("siu-s12-camhs-booking.hl7", "SIU0001"), pas)[:2] == ("AA", "SIU0001")
    [booked] = client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers).json()[
        "appointments"
    ]
    assert (booked["status"], booked["kind"], booked["external_system"], booked["external_id"]) == (
        "scheduled",
        "camhs",
        "hl7:RBT",
        "APPT5001",
    )
    noshow = siu("siu-s26-noshow.hl7", "SIU0002")
    assert post_hl7(client, noshow, pas)[0] == "AA"
    code, _, text = post_hl7(client, noshow, pas)  # the same MSH-4 + MSH-10: a repeat
    assert code == "AA" and "repeat" in text
    assert post_hl7(client, siu("siu-s26-noshow.hl7", "SIU0002B"), pas)[0] == "AA"  # resent, a new MSH-10
    cancelled = post_hl7(client, siu("siu-s15-cancel.hl7", "SIU0003"), pas)
    assert cancelled[0] == "AA" and "nothing changed" in cancelled[2]  # a cancellation undoes no miss
    run_worker()
    assert len(mailbox.wait_for(3, timeout=1)) == 2
    [miss] = missed(client, case, nurse)["missed"]
    assert (miss["appointment_id"], miss["reason"], miss["withdrawn_at"]) == (
        booked["id"],
        "did not arrive (reported by hl7:RBT)",
        None,
    )
    assert count("appointments") == 1 and count("inbound_messages") == 4


def test_an_s26_over_a_real_mllp_socket_is_told_as_the_system_and_blocks_a_non_engagement_closure(
    client: TestClient, case: Case, nurse: Person, camhs: Person, mailbox: Mailbox
) -> None:
    with mllp_listener(allowed=frozenset({"RBT"})) as listener:
        sender = MllpClient(listener.port)
        assert msa(sender.send(siu("siu-s26-noshow.hl7", "MLLP0001")))[:2] == ("AA", "MLLP0001")
        bad = msa(sender.send(siu("bad-siu-no-sch.hl7", "MLLP0002")))
        assert bad[0] == "AE" and "no SCH segment" in bad[2]
        sender.close()
    run_worker()
    assert sorted(m["To"] for m in mailbox.wait_for(2)) == ["jo.smith@example.org", "nurse@example.org"]
    [miss] = missed(client, case, nurse)["missed"]
    assert (miss["recorded_by"], miss["owner_team"]) == ("liaison-system", "CEC-CAMHS")
    [recorded] = audit_events(action="missed_appointment.recorded")
    assert (recorded.via, recorded.actor_role) == ("mllp", "system")

    client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": "camhs1", "role": "camhs"},
        headers=case.lead.headers,
    )
    closure_id = _propose(client, case, camhs)["id"]
    complete_assessment(client, nurse, case.ref)
    for person in (nurse, case.social_worker):
        answered = _answer(client, closure_id, person, "agree")
    [blocker] = answered["blockers"]
    assert blocker.startswith("1 missed appointment(s) in the last 90 days were recorded as was not brought")
    assert _decide(client, closure_id, camhs).status_code == 409


def test_an_unmapped_facility_leaves_the_owner_unknown_and_the_pattern_says_so(
    client: TestClient, case: Case, nurse: Person, pas: Person, world: World, mailbox: Mailbox
) -> None:
    world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg@example.org")
    assert post_hl7(client, siu("siu-s26-noshow.hl7", "SIU0201"), pas)[0] == "AA"
    second = siu("siu-s26-noshow.hl7", "SIU0202", APPT5001="APPT5002", **{FIXTURE_DAY: recent(5)})
    assert post_hl7(client, second, pas)[0] == "AA"
    overview = missed(client, case, nurse)
    assert overview["pattern_met"] is True and {m["owner_team"] for m in overview["missed"]} == {None}
    [pattern] = [e for e in chronology(client, case) if e["kind"] == "was_not_brought"][-1:]
    assert any(
        g.startswith("the service that owns 2 of the missed appointments is not known")
        for g in pattern["detail"]["gaps"]
    )
    assert "owning service not known: sent by RBT" in pattern["summary"]
    run_worker()
    told = {m["To"] for m in mailbox.wait_for(5, timeout=2)}
    assert "sg@example.org" in told  # the safeguarding lead is told in the unknown owner's place


def test_an_siu_reschedule_moves_the_appointment_and_another_patients_id_is_ae(
    client: TestClient, case: Case, nurse: Person, pas: Person
) -> None:
    assert post_hl7(client, siu("siu-s12-camhs-booking.hl7", "SIU0301"), pas)[0] == "AA"
    moved = siu("siu-s12-camhs-booking.hl7", "SIU0302", **{"SIU^S12": "SIU^S13", FIXTURE_DAY: recent(1)})
    assert post_hl7(client, moved, pas)[0] == "AA"
    [appointment] = client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers).json()[
        "appointments"
    ]
    assert appointment["at"].startswith((utcnow() - timedelta(days=1)).date().isoformat())
    registered = client.post(
        "/api/v1/young-people",
        json={
            "nhs_number": "9990000026",
            "given_name": "Sam",
            "family_name": "Testperson",
            "date_of_birth": "2008-07-02",
            "responsible_la": "CEC",
        },
        headers=case.lead.headers,
    )
    assert registered.status_code == 201, registered.text
    other = siu("siu-s26-noshow.hl7", "SIU0303", **{"9990000018^^^NHS^NH": "9990000026^^^NHS^NH"})
    code, _, text = post_hl7(client, other, pas)
    assert code == "AE" and "another patient" in text
    assert count("missed_appointments") == 0
    [logged] = audit_events(action="hl7.rejected")
    assert logged.detail["ack"] == "AE"


def test_chronology_times_labelled_utc_are_utc_for_a_summer_booking(
    client: TestClient, case: Case, nurse: Person, pas: Person
) -> None:
    """HL7 times without an offset are UK local time: 09:30 in June is 08:30 UTC, and a line that says UTC
    must say 08:30 (it printed the local 09:30 with the UTC label)."""
    summer = f"{utcnow().year + 1}0615"
    assert (
        post_hl7(client, siu("siu-s12-camhs-booking.hl7", "SIU0401", **{FIXTURE_DAY: summer}), pas)[0] == "AA"
    )
    day = f"{summer[:4]}-06-15"
    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers).json()
    summaries = [e["summary"] for e in events["events"] if e["kind"].startswith("appointment")]
    [booked] = [s for s in summaries if "booked for" in s]
    assert f"{day} 08:30 UTC" in booked, summaries
