"""The retention schedule's rules (services/retention/rules.py), pure, with an injected `today`: the 25th
birthday (26th if 17 at the end), 8 years after the last contact, 8 years after death, whichever is latest;
leap-day birthdays and deaths never make a record go a day early; a hold keeps everything."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.retention.rules import (
    Basis,
    RecordFacts,
    Schedule,
    age_on,
    anniversary,
    audit_cutoff,
    keep_until,
    last_contact,
    verdict,
)

CODE = Schedule()


def facts(born: date, contact: date, died: date | None = None, *, hold: bool = False) -> RecordFacts:
    return RecordFacts(
        ref="YP-TEST", date_of_birth=born, last_contact=contact, date_of_death=died, on_hold=hold
    )


def test_kept_to_the_25th_birthday_and_erasable_only_the_day_after() -> None:
    record = facts(date(2001, 6, 10), date(2015, 1, 5))  # 13 at the last contact
    assert keep_until(record, CODE) == (date(2026, 6, 10), Basis.age)
    assert not verdict(record, CODE, today=date(2026, 6, 10)).past  # the birthday itself is kept
    assert verdict(record, CODE, today=date(2026, 6, 11)).past


def test_seventeen_at_the_end_of_treatment_keeps_it_to_the_26th_birthday() -> None:
    at_seventeen = facts(date(2000, 6, 10), date(2017, 6, 10))  # 17 on the day of the last contact
    assert keep_until(at_seventeen, CODE) == (date(2026, 6, 10), Basis.age)
    at_sixteen = facts(date(2000, 6, 10), date(2017, 6, 9))  # the day before the 17th birthday
    assert keep_until(at_sixteen, CODE) == (date(2025, 6, 10), Basis.age)


def test_eight_years_after_the_last_contact_when_that_is_later() -> None:
    record = facts(date(2001, 6, 10), date(2022, 3, 1))  # a care leaver seen at 20
    assert keep_until(record, CODE) == (date(2030, 3, 1), Basis.last_contact)


def test_a_leap_day_birthday_falls_on_1_march_in_a_common_year() -> None:
    born = date(2004, 2, 29)
    assert anniversary(born, 25) == date(2029, 3, 1)  # 2029 has no 29 February
    assert anniversary(born, 24) == date(2028, 2, 29)
    assert age_on(born, date(2021, 2, 28)) == 16 and age_on(born, date(2021, 3, 1)) == 17
    record = facts(born, date(2015, 5, 1))
    assert keep_until(record, CODE) == (date(2029, 3, 1), Basis.age)
    assert not verdict(record, CODE, today=date(2029, 2, 28)).past
    assert not verdict(record, CODE, today=date(2029, 3, 1)).past
    assert verdict(record, CODE, today=date(2029, 3, 2)).past


def test_seventeen_with_a_leap_day_birthday_is_counted_from_1_march() -> None:
    born = date(2004, 2, 29)
    on_28_feb = facts(born, date(2021, 2, 28))  # still 16: the 26th-birthday rule does not apply
    on_1_march = facts(born, date(2021, 3, 1))  # 17
    assert keep_until(on_28_feb, CODE)[0] == date(2029, 3, 1)
    assert keep_until(on_1_march, CODE)[0] == date(2030, 3, 1)


def test_eight_years_after_death_including_a_leap_day_death_into_a_century_year() -> None:
    died_young = facts(date(2010, 1, 1), date(2024, 2, 29), died=date(2024, 2, 29))
    assert keep_until(died_young, CODE) == (date(2035, 1, 1), Basis.age)  # the 25th birthday is later
    died_older = facts(date(2000, 1, 1), date(2024, 2, 29), died=date(2024, 2, 29))
    assert keep_until(died_older, CODE) == (date(2032, 2, 29), Basis.death)  # 2032 is a leap year
    century = facts(date(2060, 1, 1), date(2092, 2, 29), died=date(2092, 2, 29))
    assert keep_until(century, CODE) == (date(2100, 3, 1), Basis.death)  # 2100 is not
    short = Schedule(years_after_death=8, years_after_last_contact=3)
    later_review = facts(date(2000, 1, 1), date(2026, 5, 1), died=date(2024, 2, 29))
    assert keep_until(later_review, short) == (date(2032, 2, 29), Basis.death)


def test_death_never_shortens_retention() -> None:
    alive = facts(date(2010, 1, 1), date(2012, 1, 1))
    dead = facts(date(2010, 1, 1), date(2012, 1, 1), died=date(2012, 1, 1))
    assert keep_until(dead, CODE)[0] >= keep_until(alive, CODE)[0]


def test_a_hold_keeps_a_record_past_retention() -> None:
    held = verdict(facts(date(1990, 1, 1), date(2000, 1, 1), hold=True), CODE, today=date(2040, 1, 1))
    assert held.on_hold and not held.past


def test_the_periods_are_configurable() -> None:
    local = Schedule(until_age=30, until_age_if_17_at_end=31, years_after_last_contact=10)
    assert keep_until(facts(date(2001, 6, 10), date(2015, 1, 5)), local) == (date(2031, 6, 10), Basis.age)


def test_last_contact_is_the_latest_moment_recorded_future_appointments_included() -> None:
    moments = [datetime(2026, 1, 1, 23, 30, tzinfo=UTC), date(2027, 4, 1), datetime(2025, 1, 1, tzinfo=UTC)]
    assert last_contact(moments, fallback=date(2020, 1, 1)) == date(2027, 4, 1)
    assert last_contact([], fallback=date(2020, 1, 1)) == date(2020, 1, 1)


def test_the_audit_cutoff_counts_back_whole_years() -> None:
    assert audit_cutoff(datetime(2034, 6, 1, 12, tzinfo=UTC), years=8) == datetime(2026, 6, 1, tzinfo=UTC)
