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
    kind: str = "attendance"


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


# What each other kind of notification asks of its reader: (subject, what happened, what to do).
_OTHER_KINDS = {
    "gateway": (
        "Gateway referral",
        "A needs assessment shows a HIGH likelihood of Tier 4 admission, placement breakdown or custody,\n"
        "and a Gateway (Level 1) referral has been made.",
        "Please acknowledge, then read the assessment, its explanation and the risk formulation in liaison\n"
        "before the Gateway meeting. Check whether a Care, Education and Treatment Review is prompted.",
    ),
    "resolution": (
        "Resolution request",
        "A Gateway referral has been raised to a Resolution (Level 2) request.",
        "Please acknowledge, then read the reason and the assessment in liaison.",
    ),
    "need_overdue": (
        "Unmet need overdue",
        "An action on the unmet-needs register is past its due date.",
        "Please acknowledge, then check the register in liaison with the owning team.",
    ),
    "attendance_cancelled": (
        "Attendance cancelled",
        "The hospital has cancelled an attendance you were alerted about (recorded in error, or the\n"
        "visit did not go ahead).",
        "Please acknowledge, then check the chronology in liaison; no action is needed for that visit.",
    ),
    "rescore": (
        "Re-score the needs assessment",
        "Something has changed (an attendance, a move, a review, or the last assessment is old).",
        "Please acknowledge, then review and re-score the needs assessment in liaison.",
    ),
}


def notification_message(
    *, kind: str, notification_id: int, young_person_ref: str, public_base_url: str
) -> AlertMessage:
    """The message for any kind of notification; like every alert it names the young person by ref only."""
    if kind not in _OTHER_KINDS:
        return attendance_alert(
            notification_id=notification_id,
            young_person_ref=young_person_ref,
            public_base_url=public_base_url,
        )
    title, happened, asked = _OTHER_KINDS[kind]
    base = public_base_url.rstrip("/")
    acknowledge_url = f"{base}/api/v1/notifications/{notification_id}/acknowledge"
    text = (
        f"{title}: {young_person_ref}\n"
        "\n"
        f"About a young person on your caseload ({young_person_ref}).\n"
        f"{happened}\n"
        f"{asked}\n"
        "\n"
        f"Notification number: {notification_id}\n"
        f"Acknowledge: POST {acknowledge_url} (with your liaison token), or press Acknowledge in the bot.\n"
        f"Assessments: {base}/api/v1/young-people/{young_person_ref}/assessments\n"
    )
    return AlertMessage(
        notification_id=notification_id,
        young_person_ref=young_person_ref,
        subject=f"[liaison] {title}: {young_person_ref} - please acknowledge",
        text=text,
        acknowledge_url=acknowledge_url,
        kind=kind,
    )
