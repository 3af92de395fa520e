"""Every text `/discharge REF` sends, as pure functions over the API's answers (unit-tested).

The checklist shows what the plan holds, item by item, and then what issuing still needs in the API's own
words (`readiness.missing`): the bot never decides readiness itself. Nothing the plan holds as free text
(the crisis plan, contacts' names and numbers, a follow-up's location) is ever shown: only that it is
recorded. Staff appear by username, care-team role and team code.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.plan_text import day, fit, moment, readable
from schemas.api.people import CareTeamMemberRead
from schemas.api.plans import DischargePlanRead, DischargePlanStatus, PlansOverview

DONE, TODO = "✓", "✗"
TIME_FORMAT = "%Y-%m-%d %H:%M"


def stamp(value: datetime) -> str:
    return moment(value).strftime("%d %b %Y %H:%M UTC")


def _mark(done: bool) -> str:
    return DONE if done else TODO


def member_label(member: CareTeamMemberRead) -> str:
    return f"{member.username} ({member.role.label}, {member.team})"


def checklist_text(ref: str, plan: DischargePlanRead, overview: PlansOverview, web: str) -> str:
    """The draft as a checklist, with what issuing still needs as the API says it."""
    lines = [f"Discharge plan {plan.id} for {ref}: {plan.status.value}"]
    coordinator = plan.care_coordinator
    lines.append(
        f"{_mark(coordinator is not None)} Care coordinator: "
        + (f"{coordinator.username} ({coordinator.team})" if coordinator else "not named")
    )
    within = [f for f in plan.follow_ups if f.within_first_contact_target]
    due = f" (first contact due by {stamp(plan.first_contact_due_by)})" if plan.first_contact_due_by else ""
    lines.append(
        f"{_mark(bool(within))} Follow-ups: {len(plan.follow_ups)}, {len(within)} within the first-contact "
        f"target{due}"
    )
    lines.append(f"{_mark(plan.review_date is not None)} Review date: {day(plan.review_date)}")
    lines.append(
        f"{_mark(bool(plan.crisis_plan))} Crisis plan: {'recorded' if plan.crisis_plan else 'not recorded'}"
    )
    contacts = len(plan.out_of_hours_contacts)
    lines.append(f"{_mark(contacts > 0)} Out-of-hours contacts: {contacts or 'none'}")
    care, safety = overview.care_plan, overview.safety_plan
    lines.append(f"{_mark(care is not None)} Care plan: " + (f"version {care.version}" if care else "none"))
    lines.append(
        f"{_mark(safety is not None)} Safety plan: " + (f"version {safety.version}" if safety else "none")
    )
    if care is None or safety is None:
        lines.append(f"Care and safety plans are recorded in liaison: {web}")
    readiness = plan.readiness
    if readiness is not None:
        if readiness.ready:
            lines.append("Ready to issue.")
        else:
            lines.append("Not ready to issue. Still missing:")
            lines.extend(f"- {m}" for m in readiness.missing)
        if readiness.warnings:
            lines.append("Warnings: " + "; ".join(readiness.warnings))
    return fit("\n".join(lines), f"Read the whole plan in liaison: {web}")


def not_draft_text(ref: str, plan: DischargePlanRead | None) -> str:
    if plan is None:
        return f"{ref} has no discharge plan yet. Start a draft to work through its checklist."
    issued = f", issued {stamp(plan.issued_at)}" if plan.issued_at else ""
    return (
        f"The latest discharge plan for {ref} is plan {plan.id}: {plan.status.value}{issued}. "
        "A change needs a new draft."
    )


def issued_text(ref: str, plan: DischargePlanRead) -> str:
    reach = plan.distribution
    told = f" Everyone named in it ({reach.named}) is being told, by ref only." if reach else ""
    return f"Discharge plan {plan.id} for {ref} is issued.{told}"


def refused_text(what: str, detail: str) -> str:
    """The API's refusal (422/409), in its own words, one line per thing missing."""
    return f"{what}\n{readable(detail)}"


def follow_up_text(ref: str, plan: DischargePlanRead, at: datetime) -> str:
    """The follow-up just added, and whether the API counts it within the first-contact target."""
    added = max(
        (f for f in plan.follow_ups if abs((moment(f.at) - at).total_seconds()) < 60),
        key=lambda f: f.id,
        default=None,
    )
    if added is None:
        return f"Follow-up added to discharge plan {plan.id} for {ref}."
    verdict = (
        "within the first-contact target"
        if added.within_first_contact_target
        else "NOT within the first-contact target"
        + (f" (first contact due by {stamp(plan.first_contact_due_by)})" if plan.first_contact_due_by else "")
    )
    return f"Follow-up {stamp(added.at)}, {added.owner_team}, added: {verdict}."


def parse_when(text: str) -> datetime | None:
    """A typed date and time ('2026-12-05 14:30', UTC) as an aware datetime; None when it is not one."""
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def teams(members: Sequence[CareTeamMemberRead]) -> list[str]:
    """The care team's team codes, each once, in the order met."""
    return list(dict.fromkeys(m.team for m in members))


def latest_plan_status(plan: DischargePlanRead | None) -> bool:
    return plan is not None and plan.status == DischargePlanStatus.draft
