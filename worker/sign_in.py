"""The web front end's sign-in email: one job a link, sent by the email channel's own transport. The link
is the only thing of value in it; the job keeps nothing (result_ttl 0) and a failed send is not retried:
the person asks for another link."""

from __future__ import annotations

from email.utils import make_msgid

from schemas.enums import Channel
from schemas.settings import get_settings
from worker.channels.registry import transport_for
from worker.messages import AlertMessage


def sign_in_message(*, link: str, minutes: int, domain: str) -> AlertMessage:
    text = (
        "Sign in to liaison\n"
        "\n"
        "Someone (we hope you) asked to sign in to liaison with this email address. To sign in, open:\n"
        f"{link}\n"
        "\n"
        f"The link works once, for {minutes} minutes. If you did not ask for it, you can ignore this email.\n"
    )
    return AlertMessage(
        notification_id=0,
        young_person_ref="",
        subject="[liaison] Your sign-in link",
        text=text,
        acknowledge_url="",
        kind="sign_in",
        message_id=make_msgid("liaison-sign-in", domain=domain),
    )


def send_link(address: str, link: str, minutes: int) -> str:
    settings = get_settings()
    domain = settings.email_from.rpartition("@")[2] or "liaison.local"
    message = sign_in_message(link=link, minutes=minutes, domain=domain)
    transport_for(Channel.email, settings).send(address=address, message=message)
    return "sent"
