"""Follow-through of appointments, over the real database, real rq workers, a real SMTP server and a real
MLLP socket: a withdrawn miss is told to everyone told of it (and of the threshold it lifted) once, with
why; an appointment is moved through the API unless it was missed; an SIU S17 deletes a booking made in
error; an SIU AE points at the field at fault."""

from __future__ import annotations

from datetime import timedelta
from email.message import Message

import pytest
from fastapi.testclient import TestClient

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
    run_worker,
)
from tests.integration.intake_helpers import MllpClient, count, mllp_listener, msa
from tests.integration.test_appointment_intake import (
    FIXTURE_DAY,
    code_of,
    fhir_appointment,
    missed,
    post_fhir,
    recent,
    siu,
)
from tests.integration.test_appointments import appointment_outcome, book
from tests.integration.test_missed_appointments import (
    WNB,
    assert_ref_only,
    chronology,
    outcome,
    plan_with_missable_follow_ups,
)

pytestmark = pytest.mark.integration

WITHDRAWN = "Missed appointment withdrawn"


@pytest.fixture
def nurse(client: TestClient, world: World, case: Case) -> Person:
    """The care coordinator (with the lead social worker, who is told of every miss of this case)."""
    world.team("CEC-CAMHS", agency=Agency.camhs, la=None)
    return add_care_coordinator(client, world, case)


@pytest.fixture
def camhs(nurse: Person, world: World, monkeypatch: pytest.MonkeyPatch) -> Person:
    """A CAMHS clinician (not on the care team); RBT's appointments belong to CEC-CAMHS."""
    monkeypatch.setenv("APPOINTMENT_OWNER_TEAMS", '{"RBT": "CEC-CAMHS"}')
    get_settings.cache_clear()
    return world.user("camhs2", role=Role.clinician, team="CEC-CAMHS", email="camhs2@example.org")


@pytest.fixture
def pas(world: World, case: Case) -> Person:
    """The hospital's booking system's account."""
    return world.user("rbtpas", role=Role.integration, team="RBT-LIA")


@pytest.fixture
def team(client: TestClient, nurse: Person, world: World, case: Case) -> dict[str, Person]:
    """A GP and a CAMHS clinician on the care team, and the local authority's safeguarding lead."""
    world.team("GP-A", agency=Agency.gp, la=None)
    people = {
        "gp": world.user("drgp", role=Role.clinician, team="GP-A", email="gp@example.org"),
        "camhs": world.user("camhs1", role=Role.clinician, team="CEC-CAMHS", email="camhs1@example.org"),
        "sg": world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg@example.org"),
    }
    for username, role in (("drgp", "gp"), ("camhs1", "camhs")):
        added = client.post(
            f"/api/v1/young-people/{case.ref}/care-team",
            json={"username": username, "role": role},
            headers=case.lead.headers,
        )
        assert added.status_code == 201, added.text
    return people


def withdrawals(mails: list[Message]) -> list[Message]:
    return [m for m in mails if WITHDRAWN in str(m["Subject"])]


def body_of(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else mail.as_string()


def test_a_fhir_arrival_after_a_noshow_tells_the_same_people_once_that_the_miss_is_withdrawn(
    client: TestClient, case: Case, nurse: Person, camhs: Person, pas: Person, mailbox: Mailbox
) -> None:
    assert code_of(post_fhir(client, fhir_appointment("noshow"), pas)) == "missed"
    run_worker()
    told = sorted(m["To"] for m in mailbox.wait_for(2))
    assert told == ["jo.smith@example.org", "nurse@example.org"]

    arrived = post_fhir(client, fhir_appointment("arrived"), pas)
    assert (arrived.status_code, code_of(arrived)) == (200, "withdrawn")
    assert "2 notifications queued" in arrived.text
    run_worker()
    mails = withdrawals(mailbox.wait_for(4))
    assert sorted(m["To"] for m in mails) == told
    for mail in mails:
        text = body_of(mail)
        assert "Why: the clinic now reports the young person arrived." in text
        assert "/acknowledge" in text and f"/young-people/{case.ref}/missed-appointments" in text
        assert_ref_only(case, mail.as_string())
        assert "RBT-CAMHS-A0042" not in mail.as_string()

    again = post_fhir(client, fhir_appointment("fulfilled"), pas)  # a second arrival: nothing new to say
    assert (again.status_code, code_of(again)) == (200, "unchanged")
    run_worker()
    assert len(mailbox.wait_for(5, timeout=0.5)) == 4
    [entry] = [e for e in chronology(client, case) if e["kind"] == "missed_withdrawn"]
    assert "the clinic now reports the young person arrived" in entry["summary"]
    assert len(entry["detail"]["told"]) == 2 and "nurse" in entry["detail"]["told"]
    [audited] = audit_events(action="missed_appointment.withdrawn")
    assert (audited.actor_username, audited.detail["why"], audited.detail["told"]) == ("rbtpas", "arrived", 2)


def test_a_follow_up_miss_corrected_to_attended_tells_the_people_told_of_it(
    client: TestClient, case: Case, nurse: Person, mailbox: Mailbox
) -> None:
    plan = plan_with_missable_follow_ups(client, case, nurse, [1])
    assert outcome(client, nurse, case, plan, 0, WNB).status_code == 200
    run_worker()
    told = sorted(m["To"] for m in mailbox.wait_for(2))
    corrected = outcome(client, nurse, case, plan, 0, {"status": "attended", "note": "Seen after all"})
    assert corrected.status_code == 200, corrected.text
    assert outcome(client, nurse, case, plan, 0, {"status": "attended"}).status_code == 200  # again: nothing
    run_worker()
    mails = withdrawals(mailbox.wait_for(4))
    assert sorted(m["To"] for m in mails) == told
    assert all("the outcome was corrected: the young person attended" in body_of(m) for m in mails)
    assert len(mailbox.wait_for(5, timeout=0.5)) == 4


def test_withdrawing_the_miss_that_met_the_threshold_tells_everyone_told_of_the_threshold(
    client: TestClient, case: Case, nurse: Person, team: dict[str, Person], mailbox: Mailbox
) -> None:
    plan = plan_with_missable_follow_ups(client, case, nurse, [2, 1])
    assert outcome(client, nurse, case, plan, 0, WNB).status_code == 200
    assert outcome(client, nurse, case, plan, 1, WNB).status_code == 200  # the threshold (2) is met
    run_worker()
    pattern = [m for m in mailbox.wait_for(7) if "Repeated missed appointments" in m["Subject"]]
    threshold_told = sorted(m["To"] for m in pattern)
    assert "gp@example.org" in threshold_told and "sg@example.org" in threshold_told

    # The first miss (told only to the coordinator and lead social worker) is corrected: one miss is left.
    assert outcome(client, nurse, case, plan, 0, {"status": "attended"}).status_code == 200
    run_worker()
    mails = withdrawals(mailbox.wait_for(12))
    assert sorted(m["To"] for m in mails) == threshold_told  # each once, the coordinator included
    assert missed(client, case, nurse)["pattern_met"] is False
    [entry] = [e for e in chronology(client, case) if e["kind"] == "missed_withdrawn"]
    assert entry["detail"]["pattern_lifted"] is True and "below the threshold of 2" in entry["summary"]


def test_an_appointment_not_yet_held_is_moved_and_a_missed_one_is_refused(
    client: TestClient, case: Case, nurse: Person, camhs: Person, world: World
) -> None:
    ahead = book(client, case, nurse, days_ago=-7).json()
    new_at = (utcnow() + timedelta(days=9)).replace(microsecond=0)
    moved = client.patch(
        f"/api/v1/young-people/{case.ref}/appointments/{ahead['id']}",
        json={"at": new_at.isoformat(), "owner": "camhs2", "kind": "community_paediatrics"},
        headers=nurse.headers,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["owner"], moved.json()["kind"], moved.json()["status"]) == (
        "camhs2",
        "community_paediatrics",
        "scheduled",
    )
    assert moved.json()["at"].startswith(new_at.date().isoformat())
    [entry] = [e for e in chronology(client, case) if e["kind"] == "appointment_moved"]
    assert entry["detail"]["changed"] == ["at", "kind", "owner"]
    assert [e.detail["changed"] for e in audit_events(action="appointment.moved")] == [
        ["at", "kind", "owner"]
    ]

    # The owning clinic may move its own appointment, but not hand it to a team it cannot book for.
    world.team("CEC-OT")
    handed = client.patch(
        f"/api/v1/young-people/{case.ref}/appointments/{ahead['id']}",
        json={"owner_team": "CEC-OT"},
        headers=camhs.headers,
    )
    assert handed.status_code == 403
    outsider = world.user("outsider", role=Role.clinician, team="CEC-OT")
    refused = client.patch(
        f"/api/v1/young-people/{case.ref}/appointments/{ahead['id']}",
        json={"at": new_at.isoformat()},
        headers=outsider.headers,
    )
    assert refused.status_code == 403
    assert [e.action for e in audit_events(outcome="denied")] == ["appointment.move", "appointment.move"]

    past = book(client, case, nurse, days_ago=1).json()
    assert appointment_outcome(client, case, nurse, past["id"], WNB).status_code == 200
    conflict = client.patch(
        f"/api/v1/young-people/{case.ref}/appointments/{past['id']}",
        json={"at": new_at.isoformat()},
        headers=nurse.headers,
    )
    assert conflict.status_code == 409
    assert "has a recorded miss (was not brought): a missed appointment is not moved" in conflict.text
    assert [e.outcome for e in audit_events(action="appointment.move")][-1] == "refused"
    empty = client.patch(
        f"/api/v1/young-people/{case.ref}/appointments/{ahead['id']}", json={}, headers=nurse.headers
    )
    assert empty.status_code == 422


def test_an_s17_over_a_real_mllp_socket_deletes_a_booking_and_withdraws_its_no_show(
    client: TestClient, case: Case, nurse: Person, camhs: Person, mailbox: Mailbox
) -> None:
    future = (utcnow() + timedelta(days=5)).strftime("%Y%m%d")
    with mllp_listener(allowed=frozenset({"RBT"})) as listener:
        sender = MllpClient(listener.port)
        # A no-show, then the clinic deletes that booking as made in error.
        assert msa(sender.send(siu("siu-s26-noshow.hl7", "MLLP1001")))[0] == "AA"
        run_worker()
        told = sorted(m["To"] for m in mailbox.wait_for(2))
        deleted = msa(sender.send(siu("siu-s17-delete.hl7", "MLLP1002")))
        assert deleted[:2] == ("AA", "MLLP1002")
        again = msa(sender.send(siu("siu-s17-delete.hl7", "MLLP1003")))  # resent under a new MSH-10
        assert again[0] == "AA" and "nothing changed" in again[2]
        # A booking still to come, deleted: cancelled, nobody told.
        ahead = {"APPT5001": "APPT5009", "PL1001": "PL1009", FIXTURE_DAY: future}
        assert msa(sender.send(siu("siu-s12-camhs-booking.hl7", "MLLP1004", **ahead)))[0] == "AA"
        assert msa(sender.send(siu("siu-s17-delete.hl7", "MLLP1005", **ahead)))[0] == "AA"
        # One liaison never had: accepted, nothing kept.
        unknown = msa(sender.send(siu("siu-s17-delete.hl7", "MLLP1006", APPT5001="APPT5077")))
        assert unknown[0] == "AA" and "nothing changed" in unknown[2]
        # A no-show without a start for an appointment liaison never had: AE pointing at SCH-11.
        no_start = {
            "APPT5001": "APPT5088",
            f"^^30^{recent()}093000^{recent()}100000": "",
            f"health^L|{recent()}093000": "health^L|",
        }
        ack = sender.send(siu("siu-s26-noshow.hl7", "MLLP1007", **no_start))
        sender.close()
    assert msa(ack)[0] == "AE" and "start time is missing" in msa(ack)[2]
    assert str(ack.segment("ERR")[2]) == "SCH^1^11" and str(ack["ERR.F3.R1.C1"]) == "101"
    run_worker()
    mails = withdrawals(mailbox.wait_for(4))
    assert sorted(m["To"] for m in mails) == told
    assert all("the clinic deleted the booking as made in error" in body_of(m) for m in mails)
    assert len(mailbox.wait_for(5, timeout=0.5)) == 4
    by_id = {
        a["external_id"]: a
        for a in client.get(f"/api/v1/young-people/{case.ref}/appointments", headers=nurse.headers).json()[
            "appointments"
        ]
    }
    assert (by_id["APPT5001"]["status"], by_id["APPT5009"]["status"]) == ("cancelled", "cancelled")
    assert "APPT5077" not in by_id and count("appointments") == 2
    assert missed(client, case, nurse)["in_window"]["total"] == 0
    [audited] = audit_events(action="missed_appointment.withdrawn")
    assert (audited.via, audited.actor_role, audited.detail["why"]) == ("mllp", "system", "booking_deleted")
