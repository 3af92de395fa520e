"""Alerts name a young person by ref only; Telegram limits hold; NHS numbers are checked."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from schemas.nhs import InvalidNhsNumber, NhsNumber, check_nhs_number
from worker.channels.email import SmtpTransport
from worker.channels.telegram import TEXT_LIMIT, acknowledge_callback, alert_text
from worker.channels.webhook import body_for
from worker.messages import AlertMessage, attendance_alert, with_link

REF = "YP-7KQ2M-9XW4T"
# What the hospital and the register know and an alert must never carry.
IDENTIFIERS = [
    "Alex",
    "Testperson",
    "9990000018",
    "999 000 0018",
    "999-000-0018",
    "2005-03-14",
    "14/03/2005",
    "14 March 2005",
    "RBT",
    "overdose",
    "self harm",
    "self_harm",
]


def alert(notification_id: int = 12345, ref: str = REF) -> AlertMessage:
    return attendance_alert(
        notification_id=notification_id, young_person_ref=ref, public_base_url="https://liaison.example.org/"
    )


def every_rendering(message: AlertMessage) -> dict[str, str]:
    mail = SmtpTransport(host="h", port=25, sender="liaison@example.org").build(
        address="jo@example.org", message=message
    )
    return {
        "subject": message.subject,
        "text": message.text,
        "email": mail.as_string(),
        "webhook": body_for(message).decode(),
        "telegram": alert_text(message),
    }


@pytest.mark.parametrize("where", ["subject", "text", "email", "webhook", "telegram"])
def test_every_rendering_carries_the_ref_and_no_identifier(where: str) -> None:
    rendered = every_rendering(alert())[where]
    assert REF in rendered
    for identifier in IDENTIFIERS:
        assert identifier.lower() not in rendered.lower(), identifier


def test_the_message_links_to_the_acknowledgement_without_a_double_slash() -> None:
    message = alert()
    assert message.acknowledge_url == "https://liaison.example.org/api/v1/notifications/12345/acknowledge"
    assert "with your liaison token" not in message.text  # nobody can POST from a mail client
    assert "https://liaison.example.org/my-work" in message.text


LINK = "https://liaison.example.org/alerts/acknowledge/12345.7.1800000000.abc"


def test_an_email_or_webhook_carries_the_recipient_s_own_link_and_telegram_never_does() -> None:
    linked = with_link(alert(), link=LINK, public_base_url="https://liaison.example.org/")
    assert f"Acknowledge: {LINK}\n" in linked.text
    assert "/my-work" not in linked.text
    assert json.loads(body_for(linked))["acknowledge_link"] == LINK
    assert LINK not in alert_text(linked)
    mail = SmtpTransport(host="h", port=25, sender="liaison@example.org").build(
        address="jo@example.org", message=linked
    )
    assert LINK in mail.get_content()  # as a mail client reads it (a long line is quoted-printable)


def test_webhook_body_is_exactly_the_ref_ids_and_link() -> None:
    body = json.loads(body_for(alert()))
    assert body == {
        "type": "attendance.alert",
        "notification_id": 12345,
        "young_person_ref": REF,
        "acknowledge_url": "https://liaison.example.org/api/v1/notifications/12345/acknowledge",
    }


refs = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=32)
ids = st.integers(min_value=1, max_value=2**63 - 1)


@given(ref=refs, notification_id=ids)
def test_telegram_limits_hold_for_any_ref_and_id(ref: str, notification_id: int) -> None:
    message = alert(notification_id, ref)
    assert len(acknowledge_callback(notification_id).encode()) <= 64
    assert acknowledge_callback(notification_id) == f"ack:{notification_id}"
    text = alert_text(message)
    assert len(text) <= TEXT_LIMIT
    assert ref in text


def test_telegram_text_is_cut_to_the_limit() -> None:
    assert len(alert_text(alert(1, "Y" * 5000))) == TEXT_LIMIT


class Body(BaseModel):
    nhs_number: NhsNumber


@pytest.mark.parametrize(
    ("given_number", "digits"),
    [
        ("9990000018", "9990000018"),
        ("999 000 0018", "9990000018"),
        ("999-000-0026", "9990000026"),
        (" 9990000034 ", "9990000034"),
    ],
)
def test_valid_nhs_numbers_are_accepted_and_normalised(given_number: str, digits: str) -> None:
    assert Body(nhs_number=given_number).nhs_number == digits


@pytest.mark.parametrize(
    "bad",
    [
        "9990000010",
        "9990000019",
        "999000001",
        "99900000180",
        "999000001X",
        "",
        "abcdefghij",
        "999/000/0018",
        "９９９０００００１８",  # full-width digits: a second identity if kept
        "٩٩٩٠٠٠٠٠١٨",  # Arabic-Indic digits
    ],
)
def test_bad_nhs_numbers_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        Body(nhs_number=bad)
    with pytest.raises(InvalidNhsNumber):
        check_nhs_number(bad)


def test_check_digit_and_length_give_different_reasons() -> None:
    with pytest.raises(InvalidNhsNumber, match="check digit"):
        check_nhs_number("9990000019")
    with pytest.raises(InvalidNhsNumber, match="10 digits"):
        check_nhs_number("99900000")
