"""The repeat-attendance (frequent-attender) rule: pure functions over plain data.

Jez attended A&E four times in fourteen weeks and nobody saw the pattern: each crisis was handled on its
own. The thresholds are configuration (`REPEAT_ATTENDANCE_RULES`), to be signed off clinically by each
deployment; the defaults follow the examples in the domain notes (two self-harm or overdose attendances
in twelve weeks, or three attendances of any kind in six months).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.attendance_rules import RepeatRule


@dataclass(frozen=True)
class PastAttendance:
    arrived_at: datetime
    reasons: frozenset[str]
    cancelled: bool = False


@dataclass(frozen=True)
class RuleMet:
    rule: RepeatRule
    count: int  # attendances the rule counted within its window, the new one included
    first_at: datetime  # the earliest of them

    def summary(self) -> str:
        weeks = max(1, round(self.rule.window_days / 7))
        return (
            f"Repeat attendances: {self.count} counted in the last {weeks} weeks "
            f"(rule '{self.rule.name}': {self.rule.describe()})"
        )


def counts(rule: RepeatRule, attendance: PastAttendance) -> bool:
    if attendance.cancelled:
        return False
    return not rule.reasons or bool(attendance.reasons & {str(r) for r in rule.reasons})


def rules_met(
    earlier: Iterable[PastAttendance], *, latest: PastAttendance, rules: Sequence[RepeatRule]
) -> list[RuleMet]:
    """Which rules the latest attendance completes, given the young person's earlier ones.

    A rule is met when the latest attendance is one it counts and, with it, at least `min_count` counted
    attendances fall within the window ending at the latest. Cancelled attendances (an HL7 A11, a
    registration made in error) never count; attendances after the latest are ignored, so replaying
    history gives the same answer."""
    before = [a for a in earlier if a.arrived_at <= latest.arrived_at]
    met: list[RuleMet] = []
    for rule in rules:
        if not counts(rule, latest):
            continue
        since = latest.arrived_at - timedelta(days=rule.window_days)
        inside = [a for a in before if a.arrived_at > since and counts(rule, a)] + [latest]
        if len(inside) >= rule.min_count:
            met.append(RuleMet(rule=rule, count=len(inside), first_at=min(a.arrived_at for a in inside)))
    return met
