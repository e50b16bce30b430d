"""The monthly summary: which one /summary opens (an earlier returned one first), its deadline, its text."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.rules.domain import ReviewStatus
from bot.rules.periods import summary_deadline, summary_month
from bot.workflow import documents
from bot.workflow.documents import SUMMARY
from bot.workflow.unit import Work
from storage.models import MonthlySummary


@dataclass(frozen=True)
class SummaryView:
    """A summary as its author sees it: the row, its items, its deadline on the bureau's clock."""

    summary: MonthlySummary
    items: list[str]
    deadline: dt.datetime

    @property
    def approved(self) -> bool:
        return self.summary.status is ReviewStatus.APPROVED


def this_month(work: Work) -> tuple[int, int]:
    """The (year, month) whose summary is being written now."""
    return summary_month(work.now, work.calendar, work.settings.schedule)


def deadline_of(work: Work, year: int, month: int) -> dt.datetime:
    calendar = work.calendar
    return summary_deadline(year, month, calendar, work.settings.schedule).astimezone(calendar.tz)


async def current_summary(work: Work, person_id: int, *, create: bool) -> MonthlySummary | None:
    """The summary /summary opens: an earlier one still to be put right first, else this month's."""
    year, month = this_month(work)
    earlier = await work.repo.summary_to_put_right(person_id, year, month)
    if earlier is not None:
        return earlier
    return await work.repo.summary(person_id, year, month, create=create)


async def view_of(work: Work, summary: MonthlySummary) -> SummaryView:
    items = await documents.items_of(work, SUMMARY, summary.id)
    return SummaryView(summary, items, deadline_of(work, summary.year, summary.month))


async def open_summary(work: Work, person_id: int) -> SummaryView:
    """The author's current summary, created empty if there is none yet."""
    return await view_of(work, await current_summary(work, person_id, create=True))


async def write_summary(work: Work, person_id: int, summary_id: Any, text: str) -> SummaryView:
    """Items typed into the summary being edited (reopening it if it was submitted)."""
    row, _items = await documents.write(work, SUMMARY, person_id, summary_id, text)
    return await view_of(work, row)
