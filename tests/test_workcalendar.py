"""Working days and the cycle's dates (SPEC section 8)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.rules.workcalendar import DaySource, WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
d = dt.date


@pytest.fixture
def cal():
    return WorkCalendar()


def test_official_holidays_and_make_up_days_2026(cal):
    assert not cal.is_workday(d(2026, 10, 1))  # National Day
    assert not cal.is_workday(d(2026, 10, 7))
    assert cal.is_workday(d(2026, 10, 10))  # Saturday, make-up day (调休)
    assert cal.is_workday(d(2026, 9, 20))  # Sunday, make-up day
    assert not cal.is_workday(d(2026, 9, 25))  # Mid-Autumn Festival, a Friday
    assert cal.source(d(2026, 10, 1)) is DaySource.OFFICIAL


def test_last_and_nth_working_day_around_national_day(cal):
    assert cal.last_workday_of_month(2026, 9) == d(2026, 9, 30)
    # October 2026: 1-7 off, 8 Thu, 9 Fri, 10 Sat (make-up) are the first three working days
    assert cal.nth_workday_of_month(2026, 10, 1) == d(2026, 10, 8)
    assert cal.nth_workday_of_month(2026, 10, 3) == d(2026, 10, 10)
    assert cal.nth_workday_of_month(2026, 10, 5) == d(2026, 10, 13)
    assert cal.last_workday_of_month(2026, 1) == d(2026, 1, 30)  # the 31st is a Saturday


def test_workdays_between_and_add(cal):
    assert cal.workdays(d(2026, 9, 28), d(2026, 10, 9)) == [
        d(2026, 9, 28),
        d(2026, 9, 29),
        d(2026, 9, 30),
        d(2026, 10, 8),
        d(2026, 10, 9),
    ]
    assert cal.add_workdays(d(2026, 9, 30), 1) == d(2026, 10, 8)
    assert cal.add_workdays(d(2026, 9, 30), 0) == d(2026, 9, 30)
    assert cal.add_workdays(d(2026, 10, 3), 0) == d(2026, 10, 8)
    with pytest.raises(ValueError):
        cal.nth_workday_from(d(2026, 1, 1), 0)


def test_publicity_before_noon_on_a_working_day_starts_that_day(cal):
    period = cal.publicity_period(dt.datetime(2026, 10, 13, 11, 59, tzinfo=TZ))
    assert period.starts_on == d(2026, 10, 13)
    assert period.ends_at == dt.datetime(2026, 10, 15, 18, 0, tzinfo=TZ)


def test_publicity_after_noon_starts_next_working_day(cal):
    period = cal.publicity_period(dt.datetime(2026, 10, 16, 12, 0, tzinfo=TZ))  # a Friday at noon
    assert period.starts_on == d(2026, 10, 19)
    assert period.ends_on == d(2026, 10, 21)


def test_publicity_over_a_holiday_counts_working_days_only(cal):
    period = cal.publicity_period(dt.datetime(2026, 9, 30, 10, 0, tzinfo=TZ))
    assert (period.starts_on, period.ends_on) == (d(2026, 9, 30), d(2026, 10, 9))
    posted_on_holiday = cal.publicity_period(dt.datetime(2026, 10, 2, 9, 0, tzinfo=TZ))
    assert (posted_on_holiday.starts_on, posted_on_holiday.ends_on) == (d(2026, 10, 8), d(2026, 10, 10))


def test_publicity_takes_utc_input_in_the_bureau_time_zone(cal):
    # 03:00 UTC is 11:00 in Shanghai: before noon
    period = cal.publicity_period(dt.datetime(2026, 10, 13, 3, 0, tzinfo=dt.UTC))
    assert period.starts_on == d(2026, 10, 13)
    with pytest.raises(ValueError):
        cal.publicity_period(dt.datetime(2026, 10, 13, 3, 0))


@pytest.fixture
def unknown_2027(monkeypatch):
    """The fallback, whatever the installed chinese-calendar knows by the time these tests run."""
    from bot.rules import workcalendar

    real = workcalendar.library_knows
    monkeypatch.setattr(workcalendar, "library_knows", lambda year: year < 2027 and real(year))


def test_nth_working_day_must_fall_in_the_month(cal):
    with pytest.raises(ValueError):
        cal.nth_workday_of_month(2026, 10, 25)


def test_unknown_year_falls_back_to_statutory_holidays_and_warns(cal, unknown_2027):
    assert cal.needs_warning(2027)
    assert not cal.needs_warning(2026)
    assert cal.source(d(2027, 2, 8)) is DaySource.FALLBACK
    # Spring Festival 2027 (Feb 6-10 statutory days off in the fallback) is never a working day
    assert not any(cal.is_workday(d(2027, 2, day)) for day in range(5, 11))
    assert cal.is_workday(d(2027, 2, 4))  # Thursday before
    assert not cal.is_workday(d(2027, 10, 1))
    assert not cal.is_workday(d(2027, 1, 2))  # Saturday, no make-up days in the fallback
    assert cal.nth_workday_of_month(2027, 1, 1) == d(2027, 1, 4)


def test_corrections_override_library_and_fallback(unknown_2027):
    cal = WorkCalendar(extra_workdays=[d(2027, 2, 20)], extra_holidays=[d(2027, 2, 11), d(2026, 10, 12)])
    assert cal.is_workday(d(2027, 2, 20))  # a Saturday made a working day
    assert not cal.is_workday(d(2027, 2, 11))
    assert not cal.is_workday(d(2026, 10, 12))
    assert cal.source(d(2027, 2, 20)) is DaySource.CORRECTION
    assert not cal.needs_warning(2027)  # the schedule has been entered
    with pytest.raises(ValueError):
        WorkCalendar(extra_workdays=[d(2027, 1, 1)], extra_holidays=[d(2027, 1, 1)])


def test_a_whole_fallback_year_never_fails(unknown_2027):
    cal = WorkCalendar()
    for month in range(1, 13):
        assert cal.last_workday_of_month(2028, month).month == month
