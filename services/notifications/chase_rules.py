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

Each kind counts its ladder on a clock (`Clock`): attendance alerts on the wall clock, 24/7 (the young person
is in an acute setting now); the slower ladders in working time (`services/worktime`): a Gateway referral
made on the Thursday before Easter is chased after the Tuesday, not over the bank-holiday weekend when
nobody who could act is at work. Outside working time the step of an attendance alert that goes over the
recipient's head also tells the local authority's out-of-hours (emergency duty) team, if it has one
(`tells_out_of_hours_team`): the team managers and daytime duty team are still told, and see it next day.

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
from enum import StrEnum

from schemas.chasing import ladder_faults
from schemas.enums import CareTeamRole, DeliveryStatus, EscalationStep, NotificationKind
from schemas.kinds import CHASERS
from services.kernel.worktime.rules import DEFAULT_CALENDAR, WorkingCalendar

STEPS = tuple(EscalationStep)
# Kinds whose escalation outside working time also tells the LA's out-of-hours (emergency duty) team: a
# young person in an acute setting now, whose discharge will not wait for the morning.
OUT_OF_HOURS_KINDS = frozenset({NotificationKind.attendance})


class Clock(StrEnum):
    wall = "wall"  # 24/7
    working = "working"  # only working time: each whole day of the ladder a working day, the rest hours


@dataclass(frozen=True)
class Policy:
    """How long after an alert was made each step becomes due, on which clock."""

    reminder_after: timedelta = timedelta(minutes=30)
    manager_after: timedelta = timedelta(hours=2)
    lead_after: timedelta = timedelta(hours=4)
    clock: Clock = Clock.wall

    def due_at(
        self, created_at: datetime, step: EscalationStep, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """When `step` falls due for a notification made at `created_at`."""
        return self.after(created_at, self.delay(step), calendar)

    def after(
        self, start: datetime, delay: timedelta, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """`delay` after `start` on this ladder's clock (a working-time delay reads its days as working
        days: `WorkingCalendar.working_equivalent`)."""
        if self.clock == Clock.wall:
            return start + delay
        return calendar.add_working_time(start, calendar.working_equivalent(delay))

    def made_by(
        self, now: datetime, delay: timedelta, calendar: WorkingCalendar = DEFAULT_CALENDAR
    ) -> datetime:
        """The latest time a notification can have been made for `delay` on this clock to have passed by
        `now` (a cut-off for SQL: anything made later is not due yet)."""
        if self.clock == Clock.wall:
            return now - delay
        return calendar.subtract_working_time(now, calendar.working_equivalent(delay))

    def delay(self, step: EscalationStep) -> timedelta:
        match step:
            case EscalationStep.reminder:
                return self.reminder_after
            case EscalationStep.team_manager:
                return self.manager_after
            case EscalationStep.safeguarding_lead:
                return self.lead_after


def ladder(minutes: Sequence[int], clock: Clock = Clock.wall) -> Policy:
    """A ladder from minutes per step (reminder, team manager, safeguarding lead), refused out of order."""
    faults = ladder_faults(list(minutes))
    if faults:
        raise ValueError("; ".join(faults))
    reminder, manager, lead = (timedelta(minutes=m) for m in minutes)
    return Policy(reminder_after=reminder, manager_after=manager, lead_after=lead, clock=clock)


@dataclass(frozen=True)
class ChasePolicy:
    """Which kinds of notification are chased, each on its own ladder. A kind not listed is not chased."""

    ladders: Mapping[NotificationKind, Policy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        chasers = CHASERS & set(self.ladders)
        if chasers:
            raise ValueError(f"reminders and escalations are never chased: {sorted(chasers)}")

    @classmethod
    def from_minutes(
        cls,
        kinds: Mapping[NotificationKind, Sequence[int]],
        clocks: Mapping[NotificationKind, Clock] | None = None,
    ) -> ChasePolicy:
        """Ladders from minutes per step, each on its kind's clock (the wall clock when not given)."""
        chosen = clocks or {}
        return cls({kind: ladder(minutes, chosen.get(kind, Clock.wall)) for kind, minutes in kinds.items()})

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


def next_step(
    state: AlertState, *, policy: Policy, now: datetime, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> Due | None:
    """The next step of the chase that is due at `now`, or None (acknowledged, finished, or not yet).
    A working-time ladder counts on `calendar`."""
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
    due_at = policy.due_at(state.created_at, step, calendar)
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
    group: str  # "recipient" | "manager" | "out_of_hours" | "duty" | "lead": told under separate keys


def tells_out_of_hours_team(
    *, kind: str, step: EscalationStep, now: datetime, calendar: WorkingCalendar = DEFAULT_CALENDAR
) -> bool:
    """Whether a step taken at `now` also tells the LA's out-of-hours (emergency duty) team: a step over
    the recipient's head (not the reminder) of an attendance alert, taken outside working time, when the
    team managers, the daytime duty team and the safeguarding lead are not at work."""
    return (
        kind in OUT_OF_HOURS_KINDS and step != EscalationStep.reminder and not calendar.is_working_time(now)
    )


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
    out_of_hours_ids: Sequence[int] = (),
) -> list[Target]:
    """Who a step tells. Never the recipient themselves above the reminder; the duty team only while
    nobody has acknowledged the attendance (for other kinds: the event, e.g. the Gateway referral, that
    the notification was one of), and not its members who were told of it already (their own
    notifications are chased). `out_of_hours_ids`, the out-of-hours team when `tells_out_of_hours_team`,
    are told at the team-manager and safeguarding-lead steps on the same terms as the duty team."""
    chosen: dict[int, Target] = {}
    match step:
        case EscalationStep.reminder:
            chosen[recipient_id] = Target(recipient_id, recipient_role, "recipient")
        case EscalationStep.team_manager:
            for user_id in manager_ids:
                chosen.setdefault(user_id, Target(user_id, CareTeamRole.team_manager, "manager"))
            if not attendance_acknowledged:
                _out_of_hours(chosen, out_of_hours_ids, already_alerted_ids)
                for user_id in duty_ids:
                    if user_id not in already_alerted_ids:
                        chosen.setdefault(user_id, Target(user_id, CareTeamRole.duty, "duty"))
        case EscalationStep.safeguarding_lead:
            for user_id in lead_ids:
                chosen.setdefault(user_id, Target(user_id, CareTeamRole.safeguarding_lead, "lead"))
            if not attendance_acknowledged:
                _out_of_hours(chosen, out_of_hours_ids, already_alerted_ids)
    if step != EscalationStep.reminder:
        chosen.pop(recipient_id, None)
    return list(chosen.values())


def _out_of_hours(
    chosen: dict[int, Target], user_ids: Sequence[int], already_alerted_ids: Sequence[int]
) -> None:
    for user_id in user_ids:
        if user_id not in already_alerted_ids:
            chosen.setdefault(user_id, Target(user_id, CareTeamRole.out_of_hours, "out_of_hours"))


# A channel in one of these is not failing: it got through, or is on its first try.
STILL_GOING = (DeliveryStatus.pending, DeliveryStatus.sending, DeliveryStatus.delivered)


def still_failing(
    *, pending: bool, made_at: datetime, channels: set[DeliveryStatus], now: datetime, after: timedelta
) -> bool:
    """An alert not reached and not given up either: made over `after` ago, every channel has failed at
    least once and one is still being retried. The chase treats it as not reached (its team manager and
    the duty team are told at once), long before the retry budget runs out."""
    return (
        pending
        and made_at <= now - after
        and DeliveryStatus.retrying in channels
        and not channels.intersection(STILL_GOING)
    )
