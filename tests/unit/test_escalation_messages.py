"""Reminders and escalations name the young person by ref only; a reminder's button acknowledges the
alert it repeats, an escalation's the escalation itself."""

from __future__ import annotations

import pytest

from tests.unit.test_messages import IDENTIFIERS, REF, every_rendering
from worker.channels.telegram import acknowledge_callback
from worker.messages import AlertMessage, notification_message

BASE = "https://liaison.example.org"


def reminder() -> AlertMessage:
    return notification_message(
        kind="reminder", notification_id=77, young_person_ref=REF, public_base_url=BASE, escalates_id=12
    )


def escalation(recipient_role: str) -> AlertMessage:
    return notification_message(
        kind="escalation",
        notification_id=78,
        young_person_ref=REF,
        public_base_url=BASE,
        escalates_id=12,
        escalates_role="GP",
        recipient_role=recipient_role,
    )


MESSAGES = {
    "reminder": reminder(),
    "manager": escalation("team_manager"),
    "duty": escalation("duty"),
    "lead": escalation("safeguarding_lead"),
}


@pytest.mark.parametrize("name", MESSAGES)
@pytest.mark.parametrize("where", ["subject", "text", "email", "webhook", "telegram"])
def test_ref_only(name: str, where: str) -> None:
    rendered = every_rendering(MESSAGES[name])[where]
    assert REF in rendered
    for identifier in IDENTIFIERS:
        assert identifier.lower() not in rendered.lower(), identifier


def test_a_reminder_acknowledges_the_alert_it_repeats() -> None:
    message = reminder()
    assert message.acknowledge_url == f"{BASE}/api/v1/notifications/12/acknowledge"
    assert acknowledge_callback(message.acknowledge_id) == "ack:12"
    assert message.subject.startswith("[liaison] Reminder")


def test_an_escalation_acknowledges_itself_and_asks_each_reader_for_their_part() -> None:
    assert acknowledge_callback(MESSAGES["manager"].acknowledge_id) == "ack:78"
    assert "A member of your team (the GP on the care team)" in MESSAGES["manager"].text
    assert "As the duty team" in MESSAGES["duty"].text
    assert "The alert to the GP on the care team is still not acknowledged" in MESSAGES["lead"].text
