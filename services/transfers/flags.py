"""The safeguarding flags liaison raises about a young person, derived from what the record already holds,
and their FHIR R4 `Flag` form. Pure: plain data in, no I/O; time comes in as `now`.

Nothing here is stored: each flag is worked out afresh from the record (the chronology, the care team,
statuses, transfers, missed appointments), so it cannot drift from what happened.

- repeat attendance: a repeat-attendance rule was met (chronology `repeat_attendance`); active until the
  widest rule window has passed since the latest one;
- no care coordinator: nobody on the care team coordinates care; an earlier gap (chronology
  `no_care_coordinator`) shows as inactive, ended when a coordinator joined;
- child-protection plan, child in need, looked after: one flag per spell of each statutory status, from the
  status changes in the chronology (registration for statuses held from the start);
- transfer in progress: each transfer between local authorities, active while open or accepted;
- was not brought: a standing (not withdrawn) was-not-brought miss with the appointment inside the
  missed-appointments window; inactive once none is left in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fhir.resources.R4B.flag import Flag

from services.kernel.fhir import BASE, instant, subject

FLAG_CODE = f"{BASE}/CodeSystem/safeguarding-flag"
LIAISON_CATEGORY = f"{BASE}/CodeSystem/flag-category"
HL7_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_SYSTEM = "https://liaison.example/Id/flag"
STATUTORY = {"cp_plan": "Child protection plan", "cin": "Child in need", "lac": "Looked after child"}
DISPLAY = {  # in the order a reader meets them
    "cp-plan": STATUTORY["cp_plan"],
    "cin": STATUTORY["cin"],
    "lac": STATUTORY["lac"],
    "no-care-coordinator": "No care coordinator",
    "repeat-attendance": "Repeat attendance pattern",
    "was-not-brought": "Was not brought to appointments",
    "transfer-in-progress": "Transfer between local authorities in progress",
}
ADMINISTRATIVE = frozenset({"no-care-coordinator", "transfer-in-progress"})


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    before: frozenset[str]
    after: frozenset[str]


@dataclass(frozen=True)
class TransferFact:
    id: int
    from_la: str
    to_la: str
    status: str
    opened_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class MissFact:
    appointment_at: datetime
    status: str
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class FlagFacts:
    ref: str
    registered_at: datetime
    statuses: frozenset[str]
    status_changes: Sequence[StatusChange] = ()
    repeat_attendances: Sequence[datetime] = ()  # when each repeat_attendance rule was met
    repeat_window_days: int = 28
    coordinator_since: datetime | None = None  # earliest current care coordinator joined; None: nobody
    coordinator_left: datetime | None = None  # the last time a care coordinator left (a closure)
    no_coordinator_seen: Sequence[datetime] = ()  # chronology `no_care_coordinator` entries
    transfers: Sequence[TransferFact] = ()
    misses: Sequence[MissFact] = ()
    missed_window_days: int = 90


@dataclass(frozen=True)
class FlagState:
    code: str
    active: bool
    start: datetime
    end: datetime | None
    text: str
    key: str = ""  # tells flags of the same code apart (a transfer id, a status spell)
    detail: dict[str, Any] = field(default_factory=dict)


def _repeat(facts: FlagFacts, now: datetime) -> list[FlagState]:
    if not facts.repeat_attendances:
        return []
    window = timedelta(days=facts.repeat_window_days)
    times = sorted(facts.repeat_attendances)
    start = times[-1]
    for earlier in reversed(times[:-1]):  # the run of patterns each within a window of the next
        if start - earlier > window:
            break
        start = earlier
    count = sum(1 for t in times if t >= start)
    end = times[-1] + window
    text = f"A repeat-attendance rule was met {count} time(s) since {start:%Y-%m-%d}"
    return [FlagState("repeat-attendance", now < end, start, None if now < end else end, text)]


def _coordinator(facts: FlagFacts) -> list[FlagState]:
    if facts.coordinator_since is None:
        start = facts.coordinator_left or facts.registered_at
        text = "Nobody on the care team is named as care coordinator (a single point of contact)"
        return [FlagState("no-care-coordinator", True, start, None, text)]
    before = [t for t in facts.no_coordinator_seen if t <= facts.coordinator_since]
    if not before:
        return []
    text = "There was no care coordinator until one joined the care team"
    return [FlagState("no-care-coordinator", False, min(before), facts.coordinator_since, text)]


def _statuses(facts: FlagFacts) -> list[FlagState]:
    changes = sorted(facts.status_changes, key=lambda c: c.at)
    held = changes[0].before if changes else facts.statuses
    since = {s: facts.registered_at for s in held if s in STATUTORY}
    spells: list[tuple[str, datetime, datetime | None]] = []
    for change in changes:
        for s in sorted(change.before - change.after):
            if s in since:
                spells.append((s, since.pop(s), change.at))
        for s in sorted(change.after - change.before):
            if s in STATUTORY:
                since[s] = change.at
    spells += [(s, start, None) for s, start in since.items()]
    found: list[FlagState] = []
    counts: dict[str, int] = {}
    for s, start, end in sorted(spells, key=lambda spell: (spell[0], spell[1])):
        counts[s] = counts.get(s, 0) + 1
        code = s.replace("_", "-")
        found.append(FlagState(code, end is None, start, end, STATUTORY[s], key=str(counts[s])))
    return found


def _transfers(facts: FlagFacts) -> list[FlagState]:
    found = []
    for t in facts.transfers:
        live = t.status in ("open", "accepted")
        text = f"Transfer from {t.from_la} to {t.to_la}: {t.status}"
        end = None if live else (t.ended_at or t.opened_at)
        found.append(
            FlagState(
                "transfer-in-progress", live, t.opened_at, end, text, key=str(t.id), detail={"id": t.id}
            )
        )
    return found


def _not_brought(facts: FlagFacts, now: datetime) -> list[FlagState]:
    window = timedelta(days=facts.missed_window_days)
    misses = [m for m in facts.misses if m.status == "was_not_brought"]
    if not misses:
        return []
    standing = [m for m in misses if m.withdrawn_at is None and now - window < m.appointment_at <= now]
    if standing:
        start = min(m.appointment_at for m in standing)
        text = f"{len(standing)} appointment(s) in the last {facts.missed_window_days} days: was not brought"
        return [FlagState("was-not-brought", True, start, None, text)]
    end = max(m.withdrawn_at or m.appointment_at + window for m in misses)
    start = min(m.appointment_at for m in misses)
    text = f"No was-not-brought appointment left in the last {facts.missed_window_days} days"
    return [FlagState("was-not-brought", False, start, max(end, start), text)]


def derive(facts: FlagFacts, *, now: datetime) -> list[FlagState]:
    """Every flag, active and inactive, in a stable order (active first)."""
    found = [
        *_statuses(facts),
        *_coordinator(facts),
        *_repeat(facts, now),
        *_not_brought(facts, now),
        *_transfers(facts),
    ]
    return sorted(found, key=lambda f: (not f.active, list(DISPLAY).index(f.code), f.key))


def flag(state: FlagState, *, ref: str) -> dict[str, Any]:
    """One flag as an R4 Flag about the young person (by ref), authored by liaison itself."""
    suffix = f"-{state.key}" if state.key else ""
    categories = [
        {"coding": [{"system": LIAISON_CATEGORY, "code": "safeguarding", "display": "Safeguarding"}]}
    ]
    if state.code in ADMINISTRATIVE:
        categories.append(
            {"coding": [{"system": HL7_CATEGORY, "code": "admin", "display": "Administrative"}]}
        )
    period = {"start": instant(state.start)}
    if state.end is not None:
        period["end"] = instant(state.end)
    resource: dict[str, Any] = {
        "resourceType": "Flag",
        "id": f"flag-{state.code}{suffix}".replace("_", "-"),
        "identifier": [{"system": FLAG_SYSTEM, "value": f"{ref}/{state.code}{suffix}"}],
        "status": "active" if state.active else "inactive",
        "category": categories,
        "code": {
            "coding": [{"system": FLAG_CODE, "code": state.code, "display": DISPLAY[state.code]}],
            "text": state.text,
        },
        "subject": subject(ref),
        "period": period,
        "author": {"type": "Device", "display": "liaison (derived from the record)"},
    }
    Flag.model_validate(resource)
    return resource
