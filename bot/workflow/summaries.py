"""The monthly summary: which one /summary opens (an earlier returned one first, or the month asked for),
the months still open for late work, its deadline, its text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.rules.domain import ReviewStatus
from bot.rules.periods import previous_month
from bot.workflow import documents
from bot.workflow.documents import SUMMARY
from bot.workflow.months import LOOK_BACK, MonthState, check_open, deadline_of, month_state, this_month
from bot.workflow.span import span
from bot.workflow.unit import Work
from storage.models import MonthlySummary

HANDED_IN = (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED)


@dataclass(frozen=True)
class SummaryView:
    """A summary as its author sees it: the row, its items, its deadline on the bureau's clock, whether it
    is past its deadline, and the other months he may still hand in late."""

    summary: MonthlySummary
    items: list[str]
    deadline: dt.datetime
    overdue: bool = False
    late_months: list[tuple[int, int]] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.summary.status is ReviewStatus.APPROVED


async def current_summary(work: Work, person_id: int, *, create: bool) -> MonthlySummary | None:
    """The summary /summary opens: an earlier one still to be put right first, else this month's."""
    year, month = this_month(work)
    earlier = await work.repo.summary_to_put_right(person_id, year, month)
    if earlier is not None:
        return earlier
    return await work.repo.summary(person_id, year, month, create=create)


async def late_months(work: Work, person_id: int, shown: tuple[int, int]) -> list[tuple[int, int]]:
    """Months before this one, still open, whose summary he has not handed in (oldest first); a closed
    month is skipped, the months before the bot takes part end the search."""
    found = []
    year, month = this_month(work)
    for _ in range(LOOK_BACK):
        year, month = previous_month(year, month)
        state = await month_state(work, year, month)
        if state is MonthState.NOT_FOLLOWED:
            break  # the bot takes part from a later month: nothing earlier is asked for
        if state is MonthState.CLOSED:
            continue  # closed by the admins, while a later month may still be open
        row = await work.repo.summary(person_id, year, month)
        if (year, month) != shown and (row is None or row.status not in HANDED_IN):
            found.append((year, month))
    return sorted(found)


async def view_of(work: Work, summary: MonthlySummary, *, others: bool = False) -> SummaryView:
    items = await documents.items_of(work, SUMMARY, summary.id)
    deadline = deadline_of(work, summary.year, summary.month)
    overdue = work.now >= deadline and summary.status not in HANDED_IN
    shown = (summary.year, summary.month)
    late = await late_months(work, summary.person_id, shown) if others else []
    return SummaryView(summary, items, deadline, overdue, late)


async def open_summary(work: Work, person_id: int, month: tuple[int, int] | None = None) -> SummaryView:
    """The author's current summary, or that of the month he asked for (refused when the month has not
    begun or is closed), created empty if there is none yet; with the other months he may hand in late."""
    if month is None:
        if await month_state(work, *this_month(work)) is MonthState.NOT_FOLLOWED:
            # The month at hand comes before the bot takes part: its first month, once begun, is the one
            # to write; before that he is told when it will be asked for (never sent round in a loop).
            first = (await span(work)).first
            local = work.calendar.localize(work.now)
            if first > (local.year, local.month):
                await check_open(work, *this_month(work))  # refused: says when the first will be asked for
            await check_open(work, *first)
            row = await work.repo.summary(person_id, *first, create=True)
        else:
            row = await current_summary(work, person_id, create=True)
    else:
        row = await work.repo.summary(person_id, *month)
        if row is None or row.submissions == 0:  # handed in once, it can be put right and seen
            await check_open(work, *month)
            row = await work.repo.summary(person_id, *month, create=True)
    return await view_of(work, row, others=True)


async def write_summary(
    work: Work, person_id: int, summary_id: Any, text: str
) -> tuple[SummaryView, documents.Change]:
    """Text typed into the summary being edited (new items, or an item replaced or deleted by its number),
    reopening it if it was submitted; the summary and what changed."""
    row, _items, change = await documents.write(work, SUMMARY, person_id, summary_id, text)
    return await view_of(work, row), change
