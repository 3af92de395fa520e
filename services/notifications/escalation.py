"""Chasing an unacknowledged attendance alert: which step is due, and who each step tells.

Pure functions over plain data (no I/O), tested without a database; `services/notifications/chase.py`
applies them. The national system (CP-IS) asks for no acknowledgement and escalates nothing, and in the
case this product answers hospital attendances reached nobody; so every attendance alert is chased:

1. reminder: the same alert again to the same person (default after 30 minutes);
2. team manager: their team manager(s); and, when nobody at all has acknowledged the attendance, the duty
   team of the young person's responsible local authority (default after 2 hours);
3. safeguarding lead: the responsible local authority's safeguarding lead(s) (default after 4 hours).

The chase is per recipient, not per attendance: each agency on the care team has its own part to play
(the GP, CAMHS, the school nurse ...), and the review found that agencies other than the local authority
were never told. A lead social worker's acknowledgement does not mean the GP knows, so the GP's alert is
still chased. What is per attendance is the duty team: it stands in for the local authority only while
nobody at all has taken the attendance on.

The chase of an alert stops as soon as anyone acknowledges the alert, its reminder or an escalation about
it (someone has taken it on). A recipient who cannot be reached (every channel failed, or there is none)
gets no reminder: the team-manager step is due at once. A step that reached nobody (no manager, no duty
team, no lead with a way to be sent) makes the next step due at once too: nobody was told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.enums import CareTeamRole, EscalationStep

STEPS = tuple(EscalationStep)


@dataclass(frozen=True)
class Policy:
    """How long after an alert was made each step becomes due."""

    reminder_after: timedelta = timedelta(minutes=30)
    manager_after: timedelta = timedelta(hours=2)
    lead_after: timedelta = timedelta(hours=4)

    def delay(self, step: EscalationStep) -> timedelta:
        match step:
            case EscalationStep.reminder:
                return self.reminder_after
            case EscalationStep.team_manager:
                return self.manager_after
            case EscalationStep.safeguarding_lead:
                return self.lead_after


@dataclass(frozen=True)
class Taken:
    """A step already taken: when, and whether it reached anyone with a way to be sent."""

    step: EscalationStep
    at: datetime
    reached: bool = True


@dataclass(frozen=True)
class AlertState:
    created_at: datetime
    acknowledged: bool  # the alert, its reminder or an escalation about it
    unreachable: bool  # every channel to the recipient failed, or they have none
    taken: Sequence[Taken] = ()
    cancelled: bool = False  # the attendance was cancelled (entered in error)


@dataclass(frozen=True)
class Due:
    step: EscalationStep
    due_at: datetime
    reason: str  # "timer" | "unreachable" | "nobody_reached"


def next_step(state: AlertState, *, policy: Policy, now: datetime) -> Due | None:
    """The next step of the chase that is due at `now`, or None (acknowledged, finished, or not yet)."""
    if state.acknowledged or state.cancelled:
        return None
    latest = max(state.taken, key=lambda t: STEPS.index(t.step), default=None)
    remaining = STEPS[STEPS.index(latest.step) + 1 :] if latest is not None else STEPS
    if not remaining:
        return None
    step = remaining[0]
    if step == EscalationStep.reminder and state.unreachable:
        # Reminding someone who cannot be reached reaches nobody: go over their head at once.
        return Due(EscalationStep.team_manager, now, "unreachable")
    if step == EscalationStep.team_manager and state.unreachable:
        return Due(step, now, "unreachable")
    if latest is not None and not latest.reached:
        return Due(step, now, "nobody_reached")
    due_at = state.created_at + policy.delay(step)
    if now < due_at:
        return None
    return Due(step, due_at, "timer")


def level(taken: Sequence[EscalationStep]) -> int:
    """0 when nothing has been taken, else the level of the furthest step (1 reminder ... 3 lead)."""
    return max((s.level for s in taken), default=0)


@dataclass(frozen=True)
class Target:
    user_id: int
    role: CareTeamRole
    group: str  # "recipient" | "manager" | "duty" | "lead": groups are told under separate keys


def targets(
    *,
    step: EscalationStep,
    recipient_id: int,
    recipient_role: CareTeamRole,
    manager_ids: Sequence[int],
    duty_ids: Sequence[int],
    lead_ids: Sequence[int],
    attendance_acknowledged: bool,
    already_alerted_ids: Sequence[int] = (),
) -> list[Target]:
    """Who a step tells. Never the recipient themselves above the reminder; the duty team only while
    nobody has acknowledged the attendance, and not its members who had the attendance alert already
    (their own alerts are chased)."""
    chosen: dict[int, Target] = {}
    match step:
        case EscalationStep.reminder:
            chosen[recipient_id] = Target(recipient_id, recipient_role, "recipient")
        case EscalationStep.team_manager:
            for user_id in manager_ids:
                chosen.setdefault(user_id, Target(user_id, CareTeamRole.team_manager, "manager"))
            if not attendance_acknowledged:
                for user_id in duty_ids:
                    if user_id not in already_alerted_ids:
                        chosen.setdefault(user_id, Target(user_id, CareTeamRole.duty, "duty"))
        case EscalationStep.safeguarding_lead:
            for user_id in lead_ids:
                chosen.setdefault(user_id, Target(user_id, CareTeamRole.safeguarding_lead, "lead"))
    if step != EscalationStep.reminder:
        chosen.pop(recipient_id, None)
    return list(chosen.values())
