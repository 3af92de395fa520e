"""Which kinds of notification are chased, on which ladder, and how the policy is configured: pure rules
and settings, no I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.enums import EscalationStep, NotificationKind
from schemas.settings import SettingsRefused, get_settings
from services.notifications import events
from services.notifications.chase_rules import AlertState, ChasePolicy, Policy, Taken, ladder, next_step
from services.notifications.events import Event
from services.notifications.models import Notification
from tests.unit.test_settings import make

pytestmark = pytest.mark.usefixtures("clean_environment")

T0 = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
K = NotificationKind
HOUR, DAY = 60, 24 * 60


def policy(**overrides: Any) -> ChasePolicy:
    return ChasePolicy.from_minutes(make(**overrides).chased_kinds())


def steps_of(rule: Policy | None) -> tuple[int, ...]:
    assert rule is not None
    return tuple(
        int(d.total_seconds() // 60) for d in (rule.reminder_after, rule.manager_after, rule.lead_after)
    )


def walk(rule: Policy, minutes_after: int) -> list[EscalationStep]:
    """The steps an unacknowledged notification has taken when the scheduler runs every 10 minutes."""
    taken: list[Taken] = []
    for minute in range(0, minutes_after + 1, 10):
        now = T0 + timedelta(minutes=minute)
        while (due := next_step(AlertState(T0, False, False, taken), policy=rule, now=now)) is not None:
            taken.append(Taken(due.step, now))
    return [t.step for t in taken]


@pytest.mark.parametrize(
    ("kind", "minutes"),
    [
        (K.attendance, (30, 2 * HOUR, 4 * HOUR)),
        (K.was_not_brought, (4 * HOUR, DAY, 2 * DAY)),
        (K.missed_appointments, (4 * HOUR, DAY, 2 * DAY)),
        (K.did_not_attend, (DAY, 2 * DAY, 3 * DAY)),
        (K.gateway, (DAY, 2 * DAY, 3 * DAY)),
        (K.resolution, (DAY, 2 * DAY, 3 * DAY)),
        (K.repeat_attendance, (DAY, 2 * DAY, 3 * DAY)),
        (K.transfer_opened, (DAY, 2 * DAY, 3 * DAY)),
        (K.transfer_overdue, (DAY, 2 * DAY, 3 * DAY)),
        (K.closure_proposed, (DAY, 2 * DAY, 3 * DAY)),
        (K.rescore, (DAY, 2 * DAY, 3 * DAY)),
        (K.plan_issued, (DAY, 2 * DAY, 3 * DAY)),
    ],
)
def test_kinds_that_ask_for_an_action_are_chased_on_their_ladder(kind: K, minutes: tuple[int, ...]) -> None:
    chased = policy()
    assert chased.chased(kind)
    assert steps_of(chased.ladder_for(kind)) == minutes


@pytest.mark.parametrize(
    "kind",
    [
        K.attendance_cancelled,
        K.closure,
        K.plan_review_due,
        K.need_overdue,
        K.transfer_accepted,
        K.transfer_declined,
        K.transfer_completed,
        K.transfer_withdrawn,
        K.missed_appointment_withdrawn,
        K.reminder,
        K.escalation,
    ],
)
def test_informational_kinds_and_the_chasers_themselves_are_never_chased(kind: K) -> None:
    assert not policy().chased(kind)
    assert policy().ladder_for(kind) is None


def test_every_kind_has_a_decision_and_unknown_kinds_are_not_chased() -> None:
    chased = policy()
    assert {k for k in K if chased.chased(k)} == set(make().chased_kinds())
    assert not chased.chased("something_new")


def test_a_was_not_brought_message_climbs_its_own_ladder() -> None:
    rule = policy().ladder_for(K.was_not_brought)
    assert rule is not None
    assert walk(rule, 4 * HOUR - 10) == []
    assert walk(rule, 4 * HOUR) == [EscalationStep.reminder]
    assert walk(rule, DAY - 10) == [EscalationStep.reminder]
    assert walk(rule, DAY) == [EscalationStep.reminder, EscalationStep.team_manager]
    assert walk(rule, 2 * DAY) == list(EscalationStep)


def test_the_attendance_ladder_follows_its_own_settings() -> None:
    chased = policy(escalation_reminder_minutes=10, escalation_manager_minutes=20, escalation_lead_minutes=40)
    assert steps_of(chased.ladder_for(K.attendance)) == (10, 20, 40)
    assert steps_of(chased.ladder_for(K.gateway)) == (DAY, 2 * DAY, 3 * DAY)  # other ladders unchanged


def test_a_kind_can_be_moved_to_another_ladder_given_minutes_or_stopped() -> None:
    chased = policy(
        escalation_kinds={"gateway": "urgent", "rescore": "never", "did_not_attend": [720, 1440, 2880]}
    )
    assert steps_of(chased.ladder_for(K.gateway)) == (30, 2 * HOUR, 4 * HOUR)
    assert not chased.chased(K.rescore)
    assert steps_of(chased.ladder_for(K.did_not_attend)) == (720, 1440, 2880)
    assert steps_of(chased.ladder_for(K.transfer_opened)) == (DAY, 2 * DAY, 3 * DAY)  # the rest as default


def test_an_informational_kind_can_be_chased_on_a_named_ladder() -> None:
    chased = policy(
        escalation_ladders={"weekly": [DAY, 3 * DAY, 5 * DAY]},
        escalation_kinds={"plan_review_due": "weekly"},
        escalation_max_age_hours=7 * 24,
    )
    assert steps_of(chased.ladder_for(K.plan_review_due)) == (DAY, 3 * DAY, 5 * DAY)


def test_redefining_a_default_ladder_moves_every_kind_on_it() -> None:
    chased = policy(escalation_ladders={"same_day": [60, 180, 480]})
    assert steps_of(chased.ladder_for(K.was_not_brought)) == (60, 180, 480)
    assert steps_of(chased.ladder_for(K.missed_appointments)) == (60, 180, 480)


def test_the_settings_are_read_as_json_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCALATION_KINDS", json.dumps({"was_not_brought": "urgent", "plan_issued": "never"}))
    monkeypatch.setenv("ESCALATION_LADDERS", json.dumps({"daily": [720, 1440, 2160]}))
    get_settings.cache_clear()
    try:
        chased = ChasePolicy.from_minutes(get_settings().chased_kinds())
    finally:
        get_settings.cache_clear()
    assert steps_of(chased.ladder_for(K.was_not_brought)) == (30, 2 * HOUR, 4 * HOUR)
    assert not chased.chased(K.plan_issued)
    assert steps_of(chased.ladder_for(K.gateway)) == (720, 1440, 2160)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"escalation_kinds": {"gateway": [DAY, HOUR, 2 * DAY]}}, "out of order"),
        ({"escalation_kinds": {"gateway": [HOUR, HOUR, 2 * HOUR]}}, "out of order"),
        ({"escalation_kinds": {"gateway": [HOUR, 2 * HOUR]}}, "three steps"),
        ({"escalation_kinds": {"gateway": [0, HOUR, 2 * HOUR]}}, "at least a minute"),
        ({"escalation_kinds": {"gateway": "weekly"}}, "no ladder named 'weekly'"),
        ({"escalation_kinds": {"reminder": "daily"}}, "never chased"),
        ({"escalation_kinds": {"escalation": [30, 60, 90]}}, "never chased"),
        ({"escalation_kinds": {"no_such_kind": "daily"}}, "escalation_kinds"),
        ({"escalation_ladders": {"daily": [3 * DAY, 2 * DAY, DAY]}}, "'daily': steps out of order"),
        ({"escalation_ladders": {"urgent": [1, 2, 3]}}, "reserved"),
        ({"escalation_ladders": {"never": [1, 2, 3]}}, "reserved"),
        ({"escalation_max_age_hours": 48}, "last step of every chased kind"),
        ({"escalation_kinds": {"gateway": [DAY, 2 * DAY, 5 * DAY]}}, "last step of every chased kind"),
    ],
)
def test_production_refuses_a_ladder_that_is_wrong(overrides: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        make(**overrides)  # a production configuration that is otherwise safe


def test_a_refusal_names_the_setting_without_echoing_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ESCALATION_KINDS", json.dumps({"gateway": [600, 60, 6000]}))
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsRefused, match="ESCALATION_KINDS gateway: steps out of order"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_the_pure_policy_refuses_what_the_settings_refuse() -> None:
    with pytest.raises(ValueError, match="out of order"):
        ladder([60, 30, 90])
    with pytest.raises(ValueError, match="never chased"):
        ChasePolicy({K.reminder: Policy()})


def test_kinds_on_one_ladder_are_grouped_for_one_query() -> None:
    grouped = policy().by_ladder()
    assert sorted(grouped[ladder([4 * HOUR, DAY, 2 * DAY])]) == sorted(
        [K.was_not_brought, K.missed_appointments, K.registration_elsewhere, K.member_left]
    )
    assert grouped[ladder([30, 120, 240])] == [K.attendance]
    assert sum(len(kinds) for kinds in grouped.values()) == len(make().chased_kinds())


@pytest.mark.parametrize(
    ("kind", "event", "dedup_key"),
    [
        (K.attendance, Event("attendance", 12), "attendance:12:7"),
        (K.gateway, Event("gateway", 3), "gateway:3:7"),
        (K.was_not_brought, Event("missed_appt", 4), "missed_appt:4:7"),
        (K.transfer_overdue, Event("transfer_overdue", 2, round=1), "transfer_overdue:2:1:7"),
        (K.rescore, Event("missed", 5), "rescore:missed:5:7"),
        (K.missed_appointment_withdrawn, Event("missed_appt", 4), "withdrawn:missed_appt:4:7"),
    ],
)
def test_the_dedup_key_is_built_from_the_typed_event_and_the_recipient(
    kind: K, event: Event, dedup_key: str
) -> None:
    assert events.dedup_key(kind, event, 7) == dedup_key


def test_a_chase_step_is_keyed_per_alert_and_the_duty_team_per_event() -> None:
    alert = Notification(id=31, kind=str(K.rescore))
    event = Event("attendance", 12)
    assert events.dedup_key(K.reminder, event, 7, chasing=alert, step="recipient") == "reminder:31:7"
    assert (
        events.dedup_key(K.escalation, event, 7, chasing=alert, step="manager") == "escalation:31:manager:7"
    )
    # the duty team of a re-score prompt is not the duty team of the attendance it was prompted by
    assert events.dedup_key(K.escalation, event, 9, chasing=alert, step="duty") == (
        "escalation:rescore:attendance:12:duty:9"
    )
