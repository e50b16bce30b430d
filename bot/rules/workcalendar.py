"""Official working days (chinese-calendar, admin corrections, a statutory fallback) and the cycle's dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays


class DaySource(StrEnum):
    """Where a day's status comes from."""

    CORRECTION = "correction"
    OFFICIAL = "official"
    FALLBACK = "fallback"


@cache
def library_knows(year: int) -> bool:
    """Whether chinese-calendar has the official schedule of `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@cache
def _statutory_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.China(years=year))


@dataclass(frozen=True)
class PublicityPeriod:
    """The publicity notice's first day and the moment it ends."""

    starts_on: dt.date
    ends_at: dt.datetime

    @property
    def ends_on(self) -> dt.date:
        return self.ends_at.date()


class WorkCalendar:
    """Working days in the bureau's time zone, corrections first."""

    def __init__(
        self,
        extra_workdays: Iterable[dt.date] = (),
        extra_holidays: Iterable[dt.date] = (),
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.extra_workdays = frozenset(extra_workdays)
        self.extra_holidays = frozenset(extra_holidays)
        if self.extra_workdays & self.extra_holidays:
            raise ValueError("a day cannot be both a corrected workday and a corrected holiday")
        self.tz = ZoneInfo(timezone)
        self._workday: dict[dt.date, bool] = {}  # a button tap asks for the same few days again

    def source(self, day: dt.date) -> DaySource:
        if day in self.extra_workdays or day in self.extra_holidays:
            return DaySource.CORRECTION
        return DaySource.OFFICIAL if library_knows(day.year) else DaySource.FALLBACK

    def is_workday(self, day: dt.date) -> bool:
        known = self._workday.get(day)
        if known is None:
            known = self._workday[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if library_knows(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5 and day not in _statutory_holidays(day.year)

    def needs_warning(self, year: int) -> bool:
        """True when `year` runs on the fallback: unknown to the library and no correction entered."""
        if library_knows(year):
            return False
        return not any(d.year == year for d in self.extra_workdays | self.extra_holidays)

    def workdays(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Working days from `first` to `last`, both included."""
        return [d for d in _days(first, last) if self.is_workday(d)]

    def nth_workday_of_month(self, year: int, month: int, n: int) -> dt.date:
        """The n-th (1-based) working day of a month; ValueError if the month has fewer."""
        day = self.nth_workday_from(dt.date(year, month, 1), n)
        if day.month != month:
            raise ValueError(f"{year}-{month:02d} has fewer than {n} working days")
        return day

    def last_workday_of_month(self, year: int, month: int) -> dt.date:
        day = _month_end(year, month)
        while not self.is_workday(day):
            day -= dt.timedelta(days=1)
        return day

    def workday_on_or_after(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def nth_workday_from(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day counting from `day` (itself the first if it is a working day)."""
        if n < 1:
            raise ValueError("n counts from 1")
        day = self.workday_on_or_after(day)
        for _ in range(n - 1):
            day = self.workday_on_or_after(day + dt.timedelta(days=1))
        return day

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The working day `n` working days after `day` (n >= 0; 0 is `day` itself or the next one)."""
        if n < 0:
            raise ValueError("n must not be negative")
        return self.nth_workday_from(day + dt.timedelta(days=1), n) if n else self.workday_on_or_after(day)

    def publicity_period(
        self,
        posted_at: dt.datetime,
        workdays: int = 3,
        same_day_before: dt.time = dt.time(12, 0),
        end_time: dt.time = dt.time(18, 0),
    ) -> PublicityPeriod:
        """Starts the day of posting if posted before noon on a working day, else the next one."""
        local = self.localize(posted_at)
        day = local.date()
        if not (self.is_workday(day) and local.time() < same_day_before):
            day = self.workday_on_or_after(day + dt.timedelta(days=1))
        last = self.nth_workday_from(day, workdays)
        return PublicityPeriod(day, dt.datetime.combine(last, end_time, tzinfo=self.tz))

    def localize(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("times must carry their time zone")
        return moment.astimezone(self.tz)


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)
