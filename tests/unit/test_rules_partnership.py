"""The partnership report's figures, pure: first acknowledgement by agency, nearest-rank percentiles, the
72-hour follow-up and 24-hour reach windows at their edges, transfers against a working-day deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.flows.rules import (
    ALL,
    Told,
    accepted_within,
    acknowledgement_times,
    counted,
    followed_up_within,
    nearest_rank,
    reached_within,
)

T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return T + timedelta(minutes=n)


def test_nearest_rank_is_a_value_that_happened() -> None:
    assert nearest_rank([], 50) is None
    assert nearest_rank([7.0], 90) == 7.0
    assert nearest_rank([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert nearest_rank([float(n) for n in range(1, 11)], 90) == 9.0
    assert nearest_rank([5.0, 1.0, 3.0], 100) == 5.0


def test_the_first_acknowledgement_counts_overall_and_each_agency_its_own() -> None:
    told = [
        Told(1, T, "social_care", minutes(30)),
        Told(1, T, "camhs", minutes(5)),  # CAMHS took it on first
        Told(2, T, "social_care", None),  # nobody yet
        Told(3, T, "social_care", minutes(60)),
        Told(3, T, "social_care", minutes(20)),
    ]
    found = acknowledgement_times(told)
    assert (found[ALL].attendances, found[ALL].acknowledged) == (3, 2)
    assert (found[ALL].median_minutes, found[ALL].p90_minutes) == (5.0, 20.0)
    assert (found["social_care"].attendances, found["social_care"].acknowledged) == (3, 2)
    assert found["social_care"].median_minutes == 20.0 and found["social_care"].p90_minutes == 30.0
    assert (found["camhs"].attendances, found["camhs"].median_minutes) == (1, 5.0)


def test_an_unacknowledged_attendance_is_counted_but_never_timed() -> None:
    found = acknowledgement_times([Told(9, T, "gp", None)])
    assert (found[ALL].attendances, found[ALL].acknowledged, found[ALL].median_minutes) == (1, 0, None)


def test_a_follow_up_at_exactly_72_hours_counts_and_one_after_or_before_discharge_does_not() -> None:
    left = T
    share = followed_up_within(
        [
            (left, [left + timedelta(hours=72)]),
            (left, [left + timedelta(hours=72, seconds=1)]),
            (left, [left - timedelta(hours=1)]),  # before they left: not a follow-up of this discharge
            (left, []),
        ]
    )
    assert (share.met, share.of, share.percent) == (1, 4, 25.0)


def test_a_plan_is_reached_only_when_every_recipient_was_reached_within_24_hours() -> None:
    issued = T
    share = reached_within(
        [
            (issued, [minutes(1), issued + timedelta(hours=24)]),
            (issued, [minutes(1), None]),  # one never reached
            (issued, [issued + timedelta(hours=25)]),
            (issued, []),  # nobody to reach: not reached
        ]
    )
    assert (share.met, share.of) == (1, 4)


def test_transfers_are_in_time_when_accepted_by_the_deadline() -> None:
    def deadline(opened: datetime) -> datetime:
        return opened + timedelta(days=7)

    share = accepted_within(
        [(T, T + timedelta(days=7)), (T, T + timedelta(days=8)), (T, None)], deadline=deadline
    )
    assert (share.met, share.of, share.percent) == (1, 3, 33.3)
    assert accepted_within([], deadline=deadline).percent is None


def test_counted_groups_and_sorts() -> None:
    assert counted(
        [("camhs", "was_not_brought"), ("camhs", "was_not_brought"), ("gp", "did_not_attend")]
    ) == {
        "camhs": {"was_not_brought": 2},
        "gp": {"did_not_attend": 1},
    }
