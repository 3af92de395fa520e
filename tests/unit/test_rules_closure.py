"""The closure guard over plain data: nobody closes for non-attendance without asking the care team."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from schemas.enums import ClosureReason, ClosureStance
from services.closures.rules import ClosureFacts, blockers

PROPOSED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ENDS = PROPOSED + timedelta(days=5)
LEAD, COORDINATOR = 1, 2
KEY = {LEAD: "jsmith", COORDINATOR: "nurse"}


def facts(reason: ClosureReason = ClosureReason.non_engagement, **changes: object) -> ClosureFacts:
    base = ClosureFacts(
        reason=reason, consultation_ends=ENDS, key_people=KEY, lead_social_workers=frozenset({LEAD})
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_non_engagement_closure_is_blocked_until_consulted_and_re_scored() -> None:
    found = blockers(facts(), now=PROPOSED + timedelta(hours=1))
    assert len(found) == 2
    assert "no answer yet from jsmith, nurse" in found[0]
    assert found[1].startswith("re-score the needs assessment")


def test_after_the_consultation_and_a_re_score_it_may_be_decided() -> None:
    assert blockers(facts(rescored_since_proposed=True), now=ENDS) == []


def test_answers_from_every_key_person_end_the_consultation_early() -> None:
    answered = {LEAD: ClosureStance.agree, COORDINATOR: ClosureStance.agree}
    assert blockers(facts(ClosureReason.needs_met, responses=answered), now=PROPOSED) == []
    assert blockers(facts(ClosureReason.needs_met, responses={LEAD: ClosureStance.agree}), now=PROPOSED) != []


def test_a_child_protection_plan_needs_the_lead_social_workers_agreement() -> None:
    cp = facts(rescored_since_proposed=True, statuses=frozenset({"cp_plan"}))
    [reason] = blockers(cp, now=ENDS + timedelta(days=30))  # silence is not agreement
    assert "CP PLAN status: the lead social worker must agree" in reason
    agreed = facts(
        rescored_since_proposed=True, statuses=frozenset({"cp_plan"}), responses={LEAD: ClosureStance.agree}
    )
    assert blockers(agreed, now=ENDS) == []


def test_needs_met_needs_no_re_score_and_no_social_worker_agreement() -> None:
    assert blockers(facts(ClosureReason.needs_met, statuses=frozenset({"lac"})), now=ENDS) == []


def test_an_objection_moves_the_decision_to_a_manager() -> None:
    objected = {LEAD: ClosureStance.object, COORDINATOR: ClosureStance.agree}
    [reason] = blockers(facts(ClosureReason.moved_away, responses=objected), now=PROPOSED)
    assert "a team manager or safeguarding lead must decide" in reason
    managed = facts(ClosureReason.moved_away, responses=objected, decider_is_manager=True)
    assert blockers(managed, now=PROPOSED) == []


def test_disengagement_with_nobody_to_consult_is_refused() -> None:
    lonely = facts(key_people={}, lead_social_workers=frozenset(), rescored_since_proposed=True)
    [reason] = blockers(lonely, now=ENDS)
    assert reason.startswith("nobody is named as lead social worker or care coordinator")
    assert blockers(facts(ClosureReason.transferred, key_people={}), now=ENDS) == []
