"""The working calendar without I/O: properties over any instant (hypothesis), and the days people get
wrong by hand: Christmas and Boxing Day substitute days, Easter Monday (not in Scotland), Scotland's
2 January, Northern Ireland's St Patrick's Day, and the weekends the clocks change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.settings import Settings
from services.kernel.worktime.rules import DEFAULT_CALENDAR, WorkingCalendar, calendar_for

pytestmark = pytest.mark.usefixtures("clean_environment")

ENG = DEFAULT_CALENDAR
SCT = WorkingCalendar(subdivision="SCT")
NIR = WorkingCalendar(subdivision="NIR")
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- explicit cases ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 24), True),  # Christmas Eve is a working day
        (date(2026, 12, 25), False),  # Christmas Day (Friday)
        (date(2026, 12, 28), False),  # Boxing Day fell on a Saturday: the Monday is the substitute day
        (date(2026, 12, 29), True),
        (date(2027, 12, 27), False),  # 2027: both fall on the weekend, Monday and Tuesday substitute
        (date(2027, 12, 28), False),
        (date(2027, 12, 29), True),
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 4, 7), True),
        (date(2026, 1, 2), True),  # 2 January is a working day in England ...
        (date(2026, 11, 28), False),  # a Saturday
    ],
)
def test_england_and_wales_bank_holidays_and_substitute_days(day: date, working: bool) -> None:
    assert ENG.is_working_day(day) is working
    assert WorkingCalendar(subdivision="WLS").is_working_day(day) is working


def test_scotland_has_2_january_and_st_andrews_day_but_not_easter_monday() -> None:
    assert not SCT.is_working_day(date(2026, 1, 2))  # ... a bank holiday in Scotland
    assert not SCT.is_working_day(date(2027, 1, 4))  # 2 January 2027 is a Saturday: Monday substitutes
    assert ENG.is_working_day(date(2027, 1, 4))
    assert not SCT.is_working_day(date(2026, 11, 30))  # St Andrew's Day
    assert SCT.is_working_day(date(2026, 4, 6))  # Easter Monday is not a Scottish bank holiday
    assert SCT.add_working_days(utc(2026, 12, 31, 10, 0), 1) == utc(
        2027, 1, 5, 10, 0
    )  # 1, 2 (Saturday) and 4 January off


def test_northern_ireland_has_st_patricks_day() -> None:
    assert not NIR.is_working_day(date(2026, 3, 17))
    assert ENG.is_working_day(date(2026, 3, 17))


def test_working_time_is_read_in_london_time_across_the_clock_changes() -> None:
    # Monday 30 March 2026, the day after the clocks went forward: 09:00 BST is 08:00 UTC.
    assert not ENG.is_working_time(utc(2026, 3, 30, 7, 59))
    assert ENG.is_working_time(utc(2026, 3, 30, 8, 0))
    assert not ENG.is_working_time(utc(2026, 3, 30, 16, 0))  # 17:00 BST: the end is not working time
    # Monday 26 October 2026, after they went back: 09:00 GMT is 09:00 UTC.
    assert not ENG.is_working_time(utc(2026, 10, 26, 8, 30))
    assert ENG.is_working_time(utc(2026, 10, 26, 9, 0))


def test_adding_over_the_weekend_the_clocks_go_forward() -> None:
    friday = utc(2026, 3, 27, 15, 0)  # 15:00 GMT
    assert ENG.add_working_time(friday, 3 * HOUR) == utc(
        2026, 3, 30, 9, 0
    )  # 2 h Friday, 1 h Monday: 10:00 BST
    assert ENG.add_working_days(friday, 1) == utc(2026, 3, 30, 14, 0)  # 15:00 BST: the same local time
    assert ENG.next_working_start(utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 30, 8, 0)


def test_next_working_start_and_adding_working_time() -> None:
    saturday_night = utc(2026, 11, 28, 23, 0)
    monday_9 = utc(2026, 11, 30, 9, 0)
    assert ENG.next_working_start(saturday_night) == monday_9
    assert ENG.next_working_start(utc(2026, 11, 30, 10, 0)) == utc(2026, 11, 30, 10, 0)  # already working
    assert ENG.next_working_start(utc(2026, 11, 30, 17, 0)) == utc(2026, 12, 1, 9, 0)
    assert ENG.add_working_time(saturday_night, timedelta(0)) == monday_9
    assert ENG.add_working_time(saturday_night, 4 * HOUR) == utc(2026, 11, 30, 13, 0)
    # eight working hours from 09:00 end as the day ends: the answer is the next working instant
    assert ENG.add_working_time(monday_9, 8 * HOUR) == utc(2026, 12, 1, 9, 0)
    # from Christmas Eve afternoon over Christmas 2026: 25th, the weekend and the 28th are not working
    assert ENG.add_working_time(utc(2026, 12, 24, 16, 0), 2 * HOUR) == utc(2026, 12, 29, 10, 0)


def test_a_ladder_reads_its_days_as_working_days_and_the_rest_as_working_hours() -> None:
    assert ENG.working_equivalent(4 * HOUR) == 4 * HOUR
    assert ENG.working_equivalent(DAY) == 8 * HOUR  # one working day
    assert ENG.working_equivalent(12 * HOUR) == 8 * HOUR  # at most a working day: never after the day
    assert ENG.working_equivalent(2 * DAY + 30 * timedelta(minutes=1)) == 16 * HOUR + 30 * timedelta(
        minutes=1
    )


def test_subtracting_working_time_is_the_inverse_a_sql_cut_off_needs() -> None:
    tuesday_10 = utc(2026, 12, 1, 10, 0)
    assert ENG.subtract_working_time(tuesday_10, 2 * HOUR) == utc(2026, 11, 30, 16, 0)
    assert ENG.subtract_working_time(utc(2026, 11, 28, 23, 0), HOUR) == utc(2026, 11, 27, 16, 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start": time(17, 0), "end": time(9, 0)},
        {"days": frozenset()},
        {"days": frozenset({7})},
        {"subdivision": "XYZ"},
    ],
)
def test_a_calendar_that_cannot_be_refuses(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="working|subdivision"):
        WorkingCalendar(**kwargs)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ENG.is_working_time(datetime(2026, 11, 30, 10, 0))  # noqa: DTZ001 - the point of the test


# --- settings ---------------------------------------------------------------------------------------------


def test_the_calendar_comes_from_settings() -> None:
    settings = Settings(
        working_hours_start="08:30",
        working_hours_end="18:00",
        working_days="Mon, tue,wed,thu",
        bank_holidays_subdivision="SCT",
        working_timezone="Europe/London",
    )
    calendar = calendar_for(settings)
    assert (calendar.start, calendar.end, calendar.days, calendar.subdivision) == (
        time(8, 30),
        time(18, 0),
        frozenset({0, 1, 2, 3}),
        "SCT",
    )
    assert not calendar.is_working_time(utc(2026, 11, 27, 10, 0))  # a Friday
    assert calendar_for(Settings()) == DEFAULT_CALENDAR


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"working_hours_start": "17:00", "working_hours_end": "09:00"}, "WORKING_HOURS_START"),
        ({"working_days": "mon,funday"}, "working_days"),
        ({"working_days": ","}, "working_days"),
        ({"working_timezone": "Europe/Narnia"}, "working_timezone"),
        ({"bank_holidays_subdivision": "XYZ"}, "bank_holidays_subdivision"),
        ({"escalation_clocks": {"gateway": "lunar"}}, "escalation_clocks"),
    ],
)
def test_settings_refuse_a_calendar_that_cannot_be(bad: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**bad)


# --- properties -------------------------------------------------------------------------------------------

CALENDARS = st.sampled_from(
    [ENG, SCT, NIR, WorkingCalendar(start=time(8, 0), end=time(20, 0), days=frozenset(range(6)))]
)
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
DELTAS = st.integers(min_value=0, max_value=60 * 24 * 20).map(lambda m: timedelta(minutes=m))


def _working_local_day(calendar: WorkingCalendar, t: datetime) -> bool:
    return calendar.is_working_day(t.astimezone(calendar.zone).date())


@settings(max_examples=200, deadline=None)
@given(CALENDARS, INSTANTS)
def test_next_working_start_is_the_first_working_instant(calendar: WorkingCalendar, t: datetime) -> None:
    start = calendar.next_working_start(t)
    assert start >= t
    assert calendar.is_working_time(start)
    assert (start == t) is calendar.is_working_time(t)
    if start > t:  # nothing between was working: a minute before the start is not working time
        assert start - t < timedelta(minutes=1) or not calendar.is_working_time(start - timedelta(minutes=1))


@settings(max_examples=200, deadline=None)
@given(CALENDARS, INSTANTS, DELTAS, DELTAS)
def test_adding_working_time_never_lands_outside_it_and_is_monotonic(
    calendar: WorkingCalendar, t: datetime, a: timedelta, b: timedelta
) -> None:
    ends = calendar.add_working_time(t, a)
    assert calendar.is_working_time(ends) and _working_local_day(calendar, ends)
    assert ends >= t + a  # working time never passes faster than the clock
    assert calendar.add_working_time(t, timedelta(0)) == calendar.next_working_start(
        t
    )  # identity or next start
    assert calendar.add_working_time(t, min(a, b)) <= calendar.add_working_time(t, max(a, b))
    assert calendar.add_working_time(t + b, a) >= ends  # a later start never ends sooner
    assert calendar.add_working_time(ends, b) == calendar.add_working_time(t, a + b)  # in steps or at once


@settings(max_examples=200, deadline=None)
@given(CALENDARS, INSTANTS, DELTAS)
def test_subtracting_is_a_safe_cut_off_for_adding(
    calendar: WorkingCalendar, t: datetime, a: timedelta
) -> None:
    ends = calendar.add_working_time(t, a)
    assert t <= calendar.subtract_working_time(ends, a)  # whatever is due by `ends` was made by the cut-off
    cut_off = calendar.subtract_working_time(ends, a)
    assert calendar.add_working_time(cut_off, a) == ends  # and the cut-off is tight


@settings(max_examples=200, deadline=None)
@given(CALENDARS, INSTANTS, st.integers(min_value=0, max_value=30))
def test_adding_working_days_lands_on_working_days_at_the_same_local_time(
    calendar: WorkingCalendar, t: datetime, days: int
) -> None:
    ends = calendar.add_working_days(t, days)
    local_start, local_end = t.astimezone(calendar.zone), ends.astimezone(calendar.zone)
    if days == 0:
        assert ends == t
        return
    assert _working_local_day(calendar, ends)
    assert ends > t and calendar.add_working_days(t, days + 1) > ends
    if local_start.time() >= time(3, 0):  # not a time the clocks skip
        assert local_end.time() == local_start.time()
    between = [
        local_start.date() + timedelta(days=i)
        for i in range(1, (local_end.date() - local_start.date()).days + 1)
    ]
    assert sum(calendar.is_working_day(d) for d in between) == days


@given(CALENDARS, DELTAS, DELTAS)
def test_a_longer_ladder_delay_never_comes_earlier_in_working_time(
    calendar: WorkingCalendar, a: timedelta, b: timedelta
) -> None:
    assert calendar.working_equivalent(min(a, b)) <= calendar.working_equivalent(max(a, b))
