"""Chasing unacknowledged attendance alerts with time travel: the escalation job is called with a later
`now` (no sleeps) over the real database, real Redis and rq workers, and a real SMTP server."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Agency, Role
from schemas.settings import get_settings
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications import chase
from tests.integration.conftest import (
    Case,
    Mailbox,
    Person,
    World,
    attendance,
    audit_events,
    made_at,
    run_worker,
)
from worker import jobs

IDENTIFIERS = ("Alex", "Testperson", "9990000018", "999 000 0018", "2005-03-14", "RBT", "overdose")


class Ladder:
    """The people above the lead social worker: their team manager, the duty team, a safeguarding lead."""

    def __init__(self, world: World) -> None:
        world.team("CEC-DUTY", duty=True)
        self.manager = world.user("mgr", role=Role.team_manager, team="CEC-CSC", email="mgr@example.org")
        self.duty = world.user("duty1", role=Role.social_worker, team="CEC-DUTY", email="duty@example.org")
        self.lead = world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg@example.org")


@pytest.fixture
def ladder(world: World, case: Case) -> Ladder:
    return Ladder(world)


def _attend(client: TestClient, case: Case, source_id: str = "V0001") -> datetime:
    """Record an attendance and deliver its alerts; returns a time just before the alerts were made."""
    start = utcnow()
    accepted = client.post("/api/v1/attendances", json=attendance(source_id), headers=case.hospital.headers)
    assert accepted.status_code == 202, accepted.text
    run_worker()
    return start


def _escalate(at: datetime) -> int:
    taken = jobs.escalate(now=at)
    run_worker()
    return taken


def _candidates(at: datetime) -> list[int]:
    with session_scope() as session:
        return chase.candidates(session, now=at, settings=get_settings())


def _to(mailbox: Mailbox) -> list[str]:
    return [str(m["To"]) for m in mailbox.messages]


def _mine(client: TestClient, person: Person, kind: str | None = None) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/notifications", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return [n for n in answer.json() if n["recipient"] == person.username and kind in (None, n["kind"])]


def _escalations(client: TestClient, case: Case) -> list[str]:
    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers).json()
    return [e["summary"] for e in events["events"] if e["kind"] == "escalation"]


def _assert_ref_only(mail: Message, ref: str) -> None:
    whole = mail.as_string()
    assert ref in whole
    for identifier in IDENTIFIERS:
        assert identifier.lower() not in whole.lower(), identifier


def test_an_unacknowledged_alert_climbs_the_ladder_once(
    client: TestClient, case: Case, ladder: Ladder, mailbox: Mailbox
) -> None:
    t0 = _attend(client, case)
    assert _to(mailbox) == ["jo.smith@example.org"]
    [alert] = _mine(client, case.social_worker)
    assert (alert["escalation_level"], alert["escalated_at"], alert["escalation_steps"]) == (0, None, [])

    assert _escalate(t0 + timedelta(minutes=29)) == 0
    assert _escalate(t0 + timedelta(minutes=31)) == 1
    assert _to(mailbox) == ["jo.smith@example.org"] * 2
    reminder = mailbox.messages[1]
    assert "Reminder" in reminder["Subject"]
    text = reminder.get_payload(decode=True).decode()
    assert f"/alerts/acknowledge/{alert['id']}." in text  # its link acknowledges the alert
    assert _escalate(t0 + timedelta(minutes=31)) == 0  # a second run sends nothing twice
    assert _escalate(t0 + timedelta(minutes=119)) == 0
    assert _candidates(t0 + timedelta(minutes=119)) == []  # waiting alerts are not even loaded
    assert _candidates(t0 + timedelta(minutes=121)) == [alert["id"]]

    assert _escalate(t0 + timedelta(minutes=121)) == 1
    assert sorted(_to(mailbox)[2:]) == ["duty@example.org", "mgr@example.org"]
    assert _escalate(t0 + timedelta(minutes=122)) == 0

    assert _escalate(t0 + timedelta(minutes=241)) == 1
    assert _to(mailbox)[4:] == ["sg@example.org"]
    assert _escalate(t0 + timedelta(hours=10)) == 0
    assert len(mailbox.wait_for(6, timeout=0.3)) == 5

    for mail in mailbox.messages:
        _assert_ref_only(mail, case.ref)
    [alert] = _mine(client, case.social_worker, "attendance")
    assert alert["escalation_level"] == 3
    assert [s["step"] for s in alert["escalation_steps"]] == ["reminder", "team_manager", "safeguarding_lead"]
    assert alert["escalated_at"] == alert["escalation_steps"][-1]["at"]
    for contract_field in ("id", "attendance_id", "young_person_ref", "recipient", "status", "deliveries"):
        assert contract_field in alert
    [to_manager] = _mine(client, ladder.manager)
    assert (to_manager["kind"], to_manager["escalates_notification_id"]) == ("escalation", alert["id"])
    assert to_manager["recipient_role"] == "team_manager"
    assert [n["recipient_role"] for n in _mine(client, ladder.duty)] == ["duty"]
    assert [n["recipient_role"] for n in _mine(client, ladder.lead)] == ["safeguarding_lead"]

    # someone outside the care team sees none of it, and the refused read is audited
    assert client.get("/api/v1/notifications", headers=case.hospital.headers).json() == []
    refused = client.get(f"/api/v1/notifications/{to_manager['id']}", headers=case.hospital.headers)
    assert refused.status_code == 403
    assert audit_events(action="notification.read", outcome="denied", actor_username="hosp")

    summaries = _escalations(client, case)
    assert len(summaries) == 3
    assert "not acknowledged after 30 minutes: reminder sent" in summaries[0]
    assert "after 2 hours: told Mgr, Duty1 (nobody has acknowledged the attendance" in summaries[1]
    assert "after 4 hours: safeguarding lead told: " in summaries[2]
    escalated = audit_events(action="notification.escalated")
    assert [(e.via, e.young_person_ref, e.detail["step"]) for e in escalated] == [
        ("worker", case.ref, "reminder"),
        ("worker", case.ref, "team_manager"),
        ("worker", case.ref, "safeguarding_lead"),
    ]


@pytest.mark.parametrize("steps_before", [0, 1, 2])
def test_acknowledgement_at_any_point_stops_the_chase(
    client: TestClient, case: Case, ladder: Ladder, mailbox: Mailbox, steps_before: int
) -> None:
    t0 = _attend(client, case)
    times = [t0 + timedelta(minutes=m) for m in (31, 121, 241)]
    for at in times[:steps_before]:
        assert _escalate(at) == 1
    sent = len(mailbox.messages)
    [alert] = _mine(client, case.social_worker, "attendance")
    acked = client.post(
        f"/api/v1/notifications/{alert['id']}/acknowledge", headers=case.social_worker.headers
    )
    assert acked.status_code == 200
    for at in times:
        assert _escalate(at) == 0
    assert len(mailbox.wait_for(sent + 1, timeout=0.3)) == sent
    assert _mine(client, case.social_worker, "attendance")[0]["escalation_level"] == steps_before


def test_acknowledging_the_reminder_acknowledges_the_alert(
    client: TestClient, case: Case, ladder: Ladder, mailbox: Mailbox
) -> None:
    t0 = _attend(client, case)
    assert _escalate(t0 + timedelta(minutes=31)) == 1
    [reminder] = _mine(client, case.social_worker, "reminder")
    acked = client.post(
        f"/api/v1/notifications/{reminder['id']}/acknowledge", headers=case.social_worker.headers
    )
    assert acked.status_code == 200
    [alert] = _mine(client, case.social_worker, "attendance")
    assert (alert["status"], alert["acknowledged_by"]) == ("acknowledged", "jsmith")
    assert _escalate(t0 + timedelta(minutes=121)) == 0


def test_a_manager_acknowledging_the_escalation_stops_it_going_to_the_lead(
    client: TestClient, case: Case, ladder: Ladder, mailbox: Mailbox
) -> None:
    t0 = _attend(client, case)
    assert _escalate(t0 + timedelta(minutes=31)) == 1
    assert _escalate(t0 + timedelta(minutes=121)) == 1
    [escalation] = _mine(client, ladder.manager)
    acked = client.post(
        f"/api/v1/notifications/{escalation['id']}/acknowledge", headers=ladder.manager.headers
    )
    assert acked.status_code == 200
    assert _escalate(t0 + timedelta(minutes=241)) == 0
    assert "sg@example.org" not in _to(mailbox)


def test_chasing_is_per_recipient_the_gp_is_chased_after_the_social_worker_acknowledges(
    client: TestClient, case: Case, ladder: Ladder, world: World, mailbox: Mailbox
) -> None:
    world.team("GP-PRAC", agency=Agency.gp, la=None)
    gp = world.user("drgp", role=Role.clinician, team="GP-PRAC", email="gp@example.org")
    world.user("practicemgr", role=Role.team_manager, team="GP-PRAC", email="pm@example.org")
    added = client.post(
        f"/api/v1/young-people/{case.ref}/care-team",
        json={"username": "drgp", "role": "gp"},
        headers=case.lead.headers,
    )
    assert added.status_code == 201, added.text
    t0 = _attend(client, case)
    [social_worker_alert] = _mine(client, case.social_worker, "attendance")
    client.post(
        f"/api/v1/notifications/{social_worker_alert['id']}/acknowledge", headers=case.social_worker.headers
    )
    mailbox.messages.clear()

    assert _escalate(t0 + timedelta(minutes=31)) == 1
    assert _to(mailbox) == ["gp@example.org"]
    assert _escalate(t0 + timedelta(minutes=121)) == 1
    # the GP's practice manager; not the duty team, because the attendance has been taken on
    assert _to(mailbox)[1:] == ["pm@example.org"]
    body = mailbox.messages[1].get_payload(decode=True).decode()
    assert "A member of your team (the GP on the care team) has not acknowledged" in body
    assert _mine(client, gp, "attendance")[0]["escalation_level"] == 2


def test_an_alert_that_could_not_be_delivered_goes_over_their_head_at_once(
    client: TestClient, case: Case, ladder: Ladder, mailbox: Mailbox
) -> None:
    mailbox.refuse = "550 5.1.1 mailbox unavailable"
    t0 = _attend(client, case)
    assert _mine(client, case.social_worker, "attendance")[0]["status"] == "failed"
    mailbox.refuse = None

    assert _escalate(t0 + timedelta(minutes=1)) == 1  # no reminder to someone who cannot be reached
    assert sorted(_to(mailbox)) == ["duty@example.org", "mgr@example.org"]
    [alert] = _mine(client, case.social_worker, "attendance")
    assert [(s["step"], s["reason"]) for s in alert["escalation_steps"]] == [("team_manager", "unreachable")]
    assert "could not be delivered" in _escalations(client, case)[0]
    assert _escalate(t0 + timedelta(minutes=121)) == 0
    assert _escalate(t0 + timedelta(minutes=241)) == 1
    assert _to(mailbox)[2:] == ["sg@example.org"]


def test_with_nobody_above_them_the_lead_is_told_at_once(
    client: TestClient, case: Case, world: World, mailbox: Mailbox
) -> None:
    world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg@example.org")
    t0 = _attend(client, case)
    assert _escalate(t0 + timedelta(minutes=31)) == 1
    # no team manager and no duty team: that step reaches nobody, so the lead's step is due with it
    assert _escalate(t0 + timedelta(minutes=121)) == 2
    assert _to(mailbox)[2:] == ["sg@example.org"]
    summaries = _escalations(client, case)
    assert "no team manager or duty team to tell" in summaries[1]
    assert "last step reached nobody" in summaries[2]


def test_two_schedulers_at_once_take_each_step_once(
    client: TestClient, case: Case, ladder: Ladder, mailbox: Mailbox
) -> None:
    t0 = _attend(client, case)
    later = t0 + timedelta(minutes=121)  # reminder and team manager both due
    barrier = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        barrier.wait()
        results.append(jobs.escalate(now=later))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_worker()
    assert sum(results) == 2
    assert sorted(_to(mailbox)) == sorted(
        ["jo.smith@example.org", "jo.smith@example.org", "mgr@example.org", "duty@example.org"]
    )
    assert len(audit_events(action="notification.escalated")) == 2


# Saturday 21 November 2026, 23:00 GMT: nobody in the local authority's day teams is at work.
SATURDAY_NIGHT = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _addressed(mails: list[Message]) -> list[str]:
    return [str(m["To"]) for m in mails]


def _emergency_duty_team(world: World) -> Person:
    world.team("CEC-EDT", agency=Agency.emergency_duty, out_of_hours=True)
    return world.user("edt1", role=Role.social_worker, team="CEC-EDT", email="edt@example.org")


def test_an_attendance_at_23_00_on_a_saturday_escalates_at_2_hours_to_the_emergency_duty_team_as_well(
    client: TestClient, case: Case, ladder: Ladder, world: World, mailbox: Mailbox
) -> None:
    edt = _emergency_duty_team(world)
    t0 = made_at(SATURDAY_NIGHT, since=_attend(client, case))
    mailbox.messages.clear()

    assert _escalate(t0 + timedelta(minutes=31)) == 1  # the reminder: to the social worker only
    assert _addressed(mailbox.wait_for(1)) == ["jo.smith@example.org"]
    assert _escalate(t0 + timedelta(minutes=119)) == 0
    assert _escalate(t0 + timedelta(minutes=121)) == 1  # 01:01 on Sunday, on the wall clock
    assert sorted(_addressed(mailbox.wait_for(4))[1:]) == [
        "duty@example.org",
        "edt@example.org",
        "mgr@example.org",
    ]
    assert _escalate(t0 + timedelta(minutes=122)) == 0  # once
    [to_edt] = _mine(client, edt)
    assert (to_edt["kind"], to_edt["recipient_role"]) == ("escalation", "out_of_hours")
    [mail] = [m for m in mailbox.messages if m["To"] == "edt@example.org"]
    assert "As the out-of-hours (emergency duty)" in " ".join(mail.get_payload(decode=True).decode().split())
    _assert_ref_only(mail, case.ref)
    summaries = _escalations(client, case)
    assert "told Mgr, Edt1, Duty1" in summaries[1]
    assert "outside working hours: CEC's out-of-hours team told (Edt1)" in summaries[1]

    assert _escalate(t0 + timedelta(minutes=241)) == 1  # the safeguarding lead; the EDT is not told twice
    assert _addressed(mailbox.wait_for(5))[4:] == ["sg@example.org"]
    assert len(mailbox.wait_for(6, timeout=0.3)) == 5
    assert "CEC's out-of-hours team was told already" in _escalations(client, case)[2]
    assert len(_mine(client, edt)) == 1
    escalated = audit_events(action="notification.escalated")
    assert [e.detail["told"] for e in escalated] == [1, 3, 2]  # two safeguarding leads, not the EDT again


def test_in_working_hours_the_emergency_duty_team_is_not_told(
    client: TestClient, case: Case, ladder: Ladder, world: World, mailbox: Mailbox
) -> None:
    edt = _emergency_duty_team(world)
    t0 = made_at(TUESDAY_MORNING, since=_attend(client, case, "V0001"))
    assert _escalate(t0 + timedelta(minutes=121)) == 2  # 12:01 on a Tuesday: reminder, then managers
    assert _mine(client, edt) == []
    assert not any("out-of-hours" in s for s in _escalations(client, case))


def test_an_la_without_an_out_of_hours_team_escalates_as_before_and_the_chronology_says_so(
    client: TestClient, case: Case, ladder: Ladder, mailbox: Mailbox
) -> None:
    t0 = made_at(SATURDAY_NIGHT, since=_attend(client, case))
    mailbox.messages.clear()
    assert _escalate(t0 + timedelta(minutes=121)) == 2
    assert sorted(_addressed(mailbox.wait_for(3))) == [
        "duty@example.org",
        "jo.smith@example.org",
        "mgr@example.org",
    ]
    summaries = _escalations(client, case)
    assert "told Mgr, Duty1" in summaries[1]
    assert "outside working hours, and CEC has no out-of-hours team to tell" in summaries[1]
