"""The closure guard: pure rules over plain data.

Mental-health services closed Jez's case for non-attendance without asking anyone. Here a service that
wants to end its involvement proposes a closure; the care team is consulted; a disengagement closure
(non-engagement, declined) needs a fresh needs assessment first, and for a child with a child-protection
plan, child-in-need plan or who is looked after, the lead social worker's agreement (a missed appointment
may be a child not brought); a non-engagement closure is refused while recent misses were recorded as was not
brought (not the child's choice); an objection moves the decision to a manager. Every decision is documented.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from schemas.enums import ClosureReason, ClosureStance
from services.kernel.clock import utc_minute

STATUTORY = frozenset({"cp_plan", "cin", "lac"})


@dataclass(frozen=True)
class ClosureFacts:
    reason: ClosureReason
    consultation_ends: datetime
    key_people: Mapping[int, str]  # lead social worker and care coordinator(s): user id -> username
    lead_social_workers: frozenset[int]
    responses: Mapping[int, ClosureStance] = field(default_factory=dict)
    rescored_since_proposed: bool = False
    statuses: frozenset[str] = frozenset()
    decider_is_manager: bool = False  # team manager, safeguarding lead or admin
    not_brought: int = 0  # missed appointments recorded as was_not_brought within the window
    not_brought_window_days: int = 90
    member_is_lead_social_worker: bool = False
    live_transfer_id: int | None = None  # a transfer between local authorities not yet completed


def blockers(facts: ClosureFacts, *, now: datetime) -> list[str]:
    """What still stands in the way of closing, in plain words; empty when the closure may be decided."""
    found: list[str] = []
    silent = sorted(name for uid, name in facts.key_people.items() if uid not in facts.responses)
    if silent and now < facts.consultation_ends:
        found.append(
            f"the care team is still being consulted until {utc_minute(facts.consultation_ends)}: "
            f"no answer yet from {', '.join(silent)}"
        )
    if facts.reason.disengagement:
        if not facts.key_people:
            found.append(
                "nobody is named as lead social worker or care coordinator to consult: name one before "
                "closing for disengagement"
            )
        if not facts.rescored_since_proposed:
            found.append("re-score the needs assessment (complete one after the closure was proposed)")
        statutory = sorted(facts.statuses & STATUTORY)
        agreed = any(facts.responses.get(uid) == ClosureStance.agree for uid in facts.lead_social_workers)
        if statutory and not agreed:
            found.append(
                f"the young person has {', '.join(s.replace('_', ' ').upper() for s in statutory)} status: "
                "the lead social worker must agree (missed appointments may mean the child was not brought)"
            )
    if facts.reason == ClosureReason.non_engagement and facts.not_brought:
        found.append(
            f"{facts.not_brought} missed appointment(s) in the last {facts.not_brought_window_days} days "
            "were recorded as was not brought: non-engagement is not the young person's choice when they "
            "were not brought; find out why with the care team and address it, rather than close for "
            "non-engagement"
        )
    if facts.member_is_lead_social_worker and facts.live_transfer_id is not None:
        found.append(
            f"transfer {facts.live_transfer_id} between local authorities is in progress: the lead social "
            "worker stays on the care team until the handover is completed"
        )
    if ClosureStance.object in facts.responses.values() and not facts.decider_is_manager:
        found.append("a care-team member objected: a team manager or safeguarding lead must decide")
    return found
