"""Plan notifications say what happened and where to go, naming the young person by ref only."""

from __future__ import annotations

import pytest

from worker.messages import notification_message

REF = "YP-7KQ2M-9XW4T"


@pytest.mark.parametrize(
    ("kind", "subject", "link"),
    [
        ("plan_issued", "Discharge plan issued", f"/api/v1/young-people/{REF}/plans"),
        ("plan_review_due", "Care plan review due", f"/api/v1/young-people/{REF}/care-plan"),
        ("rescore", "Re-score the needs assessment", f"/api/v1/young-people/{REF}/assessments"),
    ],
)
def test_plan_notifications_name_the_ref_and_link_to_the_plan(kind: str, subject: str, link: str) -> None:
    message = notification_message(
        kind=kind, notification_id=42, young_person_ref=REF, public_base_url="https://liaison.example.org/"
    )
    assert message.subject == f"[liaison] {subject}: {REF} - please acknowledge"
    assert f"https://liaison.example.org{link}\n" in message.text
    assert message.acknowledge_url.endswith("/api/v1/notifications/42/acknowledge")
    assert "/my-work, or with the bot's Acknowledge button" in message.text  # no "POST with a token"
    assert message.kind == kind
