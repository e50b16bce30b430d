"""Which months' summaries may be handed in: due, late or closed, and the month's deadline.

A month's summary is open from the month's first day. After its deadline it is still accepted, marked
late, until the month is closed: by the admins (/close summary 2026-09, in Chinese words too), or at
the latest when its quarter's results are confirmed, since from then on the quarter's records are
settled. A summary handed in before the close can still be put right after it, when its reviewer returns
it. Months before the bot takes part (bot.workflow.span) are not asked for at all.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from bot.rules.domain import AssessmentStatus, Quarter
from bot.rules.periods import month_at_hand, summary_deadline, summary_month
from bot.workflow.span import span
from bot.workflow.unit import Refusal, Work

LOOK_BACK = 6  # months before the current one that may still be open for late work


class MonthState(StrEnum):
    NOT_DUE = "not_due"  # the month has not begun
    OPEN = "open"  # before its deadline
    LATE = "late"  # past its deadline, still accepted (marked late)
    CLOSED = "closed"  # closed by the admins, or its quarter's results are confirmed
    NOT_FOLLOWED = "not_followed"  # before the first month the bot takes part in


SETTLED = (AssessmentStatus.CONFIRMED, AssessmentStatus.PUBLICITY, AssessmentStatus.FINAL)


def closed_key(year: int, month: int) -> str:
    """bot_setting: when the admins closed the month's summaries (an ISO timestamp)."""
    return f"summaries_closed:{year}-{month:02d}"


def this_month(work: Work) -> tuple[int, int]:
    """The (year, month) whose summary is being written now."""
    return summary_month(work.now, work.calendar, work.settings.schedule)


def deadline_of(work: Work, year: int, month: int) -> dt.datetime:
    calendar = work.calendar
    return summary_deadline(year, month, calendar, work.settings.schedule).astimezone(calendar.tz)


async def closed(work: Work, year: int, month: int) -> bool:
    """Whether no more summaries of the month are taken: the admins closed it, or its quarter is settled."""
    if await work.repo.setting(closed_key(year, month)) is not None:
        return True
    assessment = await work.repo.assessment(Quarter.containing(dt.date(year, month, 1)))
    return assessment is not None and assessment.status in SETTLED


async def month_state(work: Work, year: int, month: int) -> MonthState:
    local = work.calendar.localize(work.now)
    if (year, month) > (local.year, local.month):
        return MonthState.NOT_DUE
    if not (await span(work)).month(year, month):
        return MonthState.NOT_FOLLOWED
    if await closed(work, year, month):
        return MonthState.CLOSED
    return MonthState.OPEN if work.now < deadline_of(work, year, month) else MonthState.LATE


async def check_open(work: Work, year: int, month: int, *, alert: bool = False) -> MonthState:
    """The month's state if its summary may be written; a month not begun or closed is refused."""
    state = await month_state(work, year, month)
    if state is MonthState.NOT_DUE:
        raise Refusal("chat/staff/summary_not_due.j2", alert=alert, year=year, month=month)
    if state is MonthState.CLOSED:
        raise Refusal("chat/staff/summary_closed.j2", alert=alert, year=year, month=month)
    if state is MonthState.NOT_FOLLOWED:
        first = (await span(work)).first
        local = work.calendar.localize(work.now)
        begun = first <= (local.year, local.month)
        template = "chat/staff/summary_not_followed.j2"
        raise Refusal(template, alert=alert, year=year, month=month, first=first, begun=begun)
    return state


async def month_in_view(work: Work) -> tuple[int, int] | None:
    """The month whose summaries the admins follow now (bot.rules.periods.month_at_hand), or None when the
    bot does not take part in it yet."""
    year, month = month_at_hand(work.now, work.calendar)
    return (year, month) if (await span(work)).month(year, month) else None


async def close_month(work: Work, year: int, month: int) -> bool:
    """The admins stop taking the month's summaries (late ones included); whether it was open until now.
    A month before its deadline, or one the bot does not take part in, is refused."""
    await work.repo.serialize(closed_key(year, month))  # two admins at once: one closes, one reads it
    state = await month_state(work, year, month)
    if state is MonthState.CLOSED:
        return False
    if state in (MonthState.NOT_DUE, MonthState.OPEN):
        deadline = deadline_of(work, year, month)
        raise Refusal("chat/admin/month_not_over.j2", year=year, month=month, deadline=deadline)
    if state is MonthState.NOT_FOLLOWED:
        raise Refusal(
            "chat/admin/month_not_followed.j2", year=year, month=month, first=(await span(work)).first
        )
    await work.repo.put_setting(closed_key(year, month), work.now.isoformat(), work.user_id, work.now)
    await work.repo.audit(work.actor, "summaries_closed", year=year, month=month)
    return True
