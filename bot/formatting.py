"""What the bot says: pure functions from API answers (their `schemas.api` models) to message text. No I/O.

Chat detail (CHAT_DETAIL): `minimal` (the default) puts only the case ref, counts, statuses, dates and
levels in an answer; never a name, NHS number, birth date, address or clinical free text. `named` also
puts the young person's name in a /case or /plan answer to a user the API lets read the record. Neither
mode ever shows the NHS number, birth date, answers' free text or the risk formulation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from schemas.api.assessments import AssessmentRead, ResultRead
from schemas.api.notifications import NotificationRead, PendingAlerts
from schemas.api.people import YoungPersonRead
from schemas.checklists import Item, ItemType
from schemas.enums import AssessmentStatus, NotificationKind

ChatDetail = Literal["minimal", "named"]

NOT_LINKED = (
    "This chat is not linked to a liaison account. Send /start followed by the link code you were given."
)
PRIVATE_ONLY = "liaison works in private chats only."
HELP = (
    "liaison commands:\n"
    "/pending: your alerts not yet acknowledged\n"
    "/case REF: a summary of a young person in your care teams\n"
    "/plan REF: their discharge plan (readiness, who is named, follow-ups), care plan and safety plan\n"
    "/appointments REF: record what happened at an appointment or follow-up (attended, cancelled, "
    "was not brought, did not attend with the capacity check)\n"
    "/assess REF: answer the needs assessment checklist, one question at a time "
    "(/skip a question, /stop to pause; answers are saved as you go)\n"
    "/discharge REF: work the discharge plan's checklist item by item, then issue it\n"
    "/transfer REF: tick the transfer handover checklist; accept, decline or complete it\n"
    "/chronology REF [N]: the last N events (default 10), with a button for older ones\n"
    "/help: this list\n"
    "Press Acknowledge under an alert to take it on."
)
LEVEL_NOTE = (
    "The level directs support. It does not measure suicide or self-harm and does not decide treatment or "
    "discharge: read it with the formulation."
)


def when(value: datetime | None) -> str:
    """An API timestamp as people read it: '28 Nov 2026 09:25 UTC' (a value without an offset is UTC)."""
    if value is None:
        return "-"
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return moment.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")


def kind_label(kind: NotificationKind) -> str:
    return kind.label


def mine_unacknowledged(notifications: list[NotificationRead], username: str) -> list[NotificationRead]:
    return [n for n in notifications if n.recipient == username and n.acknowledged_at is None]


def pending_text(page: PendingAlerts) -> str:
    """/pending: the caller's own notifications not yet acknowledged, as the API lists them (oldest first),
    and how many more there are beyond the page."""
    if page.total == 0:
        return "Nothing waiting: every alert sent to you is acknowledged."
    lines = [f"Not yet acknowledged ({page.total}):"]
    lines += [
        f"- {kind_label(n.kind)}: {n.young_person_ref}, {when(n.created_at)}" for n in page.notifications
    ]
    more = page.total - len(page.notifications)
    if more > 0:
        lines.append(f"- and {more} more in liaison")
    lines.append("Press Acknowledge under each alert, or see /case REF.")
    return "\n".join(lines)


def acknowledged_text(notification: NotificationRead) -> str:
    """The alert message once acknowledged (the button goes)."""
    return (
        f"{kind_label(notification.kind)}: {notification.young_person_ref}\n"
        f"Acknowledged {when(notification.acknowledged_at)}."
    )


def level_lines(result: ResultRead) -> list[str]:
    """The level with its label, and the explanation's headings (one per banded section)."""
    lines = [f"{result.label}: {result.level}"]
    lines += [f"- Section {s.code} ({s.title}): {s.band}, score {s.score}" for s in result.sections]
    if result.cetr_prompt:
        lines.append("- Consider a Care, Education and Treatment Review.")
    lines.append(LEVEL_NOTE)
    return lines


def case_text(
    *,
    ref: str,
    notifications: list[NotificationRead],
    username: str,
    assessment: AssessmentRead | None,
    detail: ChatDetail,
    record: YoungPersonRead | None = None,
) -> str:
    """/case REF: open alerts and the latest assessment. `record` (the young person) is used only in
    `named` mode, and only for the name."""
    lines = [f"Case {ref}"]
    if detail == "named" and record is not None:
        lines.append(f"Name: {record.given_name} {record.family_name}")
    open_alerts = [n for n in notifications if n.acknowledged_at is None]
    yours = len(mine_unacknowledged(open_alerts, username))
    lines.append(f"Open alerts: {len(open_alerts)} ({yours} for you)")
    if open_alerts:
        newest = max(open_alerts, key=lambda n: (n.created_at, n.id))
        lines.append(f"Newest: {kind_label(newest.kind)}, {when(newest.created_at)}")
    if assessment is None:
        lines.append("Needs assessment: none yet (/assess " + ref + " starts one)")
        return "\n".join(lines)
    status = assessment.status.replace("_", " ")
    lines.append(f"Latest needs assessment: {status}, started {when(assessment.started_at)}")
    if assessment.completed_at:
        lines.append(f"Completed {when(assessment.completed_at)}")
    if assessment.result:
        lines += level_lines(assessment.result)
    elif assessment.status in (AssessmentStatus.draft, AssessmentStatus.in_progress):
        lines.append(f"{len(assessment.open_items)} questions left: /assess {ref} to continue")
    return "\n".join(lines)


def question_text(item: Item, *, left: int) -> str:
    """One checklist question: its wording (template text, not a person's data) and how to answer."""
    lines = [item.text]
    if item.help:
        lines.append(item.help)
    how = {
        ItemType.text: "Type your answer.",
        ItemType.date: "Type the date as YYYY-MM-DD.",
    }.get(item.type, "Choose an answer.")
    required = "" if item.required else " (optional)"
    lines.append(f"{how}{required} /skip to pass, /stop to pause. {left} left.")
    return "\n".join(lines)


Answer = str | bool | int


def choices(item: Item) -> list[tuple[str, Answer]]:
    """The buttons for a choice, yes/no or score item: (label, value the API stores)."""
    match item.type:
        case ItemType.choice:
            return [(o.display, o.code) for o in item.options]
        case ItemType.boolean:
            return [("Yes", True), ("No", False)]
        case ItemType.score:
            return [(str(n), n) for n in range((item.max or 0) + 1)]
        case _:
            return []


def completed_text(ref: str, assessment: AssessmentRead) -> str:
    lines = [f"Needs assessment for {ref} completed."]
    if assessment.result:
        lines += level_lines(assessment.result)
    return "\n".join(lines)


def missing_text(ref: str, missing: list[str]) -> str:
    lines = [f"The assessment for {ref} cannot be completed yet:"]
    lines += [f"- {m}" for m in missing]
    lines.append(f"/assess {ref} asks skipped questions again; unmet needs go on the register in liaison.")
    return "\n".join(lines)
