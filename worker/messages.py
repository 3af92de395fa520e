"""What an alert says. Chats and mailboxes are outside NHS control, so an alert names the young person by
the opaque case `ref` only: no name, NHS number, birth date, address, site or clinical detail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AlertMessage:
    notification_id: int
    young_person_ref: str
    subject: str
    text: str
    acknowledge_url: str


def attendance_alert(*, notification_id: int, young_person_ref: str, public_base_url: str) -> AlertMessage:
    base = public_base_url.rstrip("/")
    acknowledge_url = f"{base}/api/v1/notifications/{notification_id}/acknowledge"
    text = (
        f"Acute hospital attendance: {young_person_ref}\n"
        "\n"
        f"A young person on your caseload ({young_person_ref}) has attended an acute hospital setting.\n"
        "Please acknowledge this alert so the hospital and the care team know it has been received,\n"
        "then review the chronology and the discharge plan in liaison.\n"
        "\n"
        f"Alert number: {notification_id}\n"
        f"Acknowledge: POST {acknowledge_url} (with your liaison token), or press Acknowledge in the bot.\n"
        f"Chronology: {base}/api/v1/young-people/{young_person_ref}/chronology\n"
    )
    return AlertMessage(
        notification_id=notification_id,
        young_person_ref=young_person_ref,
        subject=f"[liaison] Acute attendance: {young_person_ref} - please acknowledge",
        text=text,
        acknowledge_url=acknowledge_url,
    )
