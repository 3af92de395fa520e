"""Missed-appointment notifications say what happened and what to do, naming the young person by ref only."""

from __future__ import annotations

import pytest

from schemas.enums import NotificationKind
from worker.messages import notification_message

REF = "YP-7KQ2M-9XW4T"


@pytest.mark.parametrize(
    ("kind", "subject", "asks"),
    [
        ("was_not_brought", "Was not brought", "find out why and whether the child is safe"),
        ("did_not_attend", "Did not attend", "explore what got in the way"),
        ("missed_appointments", "Repeated missed appointments", "without a multi-agency\ndiscussion"),
    ],
)
def test_missed_appointment_messages_link_to_the_missed_appointments(
    kind: str, subject: str, asks: str
) -> None:
    message = notification_message(
        kind=kind, notification_id=42, young_person_ref=REF, public_base_url="https://liaison.example.org/"
    )
    assert message.subject == f"[liaison] {subject}: {REF} - please acknowledge"
    assert f"https://liaison.example.org/api/v1/young-people/{REF}/missed-appointments\n" in message.text
    assert asks in message.text
    assert message.acknowledge_url.endswith("/api/v1/notifications/42/acknowledge")
    assert "/my-work, or with the bot's Acknowledge button" in message.text  # no "POST with a token"
    assert NotificationKind(kind).label == subject
