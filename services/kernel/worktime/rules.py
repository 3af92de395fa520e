"""A working calendar: when the people a timer waits for are at work. Pure functions over plain data.

Working time is the working hours (default 09:00-17:00, Europe/London, daylight saving included through
zoneinfo) of the working days (default Monday to Friday) that are not bank holidays. Bank holidays come
from the maintained `holidays` library for the United Kingdom subdivision the deployment names (England,
Wales, Scotland or Northern Ireland: Scotland has 2 January and St Andrew's Day, Northern Ireland St
Patrick's Day and the Battle of the Boyne), substitute days included; there is no hand-typed list.

Every function takes timezone-aware datetimes and answers in UTC (the service stores UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from schemas.settings import BANK_HOLIDAY_SUBDIVISIONS, Settings

SUBDIVISIONS = BANK_HOLIDAY_SUBDIVISIONS
WEEKDAYS = frozenset(range(5))  # Monday (0) to Friday (4)
DAY_MINUTES = 24 * 60
_SEARCH_DAYS = 366  # no calendar with a working day at all has a longer run without one


@lru_cache(maxsize=64)
def bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    """The bank holidays (substitute days included) of one UK subdivision in one year."""
    if subdivision not in SUBDIVISIONS:
        raise ValueError(f"unknown UK subdivision {subdivision!r}: one of {', '.join(SUBDIVISIONS)}")
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: str = "Europe/London"
    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = WEEKDAYS  # weekday numbers, Monday 0
    subdivision: str = "ENG"
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("working hours must start before they end")
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("working days must be one or more of Monday (0) to Sunday (6)")
        if self.subdivision not in SUBDIVISIONS:
            raise ValueError(f"unknown UK subdivision {self.subdivision!r}: one of {', '.join(SUBDIVISIONS)}")
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    # -- days ----------------------------------------------------------------------------------------

    def is_bank_holiday(self, day: date) -> bool:
        return day in bank_holidays(self.subdivision, day.year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days and not self.is_bank_holiday(day)

    def _local(self, t: datetime) -> datetime:
        if t.tzinfo is None:
            raise ValueError("the working calendar needs timezone-aware datetimes")
        return t.astimezone(self.zone)

    def _at(self, day: date, clock: time) -> datetime:
        """`clock` on `day` in the calendar's zone, in UTC (a time the clocks skip is read as before it)."""
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)

    def _next_working_day(self, day: date) -> date:
        for _ in range(_SEARCH_DAYS * 2):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError("the working calendar has no working day")  # pragma: no cover - days is not empty

    def _previous_working_day(self, day: date) -> date:
        for _ in range(_SEARCH_DAYS * 2):
            day -= timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError("the working calendar has no working day")  # pragma: no cover

    # -- instants ------------------------------------------------------------------------------------

    def is_working_time(self, t: datetime) -> bool:
        """Within the working hours (start included, end not) of a working day, in the calendar's zone."""
        local = self._local(t)
        return self.is_working_day(local.date()) and self.start <= local.time() < self.end

    def next_working_start(self, t: datetime) -> datetime:
        """The first working instant at or after `t`: `t` itself in working time, otherwise the start of
        the next working hours."""
        local = self._local(t)
        day = local.date()
        if self.is_working_day(day):
            if local.time() < self.start:
                return self._at(day, self.start)
            if local.time() < self.end:
                return t.astimezone(UTC)
        return self._at(self._next_working_day(day), self.start)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`days` working days after `start`, at the same local time of day (so 10:00 stays 10:00 across a
        change of the clocks). A start on a non-working day counts from that day: Saturday + 1 is Monday.
        0 days is `start`."""
        if days < 0:
            raise ValueError("days must not be negative")
        local = self._local(start)
        day = local.date()
        for _ in range(days):
            day = self._next_working_day(day)
        if days == 0:
            return start.astimezone(UTC)
        return self._at(day, local.time().replace(tzinfo=None))

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The first working instant by which `delta` of working time has passed since `start`, counting
        only working hours. Always a working instant: a sum that ends exactly as the working hours end
        answers the start of the next ones. Nothing to add answers `next_working_start(start)`."""
        if delta < timedelta(0):
            raise ValueError("delta must not be negative")
        at = self.next_working_start(start)
        left = delta
        while True:
            local = self._local(at)
            day_end = self._at(local.date(), self.end)
            if at + left < day_end:
                return at + left
            left -= day_end - at
            at = self._at(self._next_working_day(local.date()), self.start)

    def subtract_working_time(self, end: datetime, delta: timedelta) -> datetime:
        """The latest instant from which `delta` of working time reaches `end`: whatever started later has
        not had `delta` of working time by `end`. (For SQL cut-offs: `add_working_time(c, delta) <= end`
        only for `c <= subtract_working_time(end, delta)`.)"""
        if delta < timedelta(0):
            raise ValueError("delta must not be negative")
        local = self._local(end)
        day = local.date()
        if self.is_working_day(day) and local.time() >= self.start:
            at = min(end.astimezone(UTC), self._at(day, self.end))
        else:
            day = self._previous_working_day(day)
            at = self._at(day, self.end)
        left = delta
        while True:
            day_start = self._at(day, self.start)
            if at - left >= day_start:
                return at - left
            left -= at - day_start
            day = self._previous_working_day(day)
            at = self._at(day, self.end)

    def working_equivalent(self, delay: timedelta) -> timedelta:
        """A ladder's delay read in working time: each whole day is a working day (one working day's
        hours), and what is left over counts working hours, at most one working day's worth. 4 hours is
        4 working hours, 1 day a working day, 2 days 2 working days; longer delays never come earlier."""
        working_day = datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        whole, rest = divmod(delay, timedelta(days=1))
        return whole * working_day + min(rest, working_day)


DEFAULT_CALENDAR = WorkingCalendar()


def calendar_for(settings: Settings) -> WorkingCalendar:
    """The deployment's calendar: WORKING_TIMEZONE, WORKING_HOURS_START/END, WORKING_DAYS and
    BANK_HOLIDAYS_SUBDIVISION."""
    return _calendar(
        settings.working_timezone,
        settings.working_hours_start,
        settings.working_hours_end,
        settings.working_weekdays,
        settings.bank_holidays_subdivision,
    )


@lru_cache(maxsize=8)
def _calendar(
    timezone: str, start: time, end: time, days: frozenset[int], subdivision: str
) -> WorkingCalendar:
    return WorkingCalendar(timezone=timezone, start=start, end=end, days=days, subdivision=subdivision)
