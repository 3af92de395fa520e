"""What the bot says about plans and appointments: pure functions from API answers (their `schemas.api`
models) to text and button data. No I/O. The same CHAT_DETAIL rules as `bot.formatting`: the ref,
statuses, dates, team codes, usernames with their care-team role, and levels with their label; the young
person's name only in `named` mode; never an NHS number, birth date, address or clinical free text (the
safety plan's content, a discharge plan's crisis plan or risk formulation, an appointment's location or
purpose, a miss's reason). Neither CHAT_DETAIL mode permits clinical detail, so the safety plan is only
said to exist, with where to read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.formatting import ChatDetail, when
from schemas.api.appointments import AppointmentRead
from schemas.api.people import YoungPersonRead
from schemas.api.plans import (
    DischargePlanRead,
    DischargePlanStatus,
    FollowUpRead,
    NamedPerson,
    PlansOverview,
    PlanVersionSummary,
)
from schemas.enums import CareTeamRole

IN_FORCE = (DischargePlanStatus.issued, DischargePlanStatus.reviewed)
MESSAGE_LIMIT = 4096  # Telegram's limit on a message's text
FOLLOW_UPS_SHOWN = 12
TARGETS_SHOWN = 10
RECENT = timedelta(days=30)
AHEAD = timedelta(days=30)
OUTCOMES = {
    "att": ("Attended", "attended"),
    "can": ("Cancelled", "cancelled"),
    "wnb": ("Was not brought", "was_not_brought"),
    "dna": ("Did not attend", "did_not_attend"),
}
BARRIERS = {
    "transport": "Transport",
    "cost": "Cost",
    "caring_duties": "Caring duties",
    "anxiety_neurodivergence": "Anxiety / neurodivergence",
    "not_told": "Not told of it",
    "other": "Other",
    "unknown": "Unknown",
}


def day(value: date | None) -> str:
    """An API date (or the day of a timestamp) as a day: '10 Jan 2027'."""
    if value is None:
        return "-"
    return value.strftime("%d %b %Y")


def moment(value: datetime) -> datetime:
    """An API timestamp as an aware UTC datetime (a value without an offset is UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def words(code: str | None) -> str:
    return (code or "-").replace("_", " ")


def role_label(role: CareTeamRole) -> str:
    return role.label


def fit(text: str, pointer: str, limit: int = MESSAGE_LIMIT) -> str:
    """`text` if it fits in one message, else as many whole lines as fit with `pointer` after them."""
    if len(text) <= limit:
        return text
    room = limit - len(pointer) - 3  # the "\n…\n" between
    head = text[:room]
    cut = head.rfind("\n")
    head = head[:cut] if cut > 0 else head
    return f"{head}\n…\n{pointer}"


def readable(detail: str) -> str:
    """An API refusal (422 detail) for a phone: plain words and one line per thing missing."""
    text = detail.replace("`", "")
    for label, value in OUTCOMES.values():
        text = text.replace(value, label.lower())
    head, sep, rest = text.partition(": ")
    parts = [p.strip() for p in rest.split("; ")] if sep else []
    if len(parts) < 2:
        return fit(text, "(shortened)", 1000)
    return fit("\n".join([head + ":", *(f"- {p}" for p in parts)]), "(shortened)", 1000)


# ---------------------------------------------------------------- /plan


def _version_line(name: str, summary: PlanVersionSummary | None) -> str:
    if summary is None:
        return f"{name}: none"
    overdue = " (review overdue)" if summary.review_overdue else ""
    line = (
        f"{name}: version {summary.version}, recorded {day(summary.recorded_at)}, "
        f"review by {day(summary.review_date)}{overdue}"
    )
    if summary.content_withheld:  # the API decided (access.may_read_care_plan_content): the bot only says so
        ask = ", ".join(f"{c.username} ({c.team})" for c in summary.ask) or "the care team"  # usernames only
        line += f". Not shared with your agency (the young person's consent): ask {ask}"
    return line


def _person(title: str, person: NamedPerson | None) -> str:
    if person is None:
        return f"{title}: not named"
    role = f"{role_label(person.care_team_role)}, " if person.care_team_role else ""
    return f"{title}: {person.username} ({role}{person.team})"


def _follow_up_line(follow_up: FollowUpRead) -> str:
    owner = f", {follow_up.owner}" if follow_up.owner else ""
    target = " (within the first-contact target)" if follow_up.within_first_contact_target else ""
    status = words(follow_up.status)
    return f"- {when(follow_up.at)}, {follow_up.owner_team}{owner}: {status}{target}"


def _discharge_lines(plan: DischargePlanRead) -> list[str]:
    head = f"Discharge plan {plan.id}: {words(plan.status)}"
    if plan.issued_at:
        head += f", issued {when(plan.issued_at)} by {plan.issued_by or '-'}"
    else:
        head += f", drafted {when(plan.created_at)} by {plan.created_by}"
    lines = [head]
    readiness = plan.readiness
    if readiness is not None:
        if readiness.ready:
            lines.append("Ready to issue.")
        else:
            lines.append("Not ready to issue. Still missing:")
            lines += [f"- {m}" for m in readiness.missing]
        if readiness.warnings:
            lines.append("Warnings: " + "; ".join(readiness.warnings))
    distribution = plan.distribution
    if distribution is not None:
        lines.append(
            f"Reached {distribution.reached} of {distribution.named} named "
            f"(due by {when(distribution.due_by)})"
        )
    if plan.first_contact_due_by:
        lines.append(f"First community contact due by {when(plan.first_contact_due_by)}")
    lines.append(_person("Care coordinator", plan.care_coordinator))
    lines.append(_person("Lead social worker", plan.lead_social_worker))
    lines.append(f"Review date: {day(plan.review_date)}")
    follow_ups = sorted(plan.follow_ups, key=lambda f: (moment(f.at), f.id))
    lines.append(f"Follow-ups ({len(follow_ups)}):" if follow_ups else "Follow-ups: none")
    lines += [_follow_up_line(f) for f in follow_ups[:FOLLOW_UPS_SHOWN]]
    if len(follow_ups) > FOLLOW_UPS_SHOWN:
        lines.append(f"- and {len(follow_ups) - FOLLOW_UPS_SHOWN} more in liaison")
    if plan.cnest:
        lines.append(f"{plan.cnest.label}: {plan.cnest.level} (information only: never decides discharge)")
    return lines


def plan_text(
    *,
    ref: str,
    overview: PlansOverview,
    discharge: DischargePlanRead | None,
    detail: ChatDetail,
    record: YoungPersonRead | None = None,
) -> str:
    """/plan REF: the latest discharge plan (status, readiness, who is named, follow-ups, review date) and
    whether a current care plan and safety plan exist. `record` is used only in `named` mode, for the name."""
    lines = [f"Plans for {ref}"]
    if detail == "named" and record is not None:
        lines.append(f"Name: {record.given_name} {record.family_name}")
    lines.append(_version_line("Care plan", overview.care_plan))
    lines.append(_version_line("Safety plan", overview.safety_plan))
    if overview.safety_plan:
        lines.append(
            f"The safety plan's content is not shown in chat: read it in liaison "
            f"(/young-people/{ref}/safety-plan)."
        )
    if overview.warnings:
        lines.append("Warnings: " + "; ".join(overview.warnings))
    if discharge is None:
        lines.append("Discharge plan: none yet")
    else:
        others = [p for p in overview.discharge_plans if p.id != discharge.id]
        in_force = next((p for p in others if p.status in IN_FORCE), None)
        details = _discharge_lines(discharge)
        if discharge.status == DischargePlanStatus.draft and in_force is not None:
            details.insert(
                1,
                f"In force meanwhile: discharge plan {in_force.id}, {words(in_force.status)}, issued "
                f"{when(in_force.issued_at)}",
            )
        lines += details
        if others:
            lines.append(f"{len(others)} older discharge plan(s) in liaison.")
    return fit("\n".join(lines), f"The rest is in liaison: /young-people/{ref}/plans")


# ---------------------------------------------------------------- /appointments


@dataclass(frozen=True)
class Target:
    """Something an outcome can be recorded for: a care-team appointment, or a discharge plan's follow-up."""

    kind: str  # "a" (appointment) or "f" (follow-up)
    id: int
    at: datetime
    team: str
    status: str
    plan_id: int | None = None

    @property
    def data(self) -> str:
        """The button's callback data (at most 64 bytes: two 19-digit ids fit with room to spare)."""
        if self.kind == "f":
            return f"apt:f:{self.plan_id}:{self.id}"
        return f"apt:a:{self.id}"

    @property
    def title(self) -> str:
        what = "follow-up" if self.kind == "f" else "appt"
        return f"{moment(self.at):%d %b %H:%M} {what} {self.team}"[:44]

    @property
    def label(self) -> str:
        return f"{self.title}: {words(self.status)}"


def targets(
    appointments: Iterable[AppointmentRead], plans: Iterable[DischargePlanRead], *, now: datetime
) -> list[Target]:
    """Appointments and follow-ups from `RECENT` ago to `AHEAD`, soonest first (a recorded outcome can be
    corrected, so they are listed whatever their status). Superseded plans' follow-ups are left out."""
    found = [
        Target("a", a.id, moment(a.at), a.owner_team or "team not known", a.status) for a in appointments
    ]
    for plan in plans:
        if plan.status == DischargePlanStatus.superseded:
            continue
        found += [Target("f", f.id, moment(f.at), f.owner_team, f.status, plan.id) for f in plan.follow_ups]

    def in_range(target: Target) -> bool:
        return now - RECENT <= moment(target.at) <= now + AHEAD

    return sorted((t for t in found if in_range(t)), key=lambda t: (t.at, t.kind, t.id))


def nearest(found: Sequence[Target], *, now: datetime, count: int = TARGETS_SHOWN) -> list[Target]:
    """The `count` targets nearest to now (the ones a clinician is most likely recording), in time order."""
    close = sorted(found, key=lambda t: abs(moment(t.at) - now))[:count]
    return sorted(close, key=lambda t: (t.at, t.kind, t.id))


def targets_text(ref: str, found: Sequence[Target]) -> str:
    if not found:
        return (
            f"No appointments or follow-ups for {ref} from {RECENT.days} days ago to {AHEAD.days} days "
            "ahead. Book and list them in liaison."
        )
    more = len(found) - TARGETS_SHOWN
    tail = f" The {TARGETS_SHOWN} nearest to now are shown; the rest are in liaison." if more > 0 else ""
    return (
        f"Appointments and follow-ups for {ref} (times in UTC): choose one to record what happened "
        f"(/cancel to stop).{tail}"
    )


def outcome_prompt(ref: str, target: Target, *, now: datetime) -> str:
    lines = [f"{ref}, {target.label} (times in UTC).", "What happened?"]
    if moment(target.at) > now:
        lines.append(
            "It is still to come: record cancelled if it will not go ahead. A miss can be recorded once it "
            "has passed."
        )
    return "\n".join(lines)


def barriers_prompt(chosen: Sequence[str]) -> str:
    picked = ", ".join(BARRIERS[b] for b in chosen) if chosen else "none yet"
    return (
        f"What got in the way? Choose all that apply, then Done (Unknown only on its own).\nChosen: {picked}"
    )


def toggle(chosen: Sequence[str], barrier: str) -> list[str]:
    """The barriers after pressing one: `unknown` stands alone, so choosing it clears the rest and choosing
    another clears it."""
    if barrier in chosen:
        return [b for b in chosen if b != barrier]
    if barrier == "unknown":
        return ["unknown"]
    return [b for b in chosen if b != "unknown"] + [barrier]


def recorded_text(ref: str, target: Target, status: str, told: Sequence[str]) -> str:
    lines = [f"Recorded for {ref}: {target.title}, {words(status)}."]
    if told:
        lines.append("Told of this miss: " + ", ".join(told) + " (by ref only).")
    return "\n".join(lines)
