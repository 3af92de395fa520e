"""Discharge-plan readiness, first-contact targets, review prompts and the 24-hour distribution clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.plans import rules
from services.plans.rules import FollowUp, PlanFacts

DISCHARGE = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)


def ready_facts(**changes: object) -> PlanFacts:
    facts = PlanFacts(
        care_coordinator="nurse",
        has_care_plan=True,
        has_safety_plan=True,
        follow_ups=[FollowUp(at=DISCHARGE + timedelta(hours=30), status="scheduled")],
        discharge_at=DISCHARGE,
        first_contact_hours=72,
        review_date=date(2027, 1, 10),
        lead_social_worker="jsmith",
        risk_formulation="Escalating overdoses after a move; protective: sister, school.",
        consent_recorded=True,
    )
    return replace(facts, **changes)  # type: ignore[arg-type]


def test_a_complete_plan_is_ready_with_no_warnings() -> None:
    result = rules.readiness(ready_facts())
    assert result.ready
    assert result.missing == [] and result.warnings == []
    assert result.first_contact_due_by == DISCHARGE + timedelta(hours=72)


def test_without_a_care_coordinator_the_plan_is_not_ready_and_says_why() -> None:
    result = rules.readiness(ready_facts(care_coordinator=None))
    assert not result.ready
    [missing] = result.missing
    assert missing.startswith("a named care coordinator")


def test_a_safety_plan_alone_is_not_a_care_plan() -> None:
    result = rules.readiness(ready_facts(has_care_plan=False))
    assert result.missing == ["a care plan (NICE NG225: a safety plan is not a care plan)"]
    assert rules.SAFETY_PLAN_WITHOUT_CARE_PLAN in result.warnings
    neither = rules.readiness(ready_facts(has_care_plan=False, has_safety_plan=False))
    assert neither.missing == ["a care plan"]
    assert rules.SAFETY_PLAN_WITHOUT_CARE_PLAN not in neither.warnings
    assert "no safety plan" in neither.warnings


def test_everything_missing_is_listed_at_once() -> None:
    result = rules.readiness(
        ready_facts(care_coordinator=None, has_care_plan=False, follow_ups=[], review_date=None)
    )
    assert [m.split(" (")[0] for m in result.missing] == [
        "a named care coordinator",
        "a care plan",
        "a follow-up appointment within 72 h of discharge",
        "a review date",
    ]


def test_a_follow_up_must_fall_within_the_first_contact_target() -> None:
    at_80h = [FollowUp(at=DISCHARGE + timedelta(hours=80), status="scheduled")]
    assert not rules.readiness(ready_facts(follow_ups=at_80h)).ready
    at_60h = [FollowUp(at=DISCHARGE + timedelta(hours=60), status="scheduled")]
    assert rules.readiness(ready_facts(follow_ups=at_60h)).ready
    # the 48 h option is stricter
    result = rules.readiness(ready_facts(follow_ups=at_60h, first_contact_hours=48))
    assert result.missing == ["a follow-up appointment within 48 h of discharge (by 2026-11-30T14:00+00:00)"]
    exactly_72h = [FollowUp(at=DISCHARGE + timedelta(hours=72), status="scheduled")]
    assert rules.readiness(ready_facts(follow_ups=exactly_72h)).ready


def test_cancelled_and_missed_appointments_do_not_count_and_neither_does_one_before_discharge() -> None:
    for status in ("cancelled", "was_not_brought", "did_not_attend"):
        follow_ups = [FollowUp(at=DISCHARGE + timedelta(hours=24), status=status)]
        assert not rules.readiness(ready_facts(follow_ups=follow_ups)).ready, status
    before = [FollowUp(at=DISCHARGE - timedelta(hours=1), status="scheduled")]
    assert not rules.readiness(ready_facts(follow_ups=before)).ready


def test_missing_lead_social_worker_formulation_and_consent_are_warnings_not_blocks() -> None:
    result = rules.readiness(
        ready_facts(lead_social_worker=None, risk_formulation="  ", consent_recorded=False)
    )
    assert result.ready
    assert result.warnings == [
        "no lead social worker named",
        "no risk formulation",
        "consent to share or the lawful basis is not recorded",
    ]


LEVELS = st.one_of(st.none(), st.sampled_from(["LOW", "MEDIUM", "HIGH"]), st.text(max_size=8))


@given(
    level=LEVELS,
    other_level=LEVELS,
    coordinator=st.sampled_from([None, "nurse"]),
    care_plan=st.booleans(),
    safety_plan=st.booleans(),
    hours_after=st.integers(min_value=-10, max_value=100),
    review=st.sampled_from([None, date(2027, 1, 10)]),
    target=st.sampled_from([48, 72]),
)
def test_the_cnest_level_never_changes_readiness(
    level: str | None,
    other_level: str | None,
    coordinator: str | None,
    care_plan: bool,
    safety_plan: bool,
    hours_after: int,
    review: date | None,
    target: int,
) -> None:
    """NICE NG225: risk stratification never decides discharge. Whatever else the plan holds, changing only
    the CNEST level changes nothing in what is missing or warned about."""
    facts = ready_facts(
        care_coordinator=coordinator,
        has_care_plan=care_plan,
        has_safety_plan=safety_plan,
        follow_ups=[FollowUp(at=DISCHARGE + timedelta(hours=hours_after), status="scheduled")],
        review_date=review,
        first_contact_hours=target,
    )
    first = rules.readiness(replace(facts, cnest_level=level))
    second = rules.readiness(replace(facts, cnest_level=other_level))
    assert (first.missing, first.warnings, first.ready) == (second.missing, second.warnings, second.ready)
    assert not any("CNEST" in text or "HIGH" in text for text in first.missing + first.warnings)


def test_a_care_plan_review_prompts_once_per_due_date() -> None:
    due = date(2026, 12, 1)
    assert not rules.review_prompt_due(review_date=due, prompted_for=None, today=due)
    assert rules.review_prompt_due(review_date=due, prompted_for=None, today=date(2026, 12, 2))
    assert not rules.review_prompt_due(review_date=due, prompted_for=due, today=date(2026, 12, 20))
    later = date(2027, 1, 5)
    assert rules.review_prompt_due(review_date=later, prompted_for=due, today=date(2027, 1, 6))


def test_the_24_hour_distribution_clock() -> None:
    issued = DISCHARGE
    in_time = issued + timedelta(hours=23, minutes=59)
    assert rules.reached_in_time(issued_at=issued, reached_at=in_time, now=issued + timedelta(hours=30))
    late = issued + timedelta(hours=25)
    assert rules.reached_in_time(issued_at=issued, reached_at=late, now=late) is False
    assert rules.reached_in_time(issued_at=issued, reached_at=None, now=issued + timedelta(hours=2)) is None
    assert rules.reached_in_time(issued_at=issued, reached_at=None, now=issued + timedelta(hours=25)) is False
    assert rules.all_reached_in_time([True, True]) is True
    assert rules.all_reached_in_time([True, None]) is None
    assert rules.all_reached_in_time([None, False]) is False


def test_plan_warnings_name_a_safety_plan_without_a_care_plan() -> None:
    assert rules.plan_warnings(has_care_plan=False, has_safety_plan=True) == ["safety plan without care plan"]
    assert rules.plan_warnings(has_care_plan=True, has_safety_plan=True) == []
    assert rules.plan_warnings(has_care_plan=False, has_safety_plan=False) == []
