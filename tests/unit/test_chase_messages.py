"""Reminders and escalations of kinds other than attendance alerts: the kind's own words, the ref only, and
the right notification acknowledged."""

from __future__ import annotations

import pytest

from tests.unit.test_messages import IDENTIFIERS, REF, every_rendering
from worker.channels.telegram import acknowledge_callback
from worker.messages import AlertMessage, notification_message

BASE = "https://liaison.example.org"
KINDS = ["was_not_brought", "gateway", "transfer_opened", "repeat_attendance", "closure_proposed", "rescore"]


def original(kind: str) -> AlertMessage:
    return notification_message(kind=kind, notification_id=12, young_person_ref=REF, public_base_url=BASE)


def reminder(kind: str) -> AlertMessage:
    return notification_message(
        kind="reminder",
        notification_id=77,
        young_person_ref=REF,
        public_base_url=BASE,
        escalates_id=12,
        escalates_kind=kind,
    )


def escalation(kind: str, recipient_role: str, about_role: str = "lead social worker") -> AlertMessage:
    return notification_message(
        kind="escalation",
        notification_id=78,
        young_person_ref=REF,
        public_base_url=BASE,
        escalates_id=12,
        escalates_role=about_role,
        recipient_role=recipient_role,
        escalates_kind=kind,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_reminder_is_the_kinds_own_text_with_a_reminder_prefix(kind: str) -> None:
    first, again = original(kind), reminder(kind)
    assert again.subject == first.subject.replace("[liaison] ", "[liaison] Reminder - ")
    heading, _, body = first.text.partition("\n\n")
    assert again.text.startswith(f"Reminder - {heading}\n\n")
    assert "nobody has acknowledged it yet" in again.text
    assert again.text.endswith(body)  # what happened and what to do, word for word
    assert again.acknowledge_url == first.acknowledge_url == f"{BASE}/api/v1/notifications/12/acknowledge"
    assert acknowledge_callback(again.acknowledge_id) == "ack:12"
    assert (again.notification_id, again.kind) == (77, "reminder")


def test_a_reminder_of_an_attendance_alert_is_unchanged() -> None:
    assert (
        reminder("attendance").subject == f"[liaison] Reminder - acute attendance: {REF} - please acknowledge"
    )
    assert "attended an acute\nhospital setting" in reminder("attendance").text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("recipient_role", ["team_manager", "duty", "safeguarding_lead"])
def test_an_escalation_names_the_kind_and_acknowledges_itself(kind: str, recipient_role: str) -> None:
    title = original(kind).subject.removeprefix("[liaison] ").split(":")[0]
    message = escalation(kind, recipient_role)
    assert message.subject == f"[liaison] Escalation - {title} (not acknowledged): {REF}"
    assert f'A "{title}" notification about a young person ({REF}) has not been acknowledged.' in message.text
    assert "attended an acute hospital" not in message.text
    assert acknowledge_callback(message.acknowledge_id) == "ack:78"
    assert "(about notification 12)" in message.text


def test_each_reader_of_an_escalation_is_asked_for_their_part() -> None:
    assert (
        "A member of your team (the lead social worker on the care team)"
        in escalation("was_not_brought", "team_manager").text
    )
    assert "As the duty team" in escalation("was_not_brought", "duty").text
    # a safeguarding lead who was sent a repeat-attendance message is not "on the care team"
    lead = escalation("repeat_attendance", "safeguarding_lead", about_role="safeguarding lead")
    assert "It was sent to the safeguarding lead and is still not acknowledged" in lead.text


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["subject", "text", "email", "webhook", "telegram"])
def test_ref_only(kind: str, where: str) -> None:
    for message in (reminder(kind), escalation(kind, "team_manager"), escalation(kind, "duty")):
        rendered = every_rendering(message)[where]
        assert REF in rendered
        for identifier in IDENTIFIERS:
            assert identifier.lower() not in rendered.lower(), identifier
