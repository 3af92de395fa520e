"""The rules of a deployment's chase configuration (docs/escalation.md): what a ladder must be, which names
are reserved, which kinds may be chased, and which ladder and clock each kind ends up with once
ESCALATION_LADDERS, ESCALATION_KINDS and ESCALATION_CLOCKS are laid over the defaults of its entry
(`schemas/kinds.py`).

A ladder is the minutes after a notification was made at which its three steps fall due: a reminder to
the recipient, their team manager (and the duty team while nobody told of the event has acknowledged it),
the responsible local authority's safeguarding lead. `urgent` is always ESCALATION_REMINDER/MANAGER/LEAD_
MINUTES; ESCALATION_LADDERS adds or changes the others. Each deployment should have these signed off by its
safeguarding partnership.

Pure functions over plain values. They sit at the bottom with the settings because the settings refuse a
configuration they find wrong when it is read (a process never starts on a chase that cannot work);
`services/notifications/chase_rules.py` builds its `ChasePolicy` from what they return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from schemas.enums import NotificationKind
from schemas.kinds import CHASERS, DEFAULT_CLOCKS, DEFAULT_LADDERS, NEVER, URGENT_LADDER, WORKING_CLOCK

DEFAULT_LADDER_MINUTES: Mapping[str, list[int]] = MappingProxyType(
    {
        "same_day": [4 * 60, 24 * 60, 2 * 24 * 60],  # a reminder after 4 hours, manager after 1 day, lead 2
        "daily": [24 * 60, 2 * 24 * 60, 3 * 24 * 60],  # after 1, 2 and 3 days
    }
)
Choice = str | list[int]  # a ladder name, three minutes, or "never"


def ladder_faults(minutes: Sequence[int]) -> list[str]:
    """What is wrong with a ladder: three steps, each at least a minute, strictly in order."""
    if len(minutes) != 3:
        return ["three steps are needed (reminder, team manager, safeguarding lead), in minutes"]
    if minutes[0] < 1:
        return ["the reminder must come at least a minute after the notification"]
    if not minutes[0] < minutes[1] < minutes[2]:
        return ["steps out of order: reminder < team manager < safeguarding lead is required"]
    return []


def ladder_minutes(urgent: Sequence[int], configured: Mapping[str, list[int]]) -> dict[str, list[int]]:
    """Every named ladder: the defaults, ESCALATION_LADDERS over them, and `urgent`."""
    return {**DEFAULT_LADDER_MINUTES, **configured, URGENT_LADDER: list(urgent)}


def chased_kinds(
    ladders: Mapping[str, list[int]], configured: Mapping[NotificationKind, Choice]
) -> dict[NotificationKind, list[int]]:
    """Minutes after which each step of each chased kind falls due; kinds not listed are not chased."""
    chosen: dict[NotificationKind, Choice] = {**DEFAULT_LADDERS, **configured}
    return {
        kind: list(value) if isinstance(value, list) else ladders[value]
        for kind, value in chosen.items()
        if value != NEVER and kind not in CHASERS
    }


def clock_of(kind: NotificationKind, configured: Mapping[NotificationKind, str]) -> str:
    """`wall` or `working`: the clock the kind's chase counts (its entry's, or ESCALATION_CLOCKS)."""
    return {**DEFAULT_CLOCKS, **configured}.get(kind, WORKING_CLOCK)


def policy_faults(
    *,
    urgent: Sequence[int],
    max_age_minutes: int,
    ladders: Mapping[str, list[int]],
    kinds: Mapping[NotificationKind, Choice],
) -> list[str]:
    """Everything wrong with a chase configuration, naming the settings (never their values)."""
    if not urgent[0] < urgent[1] < urgent[2]:
        return [
            "escalation steps out of order: ESCALATION_REMINDER_MINUTES < ESCALATION_MANAGER_MINUTES "
            "< ESCALATION_LEAD_MINUTES is required"
        ]
    if max_age_minutes <= urgent[2]:
        return ["ESCALATION_MAX_AGE_HOURS must be longer than ESCALATION_LEAD_MINUTES"]
    faults: list[str] = []
    if URGENT_LADDER in ladders or NEVER in ladders:
        faults.append(f"ESCALATION_LADDERS: {URGENT_LADDER!r} and {NEVER!r} are reserved names")
    for name, minutes in ladders.items():
        faults += [f"ESCALATION_LADDERS {name!r}: {fault}" for fault in ladder_faults(minutes)]
    named = ladder_minutes(urgent, ladders)
    for kind, chosen in kinds.items():
        if kind in CHASERS and chosen != NEVER:
            faults.append(f"ESCALATION_KINDS {kind}: reminders and escalations are never chased")
        elif isinstance(chosen, list):
            faults += [f"ESCALATION_KINDS {kind}: {fault}" for fault in ladder_faults(chosen)]
        elif chosen != NEVER and chosen not in named:
            faults.append(f"ESCALATION_KINDS {kind}: no ladder named {chosen!r}")
    if faults:
        return faults
    for kind, minutes in chased_kinds(named, kinds).items():
        if max_age_minutes <= minutes[-1]:
            return [
                f"ESCALATION_MAX_AGE_HOURS must be longer than the last step of every chased kind "
                f"({kind}: {minutes[-1]} minutes)"
            ]
    return []
