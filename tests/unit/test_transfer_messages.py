"""Transfer notifications say what happened and link to the transfers, naming the young person by ref only
(and neither local authority: where a child now lives is for the authenticated record, not a mailbox)."""

from __future__ import annotations

import pytest

from schemas.enums import NotificationKind
from tests.unit.test_messages import IDENTIFIERS, every_rendering
from worker.messages import notification_message

REF = "YP-7KQ2M-9XW4T"
KINDS = [k for k in NotificationKind if k.startswith("transfer_")]


@pytest.mark.parametrize("kind", KINDS)
def test_transfer_notifications_carry_the_ref_only_and_link_to_the_transfers(kind: NotificationKind) -> None:
    message = notification_message(
        kind=str(kind),
        notification_id=42,
        young_person_ref=REF,
        public_base_url="https://liaison.example.org/",
    )
    assert message.subject == f"[liaison] {kind.label}: {REF} - please acknowledge"
    assert f"https://liaison.example.org/api/v1/young-people/{REF}/transfers\n" in message.text
    assert message.acknowledge_url.endswith("/api/v1/notifications/42/acknowledge")
    assert "/my-work, or with the bot's Acknowledge button" in message.text  # no "POST with a token"
    for where, rendered in every_rendering(message).items():
        assert REF in rendered, where
        for identifier in IDENTIFIERS:
            assert identifier.lower() not in rendered.lower(), (where, identifier)
        for la_code in ("CEC", "MAN"):  # LA codes are upper case; "manager" is fine
            assert la_code not in rendered, (where, la_code)


def test_there_is_a_message_for_each_step_of_a_transfer() -> None:
    assert sorted(KINDS) == [
        "transfer_accepted",
        "transfer_completed",
        "transfer_declined",
        "transfer_opened",
        "transfer_overdue",
        "transfer_withdrawn",
    ]
