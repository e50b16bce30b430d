"""Which months' summaries may be handed in: due, late or closed, and the month's deadline.

A month's summary is open from the month's first day. After its deadline it is still accepted, marked
late, until the month is closed: when the rating of the month's quarter opens (by the calendar or an
admin's /open rating), since from then on the quarter's records are being decided. A summary handed in
before the close can still be put right after it, when its reviewer returns it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from bot.rules.cycle import default_window
from bot.rules.domain import AssessmentStatus, Phase, Quarter
from bot.rules.periods import summary_deadline, summary_month
from bot.workflow.phases import window_of
from bot.workflow.unit import Refusal, Work

LOOK_BACK = 6  # months before the current one that may still be open for late work


class MonthState(StrEnum):
    NOT_DUE = "not_due"  # the month has not begun
    OPEN = "open"  # before its deadline
    LATE = "late"  # past its deadline, still accepted (marked late)
    CLOSED = "closed"  # its quarter's rating has opened


def this_month(work: Work) -> tuple[int, int]:
    """The (year, month) whose summary is being written now."""
    return summary_month(work.now, work.calendar, work.settings.schedule)


def deadline_of(work: Work, year: int, month: int) -> dt.datetime:
    calendar = work.calendar
    return summary_deadline(year, month, calendar, work.settings.schedule).astimezone(calendar.tz)


async def rating_opened(work: Work, quarter: Quarter) -> bool:
    """Whether the quarter's rating has opened, by an admin or by the calendar."""
    assessment = await work.repo.assessment(quarter)
    if assessment is not None and assessment.status is not AssessmentStatus.PREPARING:
        return True
    if assessment is not None:
        window = await window_of(work, assessment, Phase.RATING)
    else:
        window = default_window(Phase.RATING, quarter, work.calendar, work.settings.schedule)
    return work.now >= window.opens


async def month_state(work: Work, year: int, month: int) -> MonthState:
    local = work.calendar.localize(work.now)
    if (year, month) > (local.year, local.month):
        return MonthState.NOT_DUE
    if await rating_opened(work, Quarter.containing(dt.date(year, month, 1))):
        return MonthState.CLOSED
    return MonthState.OPEN if work.now < deadline_of(work, year, month) else MonthState.LATE


async def check_open(work: Work, year: int, month: int, *, alert: bool = False) -> MonthState:
    """The month's state if its summary may be written; a month not begun or closed is refused."""
    state = await month_state(work, year, month)
    if state is MonthState.NOT_DUE:
        raise Refusal("chat/staff/summary_not_due.j2", alert=alert, year=year, month=month)
    if state is MonthState.CLOSED:
        raise Refusal("chat/staff/summary_closed.j2", alert=alert, year=year, month=month)
    return state
