"""Was not brought / did not attend over plain data: what a miss needs, and who is told."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.api.appointments import Barrier, CapacityFramework, MissStatus
from schemas.enums import CareTeamRole, ClosureReason, ClosureStance
from services.appointments.rules import (
    Capacity,
    Miss,
    MissFacts,
    age_on,
    count_in_window,
    in_window,
    problems,
    who_is_told,
)
from services.closures.rules import ClosureFacts, blockers

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
APPOINTMENT = NOW - timedelta(days=1)
FIFTEEN = date(2011, 6, 1)  # 15 at the appointment
SEVENTEEN = date(2009, 6, 1)  # 17 at the appointment
LEAD, COORDINATOR, GP, CAMHS, OWNER, SG = 1, 2, 3, 4, 5, 9


def capacity(framework: CapacityFramework = CapacityFramework.mca, **changes: object) -> Capacity:
    return replace(
        Capacity(framework=framework, competent=True, informed_choice=True, assessed_on=APPOINTMENT.date()),
        **changes,  # type: ignore[arg-type]
    )


def miss(status: MissStatus = MissStatus.was_not_brought, **changes: object) -> Miss:
    base = Miss(
        status=status,
        reason="Mum's car broke down",
        barriers=[Barrier.transport],
        capacity=None,
        appointment_at=APPOINTMENT,
        date_of_birth=SEVENTEEN,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# ------------------------------------------------------------------ what a miss needs


def test_a_was_not_brought_with_reason_and_barriers_may_be_recorded() -> None:
    assert problems(miss(), now=NOW) == []


def test_a_miss_without_reason_or_barriers_is_refused_naming_both() -> None:
    found = problems(miss(reason="  ", barriers=[]), now=NOW)
    assert [p.split(" (")[0] for p in found] == ["missing the reason", "missing the barriers"]


def test_unknown_stands_alone_among_the_barriers() -> None:
    assert problems(miss(barriers=[Barrier.unknown]), now=NOW) == []
    [found] = problems(miss(barriers=[Barrier.unknown, Barrier.cost]), now=NOW)
    assert "'unknown' cannot be given together" in found


def test_an_appointment_still_to_come_cannot_be_missed() -> None:
    [found] = problems(miss(appointment_at=NOW + timedelta(minutes=5)), now=NOW)
    assert "cannot be missed before it happens" in found


def test_did_not_attend_without_a_capacity_check_is_refused_and_names_was_not_brought() -> None:
    [found] = problems(miss(MissStatus.did_not_attend), now=NOW)
    assert found.startswith("missing the adolescent-capacity check")
    assert "recorded as was_not_brought" in found


def test_the_capacity_check_decides_between_did_not_attend_and_was_not_brought() -> None:
    assert problems(miss(MissStatus.did_not_attend, capacity=capacity()), now=NOW) == []
    not_competent = problems(miss(MissStatus.did_not_attend, capacity=capacity(competent=False)), now=NOW)
    assert ["record was_not_brought" in p for p in not_competent] == [True]
    uninformed = problems(miss(MissStatus.did_not_attend, capacity=capacity(informed_choice=False)), now=NOW)
    assert ["informed choice" in p for p in uninformed] == [True]
    # The same check that refuses did_not_attend is no bar to recording was_not_brought.
    assert problems(miss(capacity=capacity(competent=False)), now=NOW) == []


@pytest.mark.parametrize(
    ("born", "framework", "fits"),
    [
        (FIFTEEN, CapacityFramework.gillick, True),
        (FIFTEEN, CapacityFramework.fraser, True),
        (FIFTEEN, CapacityFramework.mca, False),
        (SEVENTEEN, CapacityFramework.mca, True),
        (SEVENTEEN, CapacityFramework.gillick, False),
    ],
)
def test_gillick_or_fraser_under_16_and_the_mca_from_16(
    born: date, framework: CapacityFramework, fits: bool
) -> None:
    found = problems(
        miss(MissStatus.did_not_attend, capacity=capacity(framework), date_of_birth=born), now=NOW
    )
    assert (found == []) is fits


def test_age_is_taken_on_the_day_of_the_appointment() -> None:
    sixteenth = date(2010, 11, 27)  # sixteen the day of the appointment
    assert age_on(sixteenth, APPOINTMENT.date()) == 16
    assert age_on(sixteenth, APPOINTMENT.date() - timedelta(days=1)) == 15
    before = miss(
        MissStatus.did_not_attend,
        capacity=capacity(CapacityFramework.mca),
        date_of_birth=sixteenth,
        appointment_at=APPOINTMENT - timedelta(days=1),
    )
    assert "under 16" in problems(before, now=NOW)[0]


def test_a_capacity_check_dated_in_the_future_is_refused() -> None:
    later = capacity(assessed_on=NOW.date() + timedelta(days=3))
    [found] = problems(miss(MissStatus.did_not_attend, capacity=later), now=NOW)
    assert "in the future" in found


# ------------------------------------------------------------------ the window


def test_the_window_counts_the_days_up_to_now() -> None:
    assert in_window(NOW, now=NOW, window_days=90)
    assert in_window(NOW - timedelta(days=89, hours=23), now=NOW, window_days=90)
    assert not in_window(NOW - timedelta(days=90), now=NOW, window_days=90)
    assert not in_window(NOW + timedelta(seconds=1), now=NOW, window_days=90)
    times = [NOW - timedelta(days=d) for d in (1, 30, 89, 91, 200)]
    assert count_in_window(times, now=NOW, window_days=90) == 3
    assert count_in_window(times, now=NOW, window_days=30) == 1


# ------------------------------------------------------------------ who is told


def facts(**changes: object) -> MissFacts:
    base = MissFacts(
        statuses=frozenset(),
        members=[
            (LEAD, CareTeamRole.lead_social_worker),
            (COORDINATOR, CareTeamRole.care_coordinator),
            (GP, CareTeamRole.gp),
            (CAMHS, CareTeamRole.camhs),
        ],
        owners=[CAMHS, OWNER],
        safeguarding_leads=[SG],
        misses_in_window=1,
        threshold=2,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def told(found: MissFacts) -> dict[int, tuple[CareTeamRole, list[str]]]:
    return {t.user_id: (t.role, t.because) for t in who_is_told(found).told}


def test_every_miss_tells_the_care_coordinator() -> None:
    assert told(facts()) == {COORDINATOR: (CareTeamRole.care_coordinator, ["care_coordinator"])}


@pytest.mark.parametrize("status", ["cp_plan", "cin", "lac"])
def test_any_miss_by_a_child_with_a_statutory_status_tells_the_lead_social_worker_at_once(
    status: str,
) -> None:
    found = told(facts(statuses=frozenset({status})))
    assert found[LEAD] == (CareTeamRole.lead_social_worker, ["statutory"])
    assert set(found) == {LEAD, COORDINATOR}


def test_early_help_alone_is_not_a_statutory_status() -> None:
    assert LEAD not in told(facts(statuses=frozenset({"early_help"})))


def test_without_a_care_coordinator_the_lead_social_worker_is_told() -> None:
    members = [(LEAD, CareTeamRole.lead_social_worker), (GP, CareTeamRole.gp)]
    assert told(facts(members=members)) == {
        LEAD: (CareTeamRole.lead_social_worker, ["care_coordinator_fallback"])
    }
    both = told(facts(members=members, statuses=frozenset({"lac"})))
    assert both == {LEAD: (CareTeamRole.lead_social_worker, ["statutory", "care_coordinator_fallback"])}


def test_a_miss_never_reaches_no_one() -> None:
    decision = who_is_told(facts(members=[(GP, CareTeamRole.gp)], statuses=frozenset({"cp_plan"})))
    assert {t.user_id: t.because for t in decision.told} == {
        SG: ["no_lead_social_worker", "nobody_coordinates"]
    }
    assert decision.gaps[0] == "no lead social worker is named for a child with CP_PLAN status"


def test_at_the_threshold_the_gp_referrers_and_safeguarding_lead_are_told_once_each() -> None:
    below = who_is_told(facts(misses_in_window=1))
    assert not below.pattern
    met = who_is_told(facts(misses_in_window=2))
    assert met.pattern
    found = {t.user_id: (t.role, t.because) for t in met.told}
    assert found == {
        COORDINATOR: (CareTeamRole.care_coordinator, ["care_coordinator"]),
        GP: (CareTeamRole.gp, ["pattern_gp"]),
        CAMHS: (CareTeamRole.camhs, ["pattern_referrer"]),  # an owner on the care team keeps their role
        OWNER: (CareTeamRole.other, ["pattern_referrer"]),
        SG: (CareTeamRole.safeguarding_lead, ["pattern_safeguarding_lead"]),
    }
    assert who_is_told(facts(misses_in_window=2, threshold=3)).pattern is False


def test_the_pattern_without_a_gp_says_so() -> None:
    decision = who_is_told(facts(misses_in_window=3, members=[(COORDINATOR, CareTeamRole.care_coordinator)]))
    assert decision.gaps == ["no GP is on the care team"]


@given(
    statuses=st.sets(st.sampled_from(["cp_plan", "cin", "lac", "early_help"])),
    misses=st.integers(min_value=1, max_value=10),
    threshold=st.integers(min_value=1, max_value=10),
)
def test_everyone_is_told_at_most_once_and_someone_always_is(
    statuses: set[str], misses: int, threshold: int
) -> None:
    decision = who_is_told(facts(statuses=frozenset(statuses), misses_in_window=misses, threshold=threshold))
    ids = [t.user_id for t in decision.told]
    assert ids and len(ids) == len(set(ids))
    assert decision.pattern is (misses >= threshold)
    assert (SG in ids) is decision.pattern


# ------------------------------------------------------------------ the closure guard


def closure(**changes: object) -> ClosureFacts:
    ends = NOW - timedelta(days=1)
    base = ClosureFacts(
        reason=ClosureReason.non_engagement,
        consultation_ends=ends,
        key_people={LEAD: "jsmith"},
        lead_social_workers=frozenset({LEAD}),
        responses={LEAD: ClosureStance.agree},
        rescored_since_proposed=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_non_engagement_is_refused_when_the_child_was_not_brought() -> None:
    assert blockers(closure(), now=NOW) == []
    [reason] = blockers(closure(not_brought=2), now=NOW)
    assert reason.startswith("2 missed appointment(s) in the last 90 days were recorded as was not brought")
    assert "non-engagement is not the young person's choice" in reason


def test_other_closure_reasons_are_not_blocked_by_was_not_brought() -> None:
    assert blockers(closure(reason=ClosureReason.needs_met, not_brought=2), now=NOW) == []
