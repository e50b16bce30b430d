"""Which month or quarter a staff action or an admin command is about, and the years one may name."""

from __future__ import annotations

import datetime as dt

from bot.rules.domain import Quarter
from bot.rules.text import typed
from bot.rules.vocabulary import MONTH_ONLY, MONTH_WITH_YEAR
from bot.rules.workcalendar import WorkCalendar
from bot.settings import ScheduleSettings

# The years a typed period (quarter, month, year, date) may name: 2000 to next year, by the clock.
# The bureau's assessments are kept digitally from long after 2000, and nothing is planned further
# than the coming year (next year's holidays are published in the autumn); a year outside is a typo
# (0000Q1, 9999Q4) that would otherwise be stored and break every view of it.
FIRST_YEAR = 2000


def year_range(today: dt.date) -> tuple[int, int]:
    """The first and last year a person may name today."""
    return FIRST_YEAR, today.year + 1


def year_allowed(year: int, today: dt.date) -> bool:
    first, last = year_range(today)
    return first <= year <= last


def typed_month(text: str, today: dt.date) -> tuple[int, int] | None:
    """The (year, month) a typed month names; one without a year is the latest such month up to this one
    (in January, December is last December). None when the text is no month (bot.rules.vocabulary)."""
    read = typed(text).strip()
    if match := MONTH_WITH_YEAR.match(read):
        year, month = int(match.group(1)), int(match.group(2))
    elif match := MONTH_ONLY.match(read):
        month = int(match.group(1))
        year = today.year if month <= today.month else today.year - 1
    else:
        return None
    return (year, month) if 1 <= month <= 12 else None


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def summary_deadline(
    year: int, month: int, calendar: WorkCalendar, schedule: ScheduleSettings
) -> dt.datetime:
    """The monthly summary's deadline: the 3rd working day of the next month at 18:00."""
    following = next_month(year, month)
    day = calendar.nth_workday_of_month(*following, schedule.summary_deadline_workday)
    return dt.datetime.combine(day, schedule.deadline_time, tzinfo=calendar.tz)


def summary_month(moment: dt.datetime, calendar: WorkCalendar, schedule: ScheduleSettings) -> tuple[int, int]:
    """The month a summary written now is for: last month until its deadline, else this month."""
    local = calendar.localize(moment)
    last = previous_month(local.year, local.month)
    if local < summary_deadline(*last, calendar, schedule):
        return last
    return (local.year, local.month)


def registration_quarter(moment: dt.datetime, calendar: WorkCalendar, schedule: ScheduleSettings) -> Quarter:
    """The quarter whose registration (Form 2) is due: this one from its last working day, else the last."""
    local = calendar.localize(moment)
    quarter = Quarter.containing(local.date())
    opens = calendar.last_workday_of_month(quarter.year, quarter.months[-1])
    return quarter if local.date() >= opens else quarter.previous()


def goals_quarter(moment: dt.datetime, calendar: WorkCalendar) -> Quarter:
    """Goals are set for the quarter that is running."""
    return Quarter.containing(calendar.localize(moment).date())


def quarter_months(quarter: Quarter) -> list[tuple[int, int]]:
    return [(quarter.year, m) for m in quarter.months]
