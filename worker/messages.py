"""What an alert says. Chats and mailboxes are outside NHS control, so an alert names the young person by
the opaque case `ref` only: no name, NHS number, birth date, address, site or clinical detail."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from schemas.enums import CareTeamRole, NotificationKind, WithdrawalWhy
from schemas.kinds import entry

ATTENDANCE = NotificationKind.attendance


def _ack_line(base: str) -> str:
    """How to acknowledge without a link of one's own: the web front end's My work, or the bot."""
    return f"Acknowledge: in liaison at {base}/my-work, or with the bot's Acknowledge button.\n"


def with_link(message: AlertMessage, *, link: str, public_base_url: str) -> AlertMessage:
    """The message with the recipient's own Acknowledge link (an email or a webhook)."""
    line = f"Acknowledge: {link}\n(opens a page with one Acknowledge button; no sign-in needed)\n"
    text = message.text.replace(_ack_line(public_base_url.rstrip("/")), line)
    return dataclasses.replace(message, text=text, acknowledge_link=link)


@dataclass(frozen=True)
class AlertMessage:
    notification_id: int
    young_person_ref: str
    subject: str
    text: str
    acknowledge_url: str
    kind: str = "attendance"
    acknowledges: int | None = None  # the notification the Acknowledge button acknowledges, if not this one
    # The recipient's own signed, expiring Acknowledge page (services/notifications/links.py): in emails and
    # webhooks only, never in a Telegram push (which has its own button).
    acknowledge_link: str | None = None
    message_id: str | None = None  # an email's Message-ID when not the notification's own (a sign-in link)

    @property
    def acknowledge_id(self) -> int:
        return self.acknowledges if self.acknowledges is not None else self.notification_id


def attendance_alert(*, notification_id: int, young_person_ref: str, public_base_url: str) -> AlertMessage:
    """An attendance alert has its own layout (its heading says where the young person is: an acute
    setting, now); its words are its entry's (`schemas/kinds.py`)."""
    words = entry(ATTENDANCE)
    base = public_base_url.rstrip("/")
    acknowledge_url = f"{base}/api/v1/notifications/{notification_id}/acknowledge"
    text = (
        f"Acute hospital attendance: {young_person_ref}\n"
        "\n"
        f"{words.happened.replace('{ref}', young_person_ref)}\n"
        f"{words.asked}\n"
        "\n"
        f"Alert number: {notification_id}\n"
        f"{_ack_line(base)}"
        f"Chronology: {base}/young-people/{young_person_ref}/chronology\n"
    )
    return AlertMessage(
        notification_id=notification_id,
        young_person_ref=young_person_ref,
        subject=f"[liaison] Acute attendance: {young_person_ref} - please acknowledge",
        text=text,
        acknowledge_url=acknowledge_url,
    )


NOT_YET = f"{entry(NotificationKind.reminder).happened} {entry(NotificationKind.reminder).asked}"


def reminder(
    *,
    notification_id: int,
    alert_id: int,
    young_person_ref: str,
    public_base_url: str,
    kind: str = "attendance",
) -> AlertMessage:
    """The alert again; its Acknowledge acknowledges the alert itself. For a kind other than an attendance
    alert: that kind's own text, with a "Reminder" prefix."""
    if kind != ATTENDANCE:
        original = _kind_message(
            kind, notification_id=alert_id, young_person_ref=young_person_ref, public_base_url=public_base_url
        )
        heading, _, rest = original.text.partition("\n\n")
        return AlertMessage(
            notification_id=notification_id,
            young_person_ref=young_person_ref,
            subject=original.subject.replace("[liaison] ", "[liaison] Reminder - ", 1),
            text=f"Reminder - {heading}\n\n{NOT_YET}\n\n{rest}",
            acknowledge_url=original.acknowledge_url,
            kind="reminder",
            acknowledges=alert_id,
        )
    base = public_base_url.rstrip("/")
    acknowledge_url = f"{base}/api/v1/notifications/{alert_id}/acknowledge"
    text = (
        f"Reminder - acute hospital attendance: {young_person_ref}\n"
        "\n"
        f"You were alerted that a young person on your caseload ({young_person_ref}) has attended an acute\n"
        "hospital setting, and nobody has acknowledged that alert yet. Please acknowledge it now; if it is\n"
        "not acknowledged, your team manager will be told.\n"
        "\n"
        f"Alert number: {alert_id}\n"
        f"{_ack_line(base)}"
        f"Chronology: {base}/young-people/{young_person_ref}/chronology\n"
    )
    return AlertMessage(
        notification_id=notification_id,
        young_person_ref=young_person_ref,
        subject=f"[liaison] Reminder - acute attendance: {young_person_ref} - please acknowledge",
        text=text,
        acknowledge_url=acknowledge_url,
        kind="reminder",
        acknowledges=alert_id,
    )


# Roles of people who are told without being on the care team: "the safeguarding lead", not "the
# safeguarding lead on the care team".
_NOT_MEMBERS = {"duty team", "out-of-hours duty team", "gateway chair", "team manager", "safeguarding lead"}
_OUT_OF_HOURS_ASK = (
    "It is outside working hours and nobody has acknowledged it. As the out-of-hours (emergency duty)\n"
    "team, please decide whether it needs action before the morning, then acknowledge this escalation."
)


def _whom(about_role: str) -> str:
    return f"the {about_role}" if about_role in _NOT_MEMBERS else f"the {about_role} on the care team"


def _other_escalation_ask(recipient_role: str | None, about_role: str) -> str:
    match recipient_role:
        case "out_of_hours":
            return _OUT_OF_HOURS_ASK
        case "duty":
            return (
                "Nobody told of it has acknowledged it. As the duty team, please make sure someone picks\n"
                "this up today, then acknowledge this escalation."
            )
        case "safeguarding_lead":
            return (
                f"It was sent to {_whom(about_role)} and is still not acknowledged after a reminder and\n"
                "their team manager. Please check the care team is right and can be reached, make sure it\n"
                "is picked up, then acknowledge this escalation."
            )
        case _:
            return (
                f"A member of your team ({_whom(about_role)}) has not acknowledged it. Please make sure it\n"
                "is picked up, then acknowledge this escalation."
            )


def _escalation_ask(recipient_role: str | None, about_role: str) -> str:
    match recipient_role:
        case "out_of_hours":
            return _OUT_OF_HOURS_ASK
        case "duty":
            return (
                "Nobody has acknowledged the attendance alerts sent to the care team. As the duty team,\n"
                "please make sure someone picks this up today, then acknowledge this escalation."
            )
        case "safeguarding_lead":
            return (
                f"The alert to the {about_role} on the care team is still not acknowledged after a reminder\n"
                "and their team manager. Please check the care team is right and can be reached, make sure\n"
                "the alert is picked up, then acknowledge this escalation."
            )
        case _:
            return (
                f"A member of your team (the {about_role} on the care team) has not acknowledged an\n"
                "attendance alert. Please make sure it is picked up, then acknowledge this escalation."
            )


def escalation(
    *,
    notification_id: int,
    alert_id: int,
    young_person_ref: str,
    public_base_url: str,
    recipient_role: str | None,
    about_role: str,
    about_kind: str = "attendance",
) -> AlertMessage:
    """To a team manager, a duty team or a safeguarding lead: acknowledging it says "I have taken it on"
    and stops the chase of the alert."""
    base = public_base_url.rstrip("/")
    acknowledge_url = f"{base}/api/v1/notifications/{notification_id}/acknowledge"
    if about_kind != ATTENDANCE:
        title = entry(about_kind).label
        link_name, link_path = entry(about_kind).link
        text = (
            f"{title} (not acknowledged): {young_person_ref}\n"
            "\n"
            f'A "{title}" notification about a young person ({young_person_ref}) has not been acknowledged.\n'
            f"{_other_escalation_ask(recipient_role, about_role)}\n"
            "\n"
            f"Escalation number: {notification_id} (about notification {alert_id})\n"
            f"{_ack_line(base)}"
            f"{link_name}: {base}/api/v1/young-people/{young_person_ref}/{link_path}\n"
        )
        return AlertMessage(
            notification_id=notification_id,
            young_person_ref=young_person_ref,
            subject=f"[liaison] Escalation - {title} (not acknowledged): {young_person_ref}",
            text=text,
            acknowledge_url=acknowledge_url,
            kind="escalation",
        )
    text = (
        f"Unacknowledged attendance alert: {young_person_ref}\n"
        "\n"
        f"A young person ({young_person_ref}) has attended an acute hospital setting.\n"
        f"{_escalation_ask(recipient_role, about_role)}\n"
        "\n"
        f"Escalation number: {notification_id} (about alert {alert_id})\n"
        f"{_ack_line(base)}"
        f"Chronology: {base}/young-people/{young_person_ref}/chronology\n"
    )
    return AlertMessage(
        notification_id=notification_id,
        young_person_ref=young_person_ref,
        subject=f"[liaison] Escalation - unacknowledged attendance alert: {young_person_ref}",
        text=text,
        acknowledge_url=acknowledge_url,
        kind="escalation",
    )


def notification_message(
    *,
    kind: str,
    notification_id: int,
    young_person_ref: str,
    public_base_url: str,
    escalates_id: int | None = None,
    escalates_role: str | None = None,
    recipient_role: str | None = None,
    escalates_kind: str | None = None,
    detail: str | None = None,
) -> AlertMessage:
    """The message for any kind of notification; like every alert it names the young person by ref only.
    A reminder or escalation is worded for the kind of the alert it chases (`escalates_kind`); `detail` is
    the fixed code some kinds are worded by (a withdrawn miss: `WithdrawalWhy`)."""
    if kind == "reminder" and escalates_id is not None:
        return reminder(
            notification_id=notification_id,
            alert_id=escalates_id,
            young_person_ref=young_person_ref,
            public_base_url=public_base_url,
            kind=escalates_kind or "attendance",
        )
    if kind == "escalation" and escalates_id is not None:
        return escalation(
            notification_id=notification_id,
            alert_id=escalates_id,
            young_person_ref=young_person_ref,
            public_base_url=public_base_url,
            recipient_role=recipient_role,
            about_role=escalates_role or "professional",
            about_kind=escalates_kind or "attendance",
        )
    return _kind_message(
        kind,
        notification_id=notification_id,
        young_person_ref=young_person_ref,
        public_base_url=public_base_url,
        detail=detail,
    )


def _why(kind: str, detail: str | None) -> str:
    """The reason line of a kind worded by its detail code ("" when it has none)."""
    if kind == "member_left":
        try:
            return f"Why: the person who left was the young person's {CareTeamRole(detail or '').label}.\n"
        except ValueError:
            return ""
    if kind != "missed_appointment_withdrawn":
        return ""
    try:
        return f"Why: {WithdrawalWhy(detail or '').words}.\n"
    except ValueError:
        return "Why: the outcome was changed in liaison.\n"


def _kind_message(
    kind: str, *, notification_id: int, young_person_ref: str, public_base_url: str, detail: str | None = None
) -> AlertMessage:
    """The message of one kind, worded by its entry in `schemas/kinds.py` (a string naming no kind is
    refused: it never gets another kind's words)."""
    if kind == ATTENDANCE:
        return attendance_alert(
            notification_id=notification_id,
            young_person_ref=young_person_ref,
            public_base_url=public_base_url,
        )
    words = entry(kind)
    title, happened, asked = words.label, words.happened.replace("{ref}", young_person_ref), words.asked
    link_name, link_path = words.link
    base = public_base_url.rstrip("/")
    acknowledge_url = f"{base}/api/v1/notifications/{notification_id}/acknowledge"
    text = (
        f"{title}: {young_person_ref}\n"
        "\n"
        f"About a young person on your caseload ({young_person_ref}).\n"
        f"{happened}\n"
        f"{_why(kind, detail)}"
        f"{asked}\n"
        "\n"
        f"Notification number: {notification_id}\n"
        f"{_ack_line(base)}"
        f"{link_name}: {base}/api/v1/young-people/{young_person_ref}/{link_path}\n"
    )
    return AlertMessage(
        notification_id=notification_id,
        young_person_ref=young_person_ref,
        subject=f"[liaison] {title}: {young_person_ref} - please acknowledge",
        text=text,
        acknowledge_url=acknowledge_url,
        kind=kind,
    )
