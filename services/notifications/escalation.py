"""Chasing an unacknowledged notification: which kinds are chased, which step is due, who each step tells.

Pure functions over plain data (no I/O), tested without a database; `services/notifications/chase.py`
applies them. The national system (CP-IS) asks for no acknowledgement and escalates nothing, and in the
case this product answers hospital attendances, and the messages about them, reached nobody; so every
notification that asks for an action is chased, on the ladder its kind has (`ChasePolicy`):

1. reminder: the same notification again to the same person (attendance alerts: after 30 minutes);
2. team manager: their team manager(s); and, when nobody told of that event (the attendance, the referral,
   the missed appointment ...) has acknowledged it, the duty team of the young person's responsible local
   authority (attendance alerts: after 2 hours);
3. safeguarding lead: the responsible local authority's safeguarding lead(s) (attendance alerts: 4 hours).

Informational kinds (an attendance cancelled, a closure decided, a care plan review due ...) and the
reminders and escalations themselves are not chased.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas.enums import CareTeamRole, EscalationStep, NotificationKind
from schemas.settings import UNCHASEABLE, ladder_faults

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


def ladder(minutes: Sequence[int]) -> Policy:
    """A ladder from minutes per step (reminder, team manager, safeguarding lead), refused out of order."""
    faults = ladder_faults(list(minutes))
    if faults:
        raise ValueError("; ".join(faults))
    reminder, manager, lead = (timedelta(minutes=m) for m in minutes)
    return Policy(reminder_after=reminder, manager_after=manager, lead_after=lead)


@dataclass(frozen=True)
class ChasePolicy:
    """Which kinds of notification are chased, each on its own ladder. A kind not listed is not chased."""

    ladders: Mapping[NotificationKind, Policy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        chasers = UNCHASEABLE & set(self.ladders)
        if chasers:
            raise ValueError(f"reminders and escalations are never chased: {sorted(chasers)}")

    @classmethod
    def from_minutes(cls, kinds: Mapping[NotificationKind, Sequence[int]]) -> ChasePolicy:
        return cls({kind: ladder(minutes) for kind, minutes in kinds.items()})

    def ladder_for(self, kind: str) -> Policy | None:
        """The kind's ladder, or None when notifications of that kind are never chased."""
        try:
            return self.ladders.get(NotificationKind(kind))
        except ValueError:
            return None

    def chased(self, kind: str) -> bool:
        return self.ladder_for(kind) is not None

    def by_ladder(self) -> dict[Policy, list[NotificationKind]]:
        """The chased kinds grouped by ladder, so that one query serves each ladder."""
        grouped: dict[Policy, list[NotificationKind]] = {}
        for kind, rule in self.ladders.items():
            grouped.setdefault(rule, []).append(kind)
        return grouped


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
    cancelled: bool = False  # the event is void: the attendance cancelled, the miss withdrawn ...


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
    nobody has acknowledged the attendance (for other kinds: the event, e.g. the Gateway referral, that
    the notification was one of), and not its members who were told of it already (their own
    notifications are chased)."""
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
