"""Which clock each kind's chase counts, and the out-of-hours (emergency duty) team: pure rules, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.enums import CareTeamRole, EscalationStep, NotificationKind
from services.kernel.worktime.rules import DEFAULT_CALENDAR, WorkingCalendar
from services.notifications import chase
from services.notifications.chase_rules import (
    AlertState,
    ChasePolicy,
    Clock,
    ladder,
    next_step,
    targets,
    tells_out_of_hours_team,
)
from tests.unit.test_settings import make

pytestmark = pytest.mark.usefixtures("clean_environment")

K = NotificationKind
REMINDER, MANAGER, LEAD = EscalationStep
DAY = 24 * 60
MAUNDY_THURSDAY = datetime(2026, 4, 2, 14, 0, tzinfo=UTC)  # 15:00 BST, before Good Friday
SATURDAY_NIGHT = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def clocks(**overrides: Any) -> dict[NotificationKind, Clock]:
    policy = chase.policy(make(**overrides))
    return {kind: rule.clock for kind, rule in policy.ladders.items()}


def test_acute_kinds_count_24_7_and_the_slow_ladders_working_time() -> None:
    found = clocks()
    assert found[K.attendance] == Clock.wall  # in an acute setting now
    assert found[K.plan_issued] == Clock.wall  # the first contact after discharge is within 72 h, 24/7
    for kind in (
        K.was_not_brought,
        K.missed_appointments,
        K.did_not_attend,
        K.gateway,
        K.resolution,
        K.repeat_attendance,
        K.transfer_opened,
        K.transfer_overdue,
        K.closure_proposed,
        K.rescore,
    ):
        assert found[kind] == Clock.working, kind
    assert clocks(escalation_clocks={"was_not_brought": "wall"})[K.was_not_brought] == Clock.wall
    # a kind chased by configuration alone counts working time unless told otherwise
    assert clocks(escalation_kinds={"need_overdue": "daily"})[K.need_overdue] == Clock.working


def test_the_same_ladder_on_two_clocks_is_two_ladders() -> None:
    policy = ChasePolicy.from_minutes(
        {K.gateway: [DAY, 2 * DAY, 3 * DAY], K.plan_issued: [DAY, 2 * DAY, 3 * DAY]},
        {K.gateway: Clock.working, K.plan_issued: Clock.wall},
    )
    assert len(policy.by_ladder()) == 2  # one SQL condition each: their cut-offs differ


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2026, 4, 3, 14, 1, tzinfo=UTC), None),  # Good Friday: a wall-clock day has passed
        (datetime(2026, 4, 6, 14, 1, tzinfo=UTC), None),  # Easter Monday
        (datetime(2026, 4, 7, 13, 59, tzinfo=UTC), None),
        (datetime(2026, 4, 7, 14, 0, tzinfo=UTC), REMINDER),  # one working day: Tuesday 15:00 BST
    ],
)
def test_a_working_time_ladder_waits_out_the_bank_holiday_weekend(
    now: datetime, due: EscalationStep | None
) -> None:
    rule = ladder([DAY, 2 * DAY, 3 * DAY], Clock.working)
    found = next_step(AlertState(MAUNDY_THURSDAY, False, False), policy=rule, now=now)
    assert (found.step if found else None) == due
    assert rule.due_at(MAUNDY_THURSDAY, LEAD) == datetime(2026, 4, 9, 14, 0, tzinfo=UTC)  # Thursday after
    wall = ladder([DAY, 2 * DAY, 3 * DAY])
    assert wall.due_at(MAUNDY_THURSDAY, REMINDER) == datetime(2026, 4, 3, 14, 0, tzinfo=UTC)


def test_hours_on_a_working_ladder_are_working_hours_and_the_calendar_is_the_deployments() -> None:
    rule = ladder([4 * 60, DAY, 2 * DAY], Clock.working)
    friday_4pm = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert rule.due_at(friday_4pm, REMINDER) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # 1 h + 3 h
    weekends_too = WorkingCalendar(days=frozenset(range(7)))
    assert rule.due_at(friday_4pm, REMINDER, weekends_too) == datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    # the SQL cut-off: made after it, not yet due
    made_by = rule.made_by(datetime(2026, 11, 30, 12, 0, tzinfo=UTC), rule.reminder_after, DEFAULT_CALENDAR)
    assert made_by == friday_4pm


@pytest.mark.parametrize(
    ("kind", "step", "now", "tells"),
    [
        (K.attendance, MANAGER, SATURDAY_NIGHT, True),
        (K.attendance, LEAD, SATURDAY_NIGHT, True),
        (K.attendance, REMINDER, SATURDAY_NIGHT, False),  # the reminder goes to the recipient only
        (K.attendance, MANAGER, TUESDAY_MORNING, False),  # the managers and duty team are at work
        (K.attendance, MANAGER, datetime(2026, 12, 25, 12, 0, tzinfo=UTC), True),  # Christmas Day
        (K.attendance, MANAGER, datetime(2026, 11, 24, 19, 0, tzinfo=UTC), True),  # a weekday evening
        (K.gateway, MANAGER, SATURDAY_NIGHT, False),  # not acute: it waits for working time
    ],
)
def test_who_tells_the_out_of_hours_team(
    kind: NotificationKind, step: EscalationStep, now: datetime, tells: bool
) -> None:
    assert tells_out_of_hours_team(kind=kind, step=step, now=now) is tells


def _told(step: EscalationStep, **overrides: Any) -> dict[int, tuple[CareTeamRole, str]]:
    facts: dict[str, Any] = {
        "step": step,
        "recipient_id": 1,
        "recipient_role": CareTeamRole.lead_social_worker,
        "manager_ids": [2],
        "duty_ids": [3],
        "lead_ids": [4],
        "attendance_acknowledged": False,
        "out_of_hours_ids": [5, 6],
        **overrides,
    }
    return {t.user_id: (t.role, t.group) for t in targets(**facts)}


def test_the_out_of_hours_team_is_told_beside_the_in_hours_people_while_nobody_has_it() -> None:
    edt = (CareTeamRole.out_of_hours, "out_of_hours")
    assert _told(MANAGER) == {
        2: (CareTeamRole.team_manager, "manager"),
        3: (CareTeamRole.duty, "duty"),  # still told: they see it in the morning
        5: edt,
        6: edt,
    }
    assert _told(LEAD) == {4: (CareTeamRole.safeguarding_lead, "lead"), 5: edt, 6: edt}
    assert _told(REMINDER) == {1: (CareTeamRole.lead_social_worker, "recipient")}
    assert 5 not in _told(MANAGER, attendance_acknowledged=True)  # someone has taken it on
    assert 5 not in _told(
        MANAGER, already_alerted_ids=[5]
    )  # told of the attendance: their own alert is chased
    assert _told(MANAGER, out_of_hours_ids=[1]).keys() == {2, 3}  # never the recipient themselves
    assert _told(MANAGER, duty_ids=[5])[5] == edt  # a team that is both is told as the out-of-hours team
    assert _told(MANAGER, out_of_hours_ids=[]).keys() == {2, 3}  # none configured: nothing changes
