"""Chasing notifications other than attendance alerts, each on its kind's ladder, with time travel: the
escalation job is called with a later `now` (no sleeps) over the real database, real Redis and rq
workers, and a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import Any

import pytest
from fastapi.testclient import TestClient

from schemas.enums import Role
from schemas.settings import get_settings
from services.kernel.clock import utcnow
from services.kernel.db import session_scope
from services.notifications import chase
from tests.integration.conftest import (
    Case,
    Mailbox,
    Person,
    World,
    add_care_coordinator,
    audit_events,
    default_answers,
    made_at,
    run_worker,
    start_and_answer,
)
from tests.integration.intake_helpers import hl7_fixture
from tests.integration.test_assessments import HIGH_ANSWERS
from tests.integration.test_missed_appointments import WNB, outcome, plan_with_missable_follow_ups
from worker import jobs

# A Tuesday morning (GMT): the working-time ladders count the same as the wall clock from here to Friday.
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
IDENTIFIERS = ("alex", "testperson", "9990000018", "2005-03-14", "car broke down", "transport", "rbt")
MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


class Ladder:
    """Above the lead social worker: their team manager, the duty team, a safeguarding lead with email."""

    def __init__(self, world: World) -> None:
        world.team("CEC-DUTY", duty=True)
        self.manager = world.user("mgr", role=Role.team_manager, team="CEC-CSC", email="mgr@example.org")
        self.duty = world.user("duty1", role=Role.social_worker, team="CEC-DUTY", email="duty@example.org")
        self.lead = world.user("sglead", role=Role.safeguarding_lead, team="CEC-SG", email="sg@example.org")


@pytest.fixture
def ladder(world: World, case: Case) -> Ladder:
    return Ladder(world)


@pytest.fixture
def nurse(client: TestClient, world: World, case: Case) -> Person:
    world.team("CEC-CAMHS")
    return add_care_coordinator(client, world, case)


def _escalate(at: datetime) -> int:
    taken = jobs.escalate(now=at)
    run_worker()
    return taken


def _candidates(at: datetime) -> list[int]:
    with session_scope() as session:
        return chase.candidates(session, now=at, settings=get_settings())


def _subject(mail: Message) -> str:
    return " ".join(str(mail["Subject"]).split())  # unfolded: long subjects are wrapped


def _to(mails: list[Message]) -> list[str]:
    return sorted(str(m["To"]) for m in mails)


def _mine(client: TestClient, person: Person, kind: str | None = None) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/notifications", headers=person.headers)
    assert answer.status_code == 200, answer.text
    return [n for n in answer.json() if n["recipient"] == person.username and kind in (None, n["kind"])]


def _ack(client: TestClient, person: Person, notification: dict[str, Any]) -> None:
    acked = client.post(f"/api/v1/notifications/{notification['id']}/acknowledge", headers=person.headers)
    assert acked.status_code == 200, acked.text


def _escalations(client: TestClient, case: Case) -> list[str]:
    events = client.get(f"/api/v1/young-people/{case.ref}/chronology", headers=case.lead.headers).json()
    return [e["summary"] for e in events["events"] if e["kind"] == "escalation"]


def _ref_only(mail: Message, ref: str) -> None:
    whole = mail.as_string()
    assert ref in whole
    for identifier in IDENTIFIERS:
        assert identifier not in whole.lower(), identifier


def _was_not_brought(client: TestClient, case: Case, nurse: Person, mailbox: Mailbox) -> datetime:
    """A follow-up missed, recorded as was not brought by the care coordinator; its messages delivered
    (to the lead social worker and the care coordinator) and the mailbox emptied. Returns a time just
    before the messages were made, on a Tuesday morning."""
    plan = plan_with_missable_follow_ups(client, case, nurse, [1])
    start = utcnow()
    recorded = outcome(client, nurse, case, plan, 0, WNB)
    assert recorded.status_code == 200, recorded.text
    run_worker()
    assert _to(mailbox.wait_for(2)) == ["jo.smith@example.org", "nurse@example.org"]
    mailbox.messages.clear()
    return made_at(TUESDAY, since=start)


def test_an_unacknowledged_was_not_brought_message_climbs_its_ladder_once(
    client: TestClient, case: Case, nurse: Person, ladder: Ladder, mailbox: Mailbox
) -> None:
    t0 = _was_not_brought(client, case, nurse, mailbox)
    [nurses] = _mine(client, nurse, "was_not_brought")
    _ack(client, nurse, nurses)  # she recorded it; the lead social worker's message is still chased
    [message] = _mine(client, case.social_worker, "was_not_brought")

    assert _escalate(t0 + 30 * MINUTE) == 0  # not the attendance ladder
    assert _escalate(t0 + 4 * HOUR - MINUTE) == 0
    assert _escalate(t0 + 4 * HOUR + MINUTE) == 1
    [reminder] = mailbox.wait_for(1)
    assert reminder["To"] == "jo.smith@example.org"
    assert _subject(reminder) == f"[liaison] Reminder - Was not brought: {case.ref} - please acknowledge"
    body = reminder.get_payload(decode=True).decode()
    assert body.startswith(f"Reminder - Was not brought: {case.ref}")
    assert "whether the child is safe" in body  # the was-not-brought message's own words
    assert f"/alerts/acknowledge/{message['id']}." in body  # its link acknowledges the message itself
    assert _escalate(t0 + 4 * HOUR + MINUTE) == 0  # a second run sends nothing twice
    assert _escalate(t0 + DAY - MINUTE) == 0
    assert _candidates(t0 + DAY - MINUTE) == []  # waiting messages are not even loaded

    assert _escalate(t0 + DAY + MINUTE) == 1
    # the team manager only: the care coordinator acknowledged the event, so the duty team is not needed
    assert _to(mailbox.messages[1:]) == ["mgr@example.org"]
    to_manager = mailbox.messages[1]
    assert _subject(to_manager) == f"[liaison] Escalation - Was not brought (not acknowledged): {case.ref}"
    assert "A member of your team (the lead social worker on the care team)" in to_manager.as_string()

    assert _escalate(t0 + 2 * DAY - MINUTE) == 0
    assert _escalate(t0 + 2 * DAY + MINUTE) == 1
    assert _to(mailbox.messages[2:]) == ["sg@example.org"]
    assert _escalate(t0 + 3 * DAY) == 0
    assert len(mailbox.wait_for(4, timeout=0.3)) == 3
    for mail in mailbox.messages:
        _ref_only(mail, case.ref)

    [message] = _mine(client, case.social_worker, "was_not_brought")
    assert message["escalation_level"] == 3
    assert [s["step"] for s in message["escalation_steps"]] == [
        "reminder",
        "team_manager",
        "safeguarding_lead",
    ]
    assert _mine(client, nurse, "was_not_brought")[0]["escalation_level"] == 0
    assert [n["escalates_notification_id"] for n in _mine(client, ladder.manager)] == [message["id"]]
    assert _mine(client, ladder.duty) == []

    summaries = _escalations(client, case)
    assert len(summaries) == 3
    assert summaries[0].startswith(
        "Was not brought to Jsmith (lead social worker) not acknowledged after 4 working hours"
    )
    assert "after 1 working day: told Mgr" in summaries[1] and "duty team" not in summaries[1]
    assert "after 2 working days: safeguarding lead told: " in summaries[2]
    escalated = audit_events(action="notification.escalated")
    assert [
        (e.via, e.young_person_ref, e.detail["notification_kind"], e.detail["step"]) for e in escalated
    ] == [
        ("worker", case.ref, "was_not_brought", "reminder"),
        ("worker", case.ref, "was_not_brought", "team_manager"),
        ("worker", case.ref, "was_not_brought", "safeguarding_lead"),
    ]


def test_when_nobody_acknowledges_the_miss_the_duty_team_is_told_once(
    client: TestClient, case: Case, nurse: Person, ladder: Ladder, mailbox: Mailbox
) -> None:
    t0 = _was_not_brought(client, case, nurse, mailbox)
    assert _escalate(t0 + 4 * HOUR + MINUTE) == 2  # each recipient reminded
    assert _to(mailbox.wait_for(2)) == ["jo.smith@example.org", "nurse@example.org"]
    assert _escalate(t0 + DAY + MINUTE) == 2  # each recipient's manager step
    # the lead social worker's manager, and the duty team once for the event (the nurse has no manager)
    assert _to(mailbox.wait_for(4)[2:]) == ["duty@example.org", "mgr@example.org"]
    assert len(mailbox.wait_for(5, timeout=0.3)) == 4
    [to_duty] = _mine(client, ladder.duty)
    assert (to_duty["kind"], to_duty["recipient_role"]) == ("escalation", "duty")
    assert "As the duty team" in mailbox.messages[2].as_string() + mailbox.messages[3].as_string()
    summaries = _escalations(client, case)
    assert all("(nobody told of it has acknowledged it: duty team included)" in s for s in summaries[2:])

    # the duty team takes on the message its escalation was about; the other is still chased (per recipient)
    _ack(client, ladder.duty, to_duty)
    assert _escalate(t0 + 2 * DAY + MINUTE) == 1
    assert "sg@example.org" in _to(mailbox.wait_for(5))


def test_a_miss_corrected_to_attended_is_not_chased(
    client: TestClient, case: Case, nurse: Person, ladder: Ladder, mailbox: Mailbox
) -> None:
    plan = plan_with_missable_follow_ups(client, case, nurse, [1])
    start = utcnow()
    assert outcome(client, nurse, case, plan, 0, WNB).status_code == 200
    run_worker()
    t0 = made_at(TUESDAY, since=start)  # working time: a weekend run would pass without chasing anything
    assert outcome(client, nurse, case, plan, 0, {"status": "attended"}).status_code == 200
    assert _escalate(t0 + 4 * HOUR + MINUTE) == 0
    assert _escalate(t0 + 3 * DAY) == 0
    # the two was-not-brought messages and the two telling their readers it was withdrawn: no reminders
    subjects = sorted(_subject(m).split(":")[0] for m in mailbox.wait_for(5, timeout=0.3))
    assert subjects == ["[liaison] Missed appointment withdrawn"] * 2 + ["[liaison] Was not brought"] * 2


def test_an_appointment_miss_is_chased_until_an_arrival_withdraws_it(
    client: TestClient,
    case: Case,
    nurse: Person,
    ladder: Ladder,
    mailbox: Mailbox,
) -> None:
    """Appointments' misses ("missed_appt:<id>" keys) are chased and settled like follow-ups' misses."""
    t0 = utcnow()
    ids = []
    for _ in range(2):
        booked = client.post(
            f"/api/v1/young-people/{case.ref}/appointments",
            json={"at": (t0 - DAY).isoformat(), "owner_team": "CEC-CAMHS", "kind": "camhs"},
            headers=nurse.headers,
        )
        assert booked.status_code == 201, booked.text
        ids.append(booked.json()["id"])

    def record(appointment_id: int, body: dict[str, Any]) -> None:
        answer = client.post(
            f"/api/v1/young-people/{case.ref}/appointments/{appointment_id}/outcome",
            json=body,
            headers=nurse.headers,
        )
        assert answer.status_code == 200, answer.text

    record(ids[0], WNB)
    record(ids[0], {"status": "attended"})  # withdrawn: no longer counted, so the next is no pattern
    record(ids[1], WNB)
    run_worker()
    assert len(mailbox.wait_for(6)) == 6  # two misses and a withdrawal, each to the same two people
    assert len(mailbox.wait_for(7, timeout=0.3)) == 6
    t0 = made_at(TUESDAY, since=t0)  # the was-not-brought ladder counts working time
    assert _escalate(t0 + 4 * HOUR + MINUTE) == 2  # only the standing miss's two messages are chased


@pytest.fixture
def chair(world: World, case: Case, monkeypatch: pytest.MonkeyPatch) -> Person:
    world.team("CEC-GW")
    monkeypatch.setenv("GATEWAY_CHAIRS", '{"CEC": ["chair"]}')
    return world.user("chair", role=Role.team_manager, team="CEC-GW", email="gateway.chair@example.org")


def _gateway_referral(client: TestClient, case: Case, nurse: Person, at: datetime = TUESDAY) -> datetime:
    """A HIGH needs assessment completed: the Gateway referral made (recorded as made `at`)."""
    assessment_id = start_and_answer(client, nurse, case.ref, default_answers(HIGH_ANSWERS))
    need = client.post(
        f"/api/v1/assessments/{assessment_id}/needs",
        json={
            "link_id": "c.need.family",
            "owning_team": "CEC-CSC",
            "action": "Carer's assessment",
            "due_date": "2026-12-15",
        },
        headers=nurse.headers,
    )
    assert need.status_code == 201, need.text
    start = utcnow()
    done = client.post(
        f"/api/v1/assessments/{assessment_id}/complete",
        json={"formulation": "Escalating after a placement move; protective: sister."},
        headers=nurse.headers,
    )
    assert done.status_code == 200, done.text
    assert [e["level"] for e in done.json()["escalations"]] == ["gateway"]
    run_worker()
    return made_at(at, since=start)


def test_an_acknowledged_gateway_referral_is_not_chased(
    client: TestClient, case: Case, nurse: Person, chair: Person, ladder: Ladder, mailbox: Mailbox
) -> None:
    t0 = _gateway_referral(client, case, nurse)
    assert _to(mailbox.wait_for(3)) == [
        "gateway.chair@example.org",
        "jo.smith@example.org",
        "nurse@example.org",
    ]
    mailbox.messages.clear()
    _ack(client, case.social_worker, _mine(client, case.social_worker, "gateway")[0])
    _ack(client, nurse, _mine(client, nurse, "gateway")[0])

    assert _escalate(t0 + 4 * HOUR) == 0
    assert _escalate(t0 + DAY - MINUTE) == 0
    assert _escalate(t0 + DAY + MINUTE) == 1  # the chair alone has not acknowledged: only the chair
    [reminder] = mailbox.wait_for(1)
    assert reminder["To"] == "gateway.chair@example.org"
    assert _subject(reminder) == f"[liaison] Reminder - Gateway referral: {case.ref} - please acknowledge"
    _ref_only(reminder, case.ref)
    _ack(client, chair, _mine(client, chair, "reminder")[0])  # acknowledges the referral it repeats

    for at in (t0 + 2 * DAY + MINUTE, t0 + 3 * DAY + MINUTE):
        assert _escalate(at) == 0
        assert _candidates(at) == []
    assert len(mailbox.wait_for(2, timeout=0.3)) == 1
    levels = {
        p.username: _mine(client, p, "gateway")[0]["escalation_level"] for p in (case.social_worker, nurse)
    }
    assert levels == {"jsmith": 0, "nurse": 0}
    assert _mine(client, chair, "gateway")[0]["status"] == "acknowledged"


def test_an_attendance_cancellation_is_never_chased(
    client: TestClient, case: Case, world: World, ladder: Ladder, mailbox: Mailbox
) -> None:
    edsys = world.user("edsys", role=Role.integration, team="RBT-LIA")
    headers = {**edsys.headers, "content-type": "x-application/hl7-v2+er7"}
    t0 = utcnow()
    for fixture in ("a04-ed-attendance.hl7", "a11-cancel-attendance.hl7"):
        sent = client.post("/api/v1/hl7/v2", content=hl7_fixture(fixture), headers=headers)
        assert sent.status_code == 200 and "MSA|AA" in sent.text, sent.text
    run_worker()
    assert len(mailbox.wait_for(2)) == 2
    [cancelled] = _mine(client, case.social_worker, "attendance_cancelled")
    assert cancelled["acknowledged_at"] is None  # nobody acknowledges it, and nobody is chased about it

    for at in (t0 + 31 * MINUTE, t0 + 4 * HOUR + MINUTE, t0 + 3 * DAY + MINUTE):
        assert cancelled["id"] not in _candidates(at)
        assert _escalate(at) == 0
    assert len(mailbox.wait_for(3, timeout=0.3)) == 2
    assert _mine(client, case.social_worker, "attendance_cancelled")[0]["escalation_level"] == 0
    assert _escalations(client, case) == []


def test_a_gateway_chase_due_over_the_easter_weekend_waits_for_the_next_working_day(
    client: TestClient, case: Case, nurse: Person, chair: Person, ladder: Ladder, mailbox: Mailbox
) -> None:
    maundy_thursday = datetime(2026, 4, 2, 14, 0, tzinfo=UTC)  # 15:00 BST
    _gateway_referral(client, case, nurse, at=maundy_thursday)
    mailbox.wait_for(3)
    mailbox.messages.clear()

    for at in (
        datetime(2026, 4, 3, 14, 1, tzinfo=UTC),  # Good Friday: a day on the wall clock, not a working day
        datetime(2026, 4, 6, 14, 1, tzinfo=UTC),  # Easter Monday
        datetime(2026, 4, 7, 13, 59, tzinfo=UTC),  # Tuesday, just before a working day has passed
    ):
        assert _candidates(at) == []  # not even loaded
        assert _escalate(at) == 0
    assert _escalate(datetime(2026, 4, 7, 14, 1, tzinfo=UTC)) == 3  # each recipient reminded
    assert _to(mailbox.wait_for(3)) == [
        "gateway.chair@example.org",
        "jo.smith@example.org",
        "nurse@example.org",
    ]
    assert _escalate(datetime(2026, 4, 8, 13, 59, tzinfo=UTC)) == 0
    assert _escalate(datetime(2026, 4, 8, 14, 1, tzinfo=UTC)) >= 1  # the team-manager step, a working day on
    summaries = _escalations(client, case)
    assert "Gateway referral to Jsmith (lead social worker) not acknowledged after 1 working day" in " ".join(
        summaries
    )
    assert any("after 2 working days: told Mgr" in s for s in summaries)
    assert not any("out-of-hours" in s for s in summaries)  # only attendance alerts go to the EDT
