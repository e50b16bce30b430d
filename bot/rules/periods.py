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


def touches(quarter: Quarter, spans: list[tuple[dt.date, dt.date]]) -> bool:
    """Whether any of these spans of days (first and last day) overlaps the quarter."""
    return any(quarter.first_day <= end and start <= quarter.last_day for start, end in spans)


def year_allowed(year: int, today: dt.date) -> bool:
    first, last = year_range(today)
    return first <= year <= last


def typed_month(text: str, today: dt.date) -> tuple[int, int] | None:
    """The (year, month) a typed month names; one without a year is the nearest such month to today (on
    14 July, month 8 is this August and month 6 this June; in January, 12 is last December; six months either
    way, the past one). None when the text is no month (bot.rules.vocabulary)."""
    if (with_year := parse_month(text)) is not None:
        return with_year
    match = MONTH_ONLY.match(typed(text).strip())
    if match is None:
        return None
    month = int(match.group(1))
    if not 1 <= month <= 12:
        return None
    now = today.year * 12 + today.month - 1
    candidates = [(year, month) for year in (today.year - 1, today.year, today.year + 1)]
    return min(candidates, key=lambda m: (abs(m[0] * 12 + m[1] - 1 - now), m > (today.year, today.month)))


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


def month_at_hand(moment: dt.datetime, calendar: WorkCalendar) -> tuple[int, int]:
    """The month whose summaries an admin follows now: this month from its last working day (when its
    summaries fall due), else the month before; never the running month before its month-end."""
    local = calendar.localize(moment)
    if local.date() >= calendar.last_workday_of_month(local.year, local.month):
        return (local.year, local.month)
    return previous_month(local.year, local.month)


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


# --- the bot's span: from which month it takes part ------------------------------------------------

Month = tuple[int, int]


def parse_month(text: str) -> Month | None:
    """A typed month with its year (bot.rules.vocabulary.MONTH_WITH_YEAR: 2026-08, 2026.8, 2026 nian 8 yue,
    202608; full-width digits too), else None; month 13 is none."""
    match = MONTH_WITH_YEAR.match(typed(text).strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    return (year, month) if 1 <= month <= 12 else None


def first_whole_month(loaded_on: dt.date) -> Month:
    """The first month the bot follows by default: the first whole month after the roster was loaded.

    A roster loaded on the 1st leaves the whole month to follow (nothing of it is due before its last
    working day), so that month is the first; loaded on any later day, the next month is.
    """
    if loaded_on.day == 1:
        return (loaded_on.year, loaded_on.month)
    return next_month(loaded_on.year, loaded_on.month)


def month_followed(first: Month, year: int, month: int) -> bool:
    """Whether the bot takes part in a month: its summary is asked for, reminded and listed as missing."""
    return (year, month) >= first


def quarter_followed(first: Month, quarter: Quarter) -> bool:
    """Whether the bot takes part in a quarter: it has at least one followed month.

    A first quarter the bot joins part-way (first month August) still runs: its registration is
    pre-filled from the months followed, its rating and publicity follow; a goals window already past
    is simply not reopened. Earlier quarters have nothing sent, opened, shown or counted.
    """
    return (quarter.year, quarter.months[-1]) >= first


def first_quarter(first: Month) -> Quarter:
    """The first quarter the bot takes part in."""
    return Quarter.containing(dt.date(first[0], first[1], 1))
