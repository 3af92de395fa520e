"""The cross-border transfer: pure rules over plain data (no I/O), tested without a database.

Jez moved to his father's local authority, was discharged there with the one good, coordinated plan, then
moved back to his mother's and nobody who held that plan was told (LCSPR "Jez and siblings", 4.76-4.81).
CP-IS is England-only and tells only the local authority (domain §6.3). So a change of where the young
person lives, or of which local authority is responsible, opens a transfer: both authorities are told,
the sending one keeps responsibility until the receiving one accepts, and a handover checklist says what
is still outstanding before the handover can be called complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from schemas.api.transfers import TransferChange as TransferChange
from schemas.api.transfers import TransferItem as TransferItem
from schemas.enums import TransferStatus
from services.kernel.worktime.rules import DEFAULT_CALENDAR, WorkingCalendar

# Which status each step leads to, from which statuses.
STEPS: dict[TransferStatus, frozenset[TransferStatus]] = {
    TransferStatus.accepted: frozenset({TransferStatus.open}),
    TransferStatus.declined: frozenset({TransferStatus.open}),
    TransferStatus.completed: frozenset({TransferStatus.accepted}),
    TransferStatus.withdrawn: frozenset({TransferStatus.open, TransferStatus.accepted}),
}


def step_refusal(current: TransferStatus, to: TransferStatus) -> str | None:
    """Why the transfer cannot move to `to` from `current`; None when it can."""
    if current in STEPS[to]:
        return None
    if current == TransferStatus.open and to == TransferStatus.completed:
        return None  # completion is refused with the outstanding items (acceptance among them)
    return f"the transfer is {current}: it cannot be {to}"


# ---------------------------------------------------------------------------------------------------------
# Which moves open a transfer


@dataclass(frozen=True)
class LaState:
    responsible_la: str
    residence_la: str | None

    @property
    def lives_in(self) -> str:
        """Where the young person lives: the residence LA, or the responsible LA when none is recorded."""
        return self.residence_la or self.responsible_la


@dataclass(frozen=True)
class Move:
    from_la: str
    to_la: str
    changed: frozenset[TransferChange]


def moves(before: LaState, after: LaState) -> list[Move]:
    """The transfers a change of details opens: one per pair of local authorities.

    - a new residence LA that means the young person now lives in another local authority (a move back
      into the responsible LA counts: Jez went back to his mother and the plan's team was never told);
    - a new responsible LA.
    When both change between the same two authorities they make one transfer.
    """
    found: dict[tuple[str, str], set[TransferChange]] = {}
    if before.residence_la != after.residence_la and before.lives_in != after.lives_in:
        found.setdefault((before.lives_in, after.lives_in), set()).add(TransferChange.residence)
    if before.responsible_la != after.responsible_la:
        found.setdefault((before.responsible_la, after.responsible_la), set()).add(
            TransferChange.responsibility
        )
    return [Move(f, t, frozenset(c)) for (f, t), c in found.items()]


@dataclass(frozen=True)
class LiveTransfer:
    id: int
    changed: frozenset[TransferChange]
    status: TransferStatus


def superseded(live: Iterable[LiveTransfer], move: Move) -> list[int]:
    """Transfers still in progress that a new move of the same kind makes out of date (a second move
    before the first handover finished): they are withdrawn and the new one is opened."""
    return [t.id for t in live if t.status.live and t.changed & move.changed]


# ---------------------------------------------------------------------------------------------------------
# The handover checklist


class Requirement(StrEnum):
    """When an item must be done before the handover is complete."""

    always = "always"
    statutory = "statutory"  # the young person has a CP plan, CIN plan or is looked after
    cp_plan = "cp_plan"
    residence = "residence"  # the young person now lives in another local authority
    safety_plan = "safety_plan"  # there is a safety plan to share


STATUTORY = frozenset({"cp_plan", "cin", "lac"})


@dataclass(frozen=True)
class ItemSpec:
    item: TransferItem
    label: str
    required: Requirement
    receiving_la_only: bool = False  # only someone of the receiving LA may tick it
    needs_date: bool = False  # the tick carries a date (the conference date)


CHECKLIST: tuple[ItemSpec, ...] = (
    ItemSpec(
        TransferItem.accepted, "the receiving local authority has accepted the transfer", Requirement.always
    ),
    ItemSpec(
        TransferItem.receiving_lead_social_worker,
        "a lead social worker of the receiving local authority is named on the care team",
        Requirement.statutory,
    ),
    ItemSpec(
        TransferItem.status_confirmed,
        "CP plan / looked-after / child-in-need status confirmed by the receiving local authority",
        Requirement.statutory,
        receiving_la_only=True,
    ),
    ItemSpec(TransferItem.care_plan_shared, "the current care plan shared", Requirement.always),
    ItemSpec(TransferItem.safety_plan_shared, "the current safety plan shared", Requirement.safety_plan),
    ItemSpec(TransferItem.gp_registration, "GP registration updated", Requirement.residence),
    ItemSpec(
        TransferItem.education_placement, "school or education placement confirmed", Requirement.residence
    ),
    ItemSpec(
        TransferItem.camhs,
        "CAMHS referral to the new area made, or the existing CAMHS continuing",
        Requirement.residence,
    ),
    ItemSpec(TransferItem.young_persons_views, "the young person's views recorded", Requirement.always),
    ItemSpec(
        TransferItem.transfer_in_conference,
        "transfer-in child protection conference date set",
        Requirement.cp_plan,
        receiving_la_only=True,
        needs_date=True,
    ),
)
SPECS = {spec.item: spec for spec in CHECKLIST}


@dataclass(frozen=True)
class ChecklistFacts:
    to_la: str
    changed: frozenset[TransferChange]
    statuses: frozenset[str]
    accepted: bool
    ticked: frozenset[TransferItem] = frozenset()
    receiving_lead_social_worker: bool = False  # a lead social worker of `to_la` is on the care team
    has_care_plan: bool = False
    has_safety_plan: bool = False


def is_required(spec: ItemSpec, facts: ChecklistFacts) -> bool:
    match spec.required:
        case Requirement.always:
            return True
        case Requirement.statutory:
            return bool(facts.statuses & STATUTORY)
        case Requirement.cp_plan:
            return "cp_plan" in facts.statuses
        case Requirement.residence:
            return TransferChange.residence in facts.changed
        case Requirement.safety_plan:
            return facts.has_safety_plan


def _fact_missing(item: TransferItem, facts: ChecklistFacts) -> str | None:
    """For items the service can check: what is not true yet."""
    match item:
        case TransferItem.receiving_lead_social_worker if not facts.receiving_lead_social_worker:
            return f"no lead social worker of {facts.to_la} is on the care team yet: add them first"
        case TransferItem.care_plan_shared if not facts.has_care_plan:
            return (
                "there is no current care plan to share: write one first (a safety plan is not a care plan)"
            )
        case TransferItem.safety_plan_shared if not facts.has_safety_plan:
            return "there is no current safety plan to share"
    return None


def is_done(spec: ItemSpec, facts: ChecklistFacts) -> bool:
    """Ticked, and what the service can check still holds (a lead social worker who has since left the
    care team no longer counts)."""
    if spec.item == TransferItem.accepted:
        return facts.accepted
    return spec.item in facts.ticked and _fact_missing(spec.item, facts) is None


def outstanding(facts: ChecklistFacts) -> list[ItemSpec]:
    """The required items not yet done, in checklist order: empty when the handover may be completed."""
    return [s for s in CHECKLIST if is_required(s, facts) and not is_done(s, facts)]


def completion_refusal(status: TransferStatus, facts: ChecklistFacts) -> str | None:
    """Why the handover cannot be completed now, naming every outstanding item; None when it can."""
    refusal = step_refusal(status, TransferStatus.completed)
    if refusal is not None:
        return refusal
    missing = outstanding(facts)
    if not missing:
        return None
    return "the handover cannot be completed yet; outstanding: " + "; ".join(
        f"{s.item} ({s.label})" for s in missing
    )


class RefusalKind(StrEnum):
    conflict = "conflict"  # 409: the state of things does not allow it now
    forbidden = "forbidden"  # 403: not this person
    invalid = "invalid"  # 422: the request lacks something


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    reason: str


def tick_refusal(
    item: TransferItem,
    facts: ChecklistFacts,
    *,
    status: TransferStatus,
    ticker_la: str | None,
    on: date | None,
) -> Refusal | None:
    """Why this person may not tick this item now; None when they may."""
    spec = SPECS[item]
    if item == TransferItem.accepted:
        return Refusal(
            RefusalKind.invalid, "acceptance is recorded by accepting the transfer (POST .../accept)"
        )
    if not status.live:
        return Refusal(RefusalKind.conflict, f"the transfer is {status}: its checklist is closed")
    if item in facts.ticked:
        return Refusal(RefusalKind.conflict, f"{item} is already ticked")
    if spec.receiving_la_only and ticker_la != facts.to_la:
        return Refusal(
            RefusalKind.forbidden, f"{item} is confirmed by someone of the receiving LA ({facts.to_la})"
        )
    if spec.needs_date and on is None:
        return Refusal(RefusalKind.invalid, f"{item} needs the date (`date`)")
    missing = _fact_missing(item, facts)
    if missing is not None:
        return Refusal(RefusalKind.conflict, missing)
    return None


# ---------------------------------------------------------------------------------------------------------
# Chasing a transfer nobody has accepted


def thresholds_passed(
    *,
    opened_at: datetime,
    now: datetime,
    every_working_days: int,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
    limit: int = 520,
) -> int:
    """How many whole periods of `every_working_days` working days (the calendar's: weekends and bank
    holidays are not) have passed since the transfer opened: 0 before the first, 1 from the first until
    the second, and so on."""
    count = 0
    while count < limit and calendar.add_working_days(opened_at, (count + 1) * every_working_days) <= now:
        count += 1
    return count


def chase_due(
    *,
    status: TransferStatus,
    opened_at: datetime,
    chased: int,
    now: datetime,
    every_working_days: int,
    calendar: WorkingCalendar = DEFAULT_CALENDAR,
) -> int | None:
    """The threshold to chase now (both LAs' safeguarding leads are told once per threshold), or None.
    A late run chases the latest threshold only, never a backlog of them."""
    if status != TransferStatus.open:
        return None
    passed = thresholds_passed(
        opened_at=opened_at, now=now, every_working_days=every_working_days, calendar=calendar
    )
    return passed if passed > chased else None


def labels(changed: Sequence[TransferChange] | frozenset[TransferChange]) -> str:
    """ "residence and responsibility" """
    words = {TransferChange.residence: "residence", TransferChange.responsibility: "responsibility"}
    return " and ".join(words[c] for c in TransferChange if c in changed)
