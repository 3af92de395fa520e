"""Pure rules for what crosses domains: the partnership report's figures (Recommendation 6 of the review:
watch whether practice changes). Plain data in, figures out; `services/flows/report.py` reads the records.

Percentiles are by the nearest-rank method (the smallest value with at least p % of values at or below
it), so every figure is a time that really happened and can be traced to its record."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ALL = "all"


@dataclass(frozen=True)
class Told:
    """One person told of one attendance, and when they acknowledged (None: not yet)."""

    attendance_id: int
    recorded_at: datetime
    agency: str
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class AckSummary:
    attendances: int  # attendances whose alert reached someone of this agency (or anyone: ALL)
    acknowledged: int
    median_minutes: float | None
    p90_minutes: float | None


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def _summary(first_acks: dict[int, float | None]) -> AckSummary:
    minutes = [m for m in first_acks.values() if m is not None]
    return AckSummary(
        attendances=len(first_acks),
        acknowledged=len(minutes),
        median_minutes=nearest_rank(minutes, 50),
        p90_minutes=nearest_rank(minutes, 90),
    )


def acknowledgement_times(told: Iterable[Told]) -> dict[str, AckSummary]:
    """Minutes from an attendance being recorded to its first acknowledgement, overall (`ALL`) and by the
    agency of whoever acknowledged first within it; an attendance nobody has acknowledged counts in
    `attendances` but not in the times."""
    first: dict[str, dict[int, float | None]] = defaultdict(dict)
    for t in told:
        minutes = None
        if t.acknowledged_at is not None:
            minutes = max(0.0, (t.acknowledged_at - t.recorded_at).total_seconds() / 60)
        for key in (ALL, t.agency):
            seen = first[key].get(t.attendance_id)
            if t.attendance_id not in first[key] or (
                minutes is not None and (seen is None or minutes < seen)
            ):
                first[key][t.attendance_id] = minutes
    return {key: _summary(values) for key, values in sorted(first.items())}


@dataclass(frozen=True)
class Share:
    met: int
    of: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.of, 1) if self.of else None


def followed_up_within(
    discharges: Iterable[tuple[datetime, Sequence[datetime]]], *, hours: int = 72
) -> Share:
    """Discharges (each with the times of the community appointments booked for the young person, not
    cancelled) that had one within `hours` of leaving hospital."""
    window = timedelta(hours=hours)
    rows = list(discharges)
    met = sum(1 for left, seen in rows if any(left <= at <= left + window for at in seen))
    return Share(met, len(rows))


def reached_within(plans: Iterable[tuple[datetime, Sequence[datetime | None]]], *, hours: int = 24) -> Share:
    """Issued discharge plans whose every recipient was reached (their notice delivered) within `hours`.
    A plan with no recipient was reached by nobody: not met."""
    window = timedelta(hours=hours)
    rows = list(plans)
    met = sum(
        1
        for issued, delivered in rows
        if delivered and all(d is not None and d <= issued + window for d in delivered)
    )
    return Share(met, len(rows))


def accepted_within(
    transfers: Iterable[tuple[datetime, datetime | None]], *, deadline: Callable[[datetime], datetime]
) -> Share:
    """Transfers accepted by their deadline; `deadline(opened_at)` is when acceptance fell due (working
    days counted by the calendar, as the overdue chase counts them)."""
    rows = list(transfers)
    met = sum(1 for opened, accepted in rows if accepted is not None and accepted <= deadline(opened))
    return Share(met, len(rows))


def counted(keys: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Counts of (group, what) pairs: misses by service and kind, refusals by code."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for group, what in keys:
        out[group][what] += 1
    return {g: dict(sorted(w.items())) for g, w in sorted(out.items())}
