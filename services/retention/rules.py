"""Retention rules: what is past its retention period, from plain data and an injected `today` (no I/O).

A young person's record in liaison is both a child's health record and a safeguarding case record (the
Records Management Code of Practice, NHS England 2021/2023, Appendix II; docs/retention.md): it is kept to
the later of the 25th birthday (the 26th if they were 17 at the end of treatment, taken as their last
contact) and 8 years after the last contact; a deceased young person's record also at least 8 years after
death. A record is past retention from the day after the last day it is kept, and never while on hold.

A birthday or anniversary of 29 February falls on 1 March in a year without one: the legal anniversary
in England (a person born on 29 February comes of age on 1 March), and the later of the two candidate days,
so a leap day never makes a record go a day early.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class Schedule:
    """The periods (RETENTION_* settings), as plain data."""

    until_age: int = 25
    until_age_if_17_at_end: int = 26
    years_after_last_contact: int = 8
    years_after_death: int = 8
    unlinked_intake_days: int = 90
    token_days_after_end: int = 365
    audit_years: int = 8


class Basis(StrEnum):
    """Which rule set the last day a record is kept."""

    age = "age"
    last_contact = "last_contact"
    death = "death"


@dataclass(frozen=True)
class RecordFacts:
    """What the rules need to know about one young person's record."""

    ref: str
    date_of_birth: date
    last_contact: date
    date_of_death: date | None = None
    on_hold: bool = False


@dataclass(frozen=True)
class Verdict:
    ref: str
    keep_until: date  # the last day the record is kept
    basis: Basis
    past: bool  # past retention on `today`
    on_hold: bool


def anniversary(start: date, years: int) -> date:
    """`start` moved on by whole `years`; 29 February becomes 1 March in a year without it."""
    year = start.year + years
    if start.month == 2 and start.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return start.replace(year=year)


def age_on(date_of_birth: date, day: date) -> int:
    """Age in whole years on `day` (a 29 February birthday counts from 1 March in other years)."""
    years = day.year - date_of_birth.year
    return years if anniversary(date_of_birth, years) <= day else years - 1


def keep_until(facts: RecordFacts, schedule: Schedule) -> tuple[date, Basis]:
    """The last day the record is kept, and the rule that decided it: the latest of the birthday rule, the
    years after the last contact and, for a young person who has died, the years after death. Death never
    shortens it: the Code's children's entry alone would allow 8 years after death, but a safeguarding
    record is kept to the birthday or after the last contact, whichever is longer."""
    seventeen = age_on(facts.date_of_birth, facts.last_contact) == 17
    age = schedule.until_age_if_17_at_end if seventeen else schedule.until_age
    candidates = [
        (anniversary(facts.date_of_birth, age), Basis.age),
        (anniversary(facts.last_contact, schedule.years_after_last_contact), Basis.last_contact),
    ]
    if facts.date_of_death is not None:  # first: on a tie (contact on the day of death) death is the basis
        candidates.insert(0, (anniversary(facts.date_of_death, schedule.years_after_death), Basis.death))
    return max(candidates, key=lambda c: c[0])


def verdict(facts: RecordFacts, schedule: Schedule, *, today: date) -> Verdict:
    """Whether the record is past retention on `today`: from the day after it is last kept, unless held."""
    until, basis = keep_until(facts, schedule)
    return Verdict(
        ref=facts.ref,
        keep_until=until,
        basis=basis,
        past=today > until and not facts.on_hold,
        on_hold=facts.on_hold,
    )


def last_contact(moments: Iterable[date | datetime], *, fallback: date) -> date:
    """The latest day anything was recorded about the young person (every date and time on their rows:
    an appointment or review still to come counts, so a record in use is never past retention)."""
    days = [m.astimezone(UTC).date() if isinstance(m, datetime) else m for m in moments]
    return max([fallback, *days])


def cutoff(now: datetime, *, days: int) -> datetime:
    """Rows of the local-policy categories from before this are past retention."""
    return now - timedelta(days=days)


def audit_cutoff(now: datetime, *, years: int) -> datetime:
    """Audit events before this are past the audit trail's retention."""
    day = anniversary(now.astimezone(UTC).date(), -years)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
