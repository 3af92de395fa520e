"""The frequent-attender rule over plain data: Jez's four attendances in fourteen weeks must be seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.attendance_rules import DEFAULT_RULES, RepeatRule
from schemas.enums import AttendanceReason
from schemas.settings import Settings
from services.attendances.rules import PastAttendance, rules_met

START = datetime(2026, 1, 5, 22, 30, tzinfo=UTC)
SELF_HARM = frozenset({"self_harm"})
OVERDOSE = frozenset({"overdose", "substance_use"})
INJURY = frozenset({"injury"})


def visit(days: float, reasons: frozenset[str] = SELF_HARM, *, cancelled: bool = False) -> PastAttendance:
    return PastAttendance(arrived_at=START + timedelta(days=days), reasons=reasons, cancelled=cancelled)


def names(earlier: list[PastAttendance], latest: PastAttendance) -> list[str]:
    return [m.rule.name for m in rules_met(earlier, latest=latest, rules=DEFAULT_RULES)]


def test_a_first_attendance_meets_no_rule() -> None:
    assert names([], visit(0)) == []


def test_jez_four_attendances_in_fourteen_weeks_are_seen_from_the_second() -> None:
    visits = [visit(0, OVERDOSE), visit(30, SELF_HARM), visit(61, OVERDOSE), visit(97, SELF_HARM)]
    seen = [names(visits[:i], v) for i, v in enumerate(visits)]
    assert seen == [
        [],
        ["self-harm-12-weeks"],
        ["self-harm-12-weeks", "any-6-months"],
        ["self-harm-12-weeks", "any-6-months"],
    ]
    [_, any_kind] = rules_met(visits[:3], latest=visits[3], rules=DEFAULT_RULES)
    assert (any_kind.count, any_kind.first_at) == (4, visits[0].arrived_at)
    assert "4 counted in the last 26 weeks" in any_kind.summary()


def test_attendances_outside_the_window_do_not_count() -> None:
    assert names([visit(0)], visit(84)) == []  # exactly twelve weeks later: the first has left the window
    assert names([visit(0)], visit(83.9)) == ["self-harm-12-weeks"]


def test_an_attendance_the_rule_does_not_count_does_not_raise_it_again() -> None:
    earlier = [visit(0), visit(10)]
    assert names(earlier, visit(20, INJURY)) == ["any-6-months"]  # three of any kind, but not self-harm


def test_cancelled_attendances_never_count() -> None:
    assert names([visit(0, cancelled=True)], visit(5)) == []
    assert names([visit(0)], visit(5, cancelled=True)) == []


def test_later_attendances_are_ignored_when_replaying_history() -> None:
    assert names([visit(50)], visit(10)) == []


def test_thresholds_are_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    strict = RepeatRule(name="any-twice-a-month", min_count=2, window_days=30)
    assert [m.rule.name for m in rules_met([visit(0, INJURY)], latest=visit(20, INJURY), rules=[strict])] == [
        "any-twice-a-month"
    ]
    monkeypatch.setenv(
        "REPEAT_ATTENDANCE_RULES",
        '[{"name": "od", "min_count": 2, "window_days": 14, "reasons": ["overdose"]}]',
    )
    [rule] = Settings().repeat_attendance_rules
    assert (rule.min_count, rule.reasons) == (2, frozenset({AttendanceReason.overdose}))


@given(
    st.lists(st.floats(min_value=0, max_value=400, allow_nan=False), max_size=12),
    st.floats(min_value=0, max_value=400, allow_nan=False),
)
def test_adding_an_earlier_attendance_never_stops_a_rule_being_met(days: list[float], latest: float) -> None:
    """Monotone: more history can only reveal a pattern, never hide one."""
    earlier = [visit(d) for d in days]
    before = set(names(earlier, visit(latest)))
    after = set(names([*earlier, visit(latest - 1)], visit(latest)))
    assert before <= after
