"""Plan rules: pure functions over plain data, tested without I/O.

What a multi-agency discharge plan needs before it is issued comes from the review of Jez's death: nobody
coordinated his care (a named care coordinator is required), he had a safety plan but no care plan (a care
plan is required; a safety plan alone is a warning), and discharges happened without a dated community
follow-up (one within the first-contact target, 72 h by default, 48 h as an option). The CNEST level is
shown on the plan but is never a criterion: NICE NG225 forbids using risk stratification to decide discharge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

SAFETY_PLAN_WITHOUT_CARE_PLAN = "safety plan without care plan"
DISTRIBUTION_HOURS = 24  # NICE QS159 statement 3: the plan reaches everyone named in it within 24 h
COUNTING = ("scheduled", "attended")  # follow-up statuses that can meet the first-contact target


@dataclass(frozen=True)
class FollowUp:
    at: datetime
    status: str


@dataclass(frozen=True)
class PlanFacts:
    """What readiness looks at, and what it deliberately does not (the CNEST level)."""

    care_coordinator: str | None
    has_care_plan: bool
    has_safety_plan: bool
    follow_ups: Sequence[FollowUp]
    discharge_at: datetime
    first_contact_hours: int
    review_date: date | None
    lead_social_worker: str | None = None
    risk_formulation: str | None = None
    consent_recorded: bool = False
    cnest_level: str | None = None  # shown on the plan; never read by `readiness`


@dataclass(frozen=True)
class Readiness:
    missing: list[str]
    warnings: list[str]
    first_contact_due_by: datetime

    @property
    def ready(self) -> bool:
        return not self.missing


def first_contact_due_by(discharge_at: datetime, hours: int) -> datetime:
    return discharge_at + timedelta(hours=hours)


def within_first_contact(follow_up: FollowUp, *, discharge_at: datetime, hours: int) -> bool:
    """A scheduled or attended appointment between discharge and the first-contact deadline."""
    due = first_contact_due_by(discharge_at, hours)
    return follow_up.status in COUNTING and discharge_at <= follow_up.at <= due


def plan_warnings(*, has_care_plan: bool, has_safety_plan: bool) -> list[str]:
    """Warnings about the young person's plans as a whole (shown by the API and in the chronology)."""
    return [SAFETY_PLAN_WITHOUT_CARE_PLAN] if has_safety_plan and not has_care_plan else []


def readiness(facts: PlanFacts) -> Readiness:
    """What is missing before a discharge plan can be issued, and what is only a warning."""
    due = first_contact_due_by(facts.discharge_at, facts.first_contact_hours)
    missing: list[str] = []
    if not facts.care_coordinator:
        missing.append(
            "a named care coordinator (add a care-team member with the role care_coordinator and name "
            "them as care_coordinator)"
        )
    if not facts.has_care_plan:
        missing.append(
            "a care plan (NICE NG225: a safety plan is not a care plan)"
            if facts.has_safety_plan
            else "a care plan"
        )
    if not any(
        within_first_contact(f, discharge_at=facts.discharge_at, hours=facts.first_contact_hours)
        for f in facts.follow_ups
    ):
        missing.append(
            f"a follow-up appointment within {facts.first_contact_hours} h of discharge "
            f"(by {due.isoformat(timespec='minutes')})"
        )
    if facts.review_date is None:
        missing.append("a review date")
    warnings = plan_warnings(has_care_plan=facts.has_care_plan, has_safety_plan=facts.has_safety_plan)
    if not facts.has_safety_plan:
        warnings.append("no safety plan")
    if not facts.lead_social_worker:
        warnings.append("no lead social worker named")
    if not (facts.risk_formulation or "").strip():
        warnings.append("no risk formulation")
    if not facts.consent_recorded:
        warnings.append("consent to share or the lawful basis is not recorded")
    return Readiness(missing=missing, warnings=warnings, first_contact_due_by=due)


def review_overdue(review_date: date, today: date) -> bool:
    return review_date < today


def review_prompt_due(*, review_date: date, prompted_for: date | None, today: date) -> bool:
    """A care plan past its review date prompts once for that date; a new date prompts again."""
    return review_overdue(review_date, today) and prompted_for != review_date


def distribution_due_by(issued_at: datetime) -> datetime:
    return issued_at + timedelta(hours=DISTRIBUTION_HOURS)


def reached_in_time(*, issued_at: datetime, reached_at: datetime | None, now: datetime) -> bool | None:
    """True if reached within 24 h of issue, False if not (and the 24 h are over), None while running."""
    due = distribution_due_by(issued_at)
    if reached_at is not None:
        return reached_at <= due
    return False if now > due else None


def all_reached_in_time(outcomes: Sequence[bool | None]) -> bool | None:
    """True when everyone named was reached in time, False when anyone was not, None while running."""
    if any(o is False for o in outcomes):
        return False
    if all(o is True for o in outcomes):
        return True
    return None


def withheld_agencies(content: Mapping[str, Any]) -> frozenset[str]:
    """The agencies a care plan's content records the young person did not consent to share it with
    (`sharing.agency_consent` false). Not recorded, or true: not withheld."""
    consent = (content.get("sharing") or {}).get("agency_consent") or {}
    return frozenset(str(agency) for agency, given in consent.items() if given is False)
