"""Was not brought / did not attend: pure rules over plain data.

A child who misses an appointment was usually *not brought*: they rely on others to get them there, and
"did not attend" wrongly blames them. Only an adolescent judged competent to decide (Gillick or Fraser
under 16, the Mental Capacity Act from 16) who made an informed choice not to go is recorded as
did_not_attend. Every miss records why and what got in the way. Mental-health services closed Jez's case
for non-attendance without asking anyone; here a miss is never only recorded:

- any miss by a child with a child-protection plan, a child-in-need plan or who is looked after: the lead
  social worker is told at once (the local authority's safeguarding lead when nobody is named);
- every miss: the care coordinator (the lead social worker when nobody coordinates care);
- `threshold` or more misses within `window_days`: also the GP, the services whose appointments were
  missed (the referrer) and the responsible local authority's safeguarding lead(s).

The same rules hold for a discharge plan's follow-up and for any other care-team appointment (booked by
hand or reported by a hospital or clinic system): the threshold counts both kinds.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from schemas.api.appointments import Barrier, CapacityFramework, MissStatus
from schemas.enums import CareTeamRole
from services.kernel.clock import utc_minute

STATUTORY = frozenset({"cp_plan", "cin", "lac"})
MISSES = frozenset({"was_not_brought", "did_not_attend"})
UNDER_16 = frozenset({CapacityFramework.gillick, CapacityFramework.fraser})
BARRIER_WORDS = ", ".join(b.value for b in Barrier)


@dataclass(frozen=True)
class Capacity:
    framework: CapacityFramework
    competent: bool
    informed_choice: bool
    assessed_on: date


@dataclass(frozen=True)
class Miss:
    """What the person recording a missed appointment says about it."""

    status: MissStatus
    reason: str | None
    barriers: Collection[Barrier]
    capacity: Capacity | None
    appointment_at: datetime
    date_of_birth: date


def age_on(date_of_birth: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def problems(miss: Miss, *, now: datetime) -> list[str]:
    """Everything that stops the miss being recorded as given, in plain words; empty when it may be."""
    found: list[str] = []
    if miss.appointment_at > now:
        found.append(
            f"the appointment is on {utc_minute(miss.appointment_at)}: it cannot be missed before it "
            "happens (record cancelled if it will not go ahead)"
        )
    if not (miss.reason or "").strip():
        found.append("missing the reason (why the appointment was missed, as far as is known)")
    if not miss.barriers:
        found.append(f"missing the barriers (what got in the way: one or more of {BARRIER_WORDS})")
    elif Barrier.unknown in miss.barriers and len(set(miss.barriers)) > 1:
        found.append("barriers: 'unknown' cannot be given together with other barriers")
    if miss.status == MissStatus.did_not_attend:
        found.extend(_capacity_problems(miss, now))
    return found


def _capacity_problems(miss: Miss, now: datetime) -> list[str]:
    """did_not_attend says it was the young person's own choice: that needs a capacity check saying so."""
    capacity = miss.capacity
    if capacity is None:
        return [
            "missing the adolescent-capacity check (`capacity`: framework gillick or fraser under 16, mca "
            "from 16; competent; informed_choice; assessed_on; note): without one the miss is recorded as "
            "was_not_brought"
        ]
    found: list[str] = []
    age = age_on(miss.date_of_birth, miss.appointment_at.date())
    if age < 16 and capacity.framework not in UNDER_16:
        found.append(
            f"the capacity check uses {capacity.framework} but the young person was under 16 at the "
            "appointment: use gillick or fraser"
        )
    if age >= 16 and capacity.framework != CapacityFramework.mca:
        found.append(
            f"the capacity check uses {capacity.framework} but the young person was 16 or over at the "
            "appointment: use mca (the Mental Capacity Act)"
        )
    if not capacity.competent:
        found.append(
            "the capacity check does not find the young person competent to decide about attending: "
            "record was_not_brought"
        )
    if not capacity.informed_choice:
        found.append(
            "the capacity check does not record an informed choice not to attend: record was_not_brought"
        )
    if capacity.assessed_on > now.date():
        found.append(f"the capacity check is dated {capacity.assessed_on}, in the future")
    return found


def in_window(at: datetime, *, now: datetime, window_days: int) -> bool:
    """Whether an appointment falls in the window: the `window_days` up to and including now."""
    return now - timedelta(days=window_days) < at <= now


def count_in_window(appointments: Iterable[datetime], *, now: datetime, window_days: int) -> int:
    return sum(1 for at in appointments if in_window(at, now=now, window_days=window_days))


@dataclass(frozen=True)
class MissFacts:
    """Who could be told about one miss. Ids are user ids; members are active care-team members."""

    statuses: frozenset[str]
    members: Sequence[tuple[int, CareTeamRole]]
    owners: Sequence[int]  # who owns the missed appointments in the window (the referring services)
    safeguarding_leads: Sequence[int]  # the responsible local authority's (its duty team when none)
    misses_in_window: int  # this one included
    threshold: int
    # Misses in the window whose owning service is not known (an intake appointment from a sending facility
    # APPOINTMENT_OWNER_TEAMS does not map): at the threshold nobody can be told as their referrer.
    unowned: int = 0


@dataclass
class Told:
    user_id: int
    role: CareTeamRole  # what they are told as
    because: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    told: list[Told]
    pattern: bool  # `threshold` or more misses in the window
    gaps: list[str]  # people who should have been there and were not


def who_is_told(facts: MissFacts) -> Decision:
    """Everyone to tell about this miss, each once with every reason they are told."""
    told: dict[int, Told] = {}
    gaps: list[str] = []
    member_roles = dict(facts.members)

    def tell(user_ids: Iterable[int], role: CareTeamRole, because: str) -> None:
        for user_id in user_ids:
            told.setdefault(user_id, Told(user_id, role)).because.append(because)

    leads = [uid for uid, role in facts.members if role == CareTeamRole.lead_social_worker]
    coordinators = [uid for uid, role in facts.members if role == CareTeamRole.care_coordinator]
    statutory = sorted(facts.statuses & STATUTORY)
    if statutory:
        tell(leads, CareTeamRole.lead_social_worker, "statutory")
        if not leads:
            gaps.append(
                f"no lead social worker is named for a child with {', '.join(s.upper() for s in statutory)} "
                "status"
            )
            tell(facts.safeguarding_leads, CareTeamRole.safeguarding_lead, "no_lead_social_worker")
    if coordinators:
        tell(coordinators, CareTeamRole.care_coordinator, "care_coordinator")
    elif leads:
        tell(leads, CareTeamRole.lead_social_worker, "care_coordinator_fallback")
    else:
        gaps.append("nobody is named as care coordinator or lead social worker")
        tell(facts.safeguarding_leads, CareTeamRole.safeguarding_lead, "nobody_coordinates")
    pattern = facts.misses_in_window >= facts.threshold
    if pattern:
        gps = [uid for uid, role in facts.members if role == CareTeamRole.gp]
        if not gps:
            gaps.append("no GP is on the care team")
        tell(gps, CareTeamRole.gp, "pattern_gp")
        for owner in facts.owners:
            tell([owner], member_roles.get(owner, CareTeamRole.other), "pattern_referrer")
        if facts.unowned:
            gaps.append(
                f"the service that owns {facts.unowned} of the missed appointments is not known (booking "
                "system not mapped to a team): the coordinator and safeguarding lead are told instead"
            )
        tell(facts.safeguarding_leads, CareTeamRole.safeguarding_lead, "pattern_safeguarding_lead")
    return Decision(told=list(told.values()), pattern=pattern, gaps=gaps)


@dataclass(frozen=True)
class WithdrawalFacts:
    """Who was told of a miss now withdrawn. Pairs are (user id, the role they were told as)."""

    told_of_miss: Sequence[tuple[int, CareTeamRole]]  # its own notifications and the escalations about them
    told_of_pattern: Sequence[tuple[int, CareTeamRole]]  # told the threshold was met by a miss it counts in
    counted: bool  # the miss was standing with its appointment in the window
    misses_in_window: int  # standing misses in the window before the withdrawal, this one included if counted
    threshold: int


@dataclass(frozen=True)
class WithdrawalDecision:
    told: list[Told]
    pattern_lifted: bool  # the withdrawal takes the count in the window below the threshold


def who_is_told_of_withdrawal(facts: WithdrawalFacts) -> WithdrawalDecision:
    """Everyone told of the miss is told it was withdrawn; and when it counted towards a threshold that no
    longer stands without it, everyone told of that threshold too. Each once, with every reason."""
    told: dict[int, Told] = {}

    def tell(people: Iterable[tuple[int, CareTeamRole]], because: str) -> None:
        for user_id, role in people:
            entry = told.setdefault(user_id, Told(user_id, role))
            if because not in entry.because:
                entry.because.append(because)

    tell(facts.told_of_miss, "told_of_miss")
    lifted = (
        facts.counted
        and facts.misses_in_window >= facts.threshold
        and facts.misses_in_window - 1 < facts.threshold
    )
    if lifted:
        tell(facts.told_of_pattern, "told_of_pattern")
    return WithdrawalDecision(told=list(told.values()), pattern_lifted=lifted)


def move_refusal(*, label: str, status: str, source: str, facility: str | None) -> str | None:
    """Why an appointment may not be moved (its time, owning team, owner or kind), or None when it may:
    only one not yet held, booked in liaison. A miss stands for the appointment it was of."""
    if status in MISSES:
        return (
            f"{label} has a recorded miss ({status.replace('_', ' ')}): a missed appointment is not moved. "
            "Book a new appointment to re-offer it; if the miss was recorded in error, record the outcome "
            "that happened first"
        )
    if status != "scheduled":
        return f"{label} is {status}: only an appointment not yet held is moved (book a new one)"
    if source != "api":
        return (
            f"{label} comes from the booking system of {facility or 'a hospital or clinic'}: move it there "
            "(its next message would undo a move made here)"
        )
    return None


# What a hospital or clinic system says of an appointment (HL7 SIU, FHIR Appointment.status).
class IntakeAction(StrEnum):
    booked = "booked"  # SIU S12/S13/S14, Appointment booked/pending/proposed/waitlist
    attended = "attended"  # Appointment arrived/checked-in/fulfilled
    cancelled = "cancelled"  # SIU S15, Appointment cancelled
    deleted = "deleted"  # SIU S17, Appointment entered-in-error: the booking was made in error
    noshow = "noshow"  # SIU S26, Appointment noshow


def intake_change(current: str | None, action: IntakeAction) -> str | None:
    """The status an intake message moves an appointment to (None: the appointment is new), or None when
    it changes nothing.

    - A booking (re)schedules an appointment not yet held or one cancelled; it never undoes an outcome.
    - An arrival always stands: it withdraws a miss recorded for the same appointment.
    - A cancellation only cancels an appointment still to come: a miss already recorded is not undone by
      the clinic cancelling the slot afterwards.
    - A deletion (the booking was made in error) cancels it, whatever was recorded of it but an arrival: a
      miss of an appointment that never was is withdrawn. An unknown one stays unknown.
    - A no-show is recorded as was_not_brought unless a miss is already recorded (a person's own record,
      say did_not_attend after a capacity check, stands).
    """
    match action:
        case IntakeAction.booked:
            return "scheduled" if current in (None, "scheduled", "cancelled") else None
        case IntakeAction.attended:
            return None if current == "attended" else "attended"
        case IntakeAction.cancelled:
            return "cancelled" if current in (None, "scheduled") else None
        case IntakeAction.deleted:
            return "cancelled" if current in ("scheduled", *MISSES) else None
        case _:
            return None if current in MISSES else "was_not_brought"


KIND_WORDS: tuple[tuple[str, str], ...] = (
    (r"camhs|mental health|psychiatr|psycholog|eating disorder", "camhs"),
    (r"paediatric|pediatric|child health|community nurs", "community_paediatrics"),
    (r"social (?:care|work)|home visit|child protection|children's services", "social_care_visit"),
)


def kind_from(texts: Iterable[str]) -> str:
    """The appointment kind the booking system's service, type or specialty texts show; `other` if none."""
    for text in texts:
        for pattern, kind in KIND_WORDS:
            if re.search(pattern, text, re.I):
                return kind
    return "other"
