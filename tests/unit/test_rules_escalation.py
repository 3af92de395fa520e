"""The escalation rule for unacknowledged attendance alerts, as pure functions over plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from schemas.api.people import CareTeamMemberCreate
from schemas.enums import CareTeamRole, EscalationStep
from schemas.settings import Settings
from services.notifications.chase_rules import AlertState, Policy, Taken, level, next_step, targets

T0 = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
POLICY = Policy()
REMINDER, MANAGER, LEAD = (
    EscalationStep.reminder,
    EscalationStep.team_manager,
    EscalationStep.safeguarding_lead,
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def due(state: AlertState, minutes: float, policy: Policy = POLICY) -> EscalationStep | None:
    found = next_step(state, policy=policy, now=at(minutes))
    return found.step if found else None


def state(*taken: tuple[EscalationStep, float, bool], acknowledged: bool = False, unreachable: bool = False):
    return AlertState(
        created_at=T0,
        acknowledged=acknowledged,
        unreachable=unreachable,
        taken=[Taken(step, at(minutes), reached) for step, minutes, reached in taken],
    )


def test_nothing_is_due_before_the_reminder_time() -> None:
    assert due(state(), 0) is None
    assert due(state(), 29.9) is None


def test_each_step_falls_due_at_its_time_in_order() -> None:
    assert due(state(), 30) == REMINDER
    reminded = state((REMINDER, 30, True))
    assert due(reminded, 119) is None
    assert due(reminded, 120) == MANAGER
    managed = state((REMINDER, 30, True), (MANAGER, 120, True))
    assert due(managed, 239) is None
    assert due(managed, 240) == LEAD
    finished = state((REMINDER, 30, True), (MANAGER, 120, True), (LEAD, 240, True))
    assert due(finished, 10_000) is None


def test_the_due_time_is_when_the_step_fell_due_not_when_it_was_noticed() -> None:
    found = next_step(state(), policy=POLICY, now=at(47))
    assert found is not None
    assert (found.step, found.due_at, found.reason) == (REMINDER, at(30), "timer")


def test_a_late_run_takes_the_overdue_steps_one_after_another() -> None:
    # the scheduler was down for five hours: each call gives the next step, all of them due now
    assert due(state(), 300) == REMINDER
    assert due(state((REMINDER, 300, True)), 300) == MANAGER
    assert due(state((REMINDER, 300, True), (MANAGER, 300, True)), 300) == LEAD


@pytest.mark.parametrize("minutes", [0, 30, 121, 250])
def test_acknowledgement_stops_every_step(minutes: float) -> None:
    assert due(state(acknowledged=True), minutes) is None
    assert due(state((REMINDER, 30, True), acknowledged=True), minutes) is None
    assert due(state(acknowledged=True, unreachable=True), minutes) is None


def test_a_cancelled_attendance_is_not_chased() -> None:
    cancelled = AlertState(created_at=T0, acknowledged=False, unreachable=True, cancelled=True)
    assert next_step(cancelled, policy=POLICY, now=at(300)) is None


def test_an_unreachable_recipient_goes_straight_to_their_manager() -> None:
    found = next_step(state(unreachable=True), policy=POLICY, now=at(1))
    assert found is not None
    assert (found.step, found.due_at, found.reason) == (MANAGER, at(1), "unreachable")


def test_a_reminder_that_failed_jumps_to_the_manager_at_once() -> None:
    assert due(state((REMINDER, 30, True), unreachable=True), 31) == MANAGER


def test_after_the_manager_the_lead_keeps_to_its_time() -> None:
    managed = state((MANAGER, 1, True), unreachable=True)
    assert due(managed, 239) is None
    assert due(managed, 240) == LEAD


def test_a_step_that_reached_nobody_makes_the_next_due_at_once() -> None:
    nobody = state((REMINDER, 30, True), (MANAGER, 120, False))
    found = next_step(nobody, policy=POLICY, now=at(121))
    assert found is not None
    assert (found.step, found.reason) == (LEAD, "nobody_reached")


def test_timings_are_configurable() -> None:
    quick = Policy(
        reminder_after=timedelta(minutes=5),
        manager_after=timedelta(minutes=15),
        lead_after=timedelta(hours=1),
    )
    assert due(state(), 5, quick) == REMINDER
    assert due(state((REMINDER, 5, True)), 15, quick) == MANAGER
    assert due(state((REMINDER, 5, True), (MANAGER, 15, True)), 59, quick) is None
    assert due(state((REMINDER, 5, True), (MANAGER, 15, True)), 60, quick) == LEAD


def test_settings_make_the_policy_and_refuse_steps_out_of_order() -> None:
    settings = Settings(
        escalation_reminder_minutes=10, escalation_manager_minutes=60, escalation_lead_minutes=90
    )
    assert (settings.escalation_reminder_minutes, settings.escalation_lead_minutes) == (10, 90)
    with pytest.raises(ValidationError, match="out of order"):
        Settings(escalation_reminder_minutes=60, escalation_manager_minutes=30)
    with pytest.raises(ValidationError, match="MAX_AGE"):
        Settings(escalation_max_age_hours=3)


def test_level_is_the_furthest_step() -> None:
    assert level([]) == 0
    assert level([REMINDER]) == 1
    assert level([MANAGER]) == 2  # an unreachable recipient skipped the reminder
    assert level([REMINDER, MANAGER, LEAD]) == 3


def _targets(step: EscalationStep, *, acknowledged: bool = False, alerted: tuple[int, ...] = ()) -> set:
    chosen = targets(
        step=step,
        recipient_id=1,
        recipient_role=CareTeamRole.gp,
        manager_ids=[10, 1],
        duty_ids=[20, 21],
        lead_ids=[30],
        attendance_acknowledged=acknowledged,
        already_alerted_ids=alerted,
    )
    return {(t.user_id, t.role, t.group) for t in chosen}


def test_the_reminder_goes_to_the_recipient_in_their_own_role() -> None:
    assert _targets(REMINDER) == {(1, CareTeamRole.gp, "recipient")}


def test_managers_and_the_duty_team_while_nobody_has_acknowledged_the_attendance() -> None:
    assert _targets(MANAGER) == {
        (10, CareTeamRole.team_manager, "manager"),
        (20, CareTeamRole.duty, "duty"),
        (21, CareTeamRole.duty, "duty"),
    }  # the recipient is never escalated to about themselves, even when they are a manager


def test_once_anyone_has_acknowledged_the_attendance_only_the_managers() -> None:
    assert _targets(MANAGER, acknowledged=True) == {(10, CareTeamRole.team_manager, "manager")}


def test_duty_members_who_had_the_alert_themselves_are_not_told_again() -> None:
    assert _targets(MANAGER, alerted=(20,)) == {
        (10, CareTeamRole.team_manager, "manager"),
        (21, CareTeamRole.duty, "duty"),
    }


def test_the_last_step_tells_the_safeguarding_lead() -> None:
    assert _targets(LEAD) == {(30, CareTeamRole.safeguarding_lead, "lead")}
    assert _targets(LEAD, acknowledged=True) == {(30, CareTeamRole.safeguarding_lead, "lead")}


@pytest.mark.parametrize("role", ["team_manager", "safeguarding_lead", "duty"])
def test_escalation_roles_are_not_care_team_roles(role: str) -> None:
    with pytest.raises(ValidationError, match="assigned by the service"):
        CareTeamMemberCreate(username="someone", role=role)
