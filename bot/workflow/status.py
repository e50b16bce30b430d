"""What /me shows a person: the documents due from him, those he sent lately, and his final results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from bot.rules.domain import AssessmentStatus, Phase, Quarter, ReviewStatus
from bot.rules.periods import goals_quarter, registration_quarter
from bot.workflow.months import MonthState, month_state
from bot.workflow.phases import is_open
from bot.workflow.reviews import awaiting_count
from bot.workflow.span import span
from bot.workflow.summaries import current_summary, deadline_of, late_months, this_month
from bot.workflow.unit import Work
from storage.models import Goal, Registration, ResultRecord

SENT_SHOWN = 3  # latest summaries looked at for the sent list
SENT = (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED)
RESULTS_SHOWN = 4  # latest final quarters looked at

Due = tuple[str, dict, ReviewStatus | None, dt.datetime | None, bool]  # kind, title, status, deadline, late
Sent = tuple[str, dict, ReviewStatus]  # kind, title, status


@dataclass(frozen=True)
class MyStatus:
    due: list[Due] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    results: list[tuple[Quarter, ResultRecord]] = field(default_factory=list)
    reviews: int = 0  # documents awaiting his decision as a reviewer


async def _summary_due(work: Work, person_id: int, status: MyStatus) -> tuple[int, int] | None:
    """List the summary /summary opens if it is still to be handed in; its month, or None when the bot
    does not take part in any month begun yet (months before the first are never asked for)."""
    summary = await current_summary(work, person_id, create=False)
    year, month = (summary.year, summary.month) if summary is not None else this_month(work)
    if await month_state(work, year, month) is MonthState.NOT_FOLLOWED:
        first = (await span(work)).first
        local = work.calendar.localize(work.now)
        if first > (local.year, local.month):
            return None
        (year, month), summary = first, await work.repo.summary(person_id, *first)
    if summary is None or summary.status not in SENT:
        deadline = deadline_of(work, year, month)
        late = work.now >= deadline
        title = {"year": year, "month": month}
        status.due.append(("summary", title, summary.status if summary else None, deadline, late))
    return (year, month)


async def my_status(work: Work, person_id: int, *, ratee: bool, reviewer: bool = False) -> MyStatus:
    """For a ratee what is still to do and what he has sent, each document once (the month's summary, and
    every earlier month still open that he has not handed in, late); for a reviewer how many documents
    await his decision; for anyone his results of the latest final quarters. A submitted or approved
    document is sent, not to do; a draft is to do while it can be sent, and never listed as sent."""
    status = MyStatus()
    if ratee:
        shown = await _summary_due(work, person_id, status)
        for year, month in await late_months(work, person_id, shown or this_month(work)):
            row = await work.repo.summary(person_id, year, month)
            deadline = deadline_of(work, year, month)
            month_title = {"year": year, "month": month}
            status.due.append(("summary", month_title, row.status if row else None, deadline, True))
        quarter = goals_quarter(work.now, work.calendar)
        assessment = await work.repo.assessment(quarter)
        if assessment is not None:
            goal = await work.repo.quarter_doc(Goal, assessment.id, person_id)
            _place(status, "goals", {"quarter": quarter}, goal, await is_open(work, assessment, Phase.GOALS))
        quarter = registration_quarter(work.now, work.calendar, work.settings.schedule)
        assessment = await work.repo.assessment(quarter)
        if assessment is not None:
            row = await work.repo.quarter_doc(Registration, assessment.id, person_id)
            is_due = await is_open(work, assessment, Phase.REGISTRATION)
            _place(status, "registration", {"quarter": quarter}, row, is_due)
        for row in await work.repo.recent_summaries(person_id, SENT_SHOWN):
            if row.status in SENT:
                status.sent.append(("summary", {"year": row.year, "month": row.month}, row.status))
    if reviewer:
        status = replace(status, reviews=await awaiting_count(work, person_id))
    for assessment in await work.repo.recent_assessments(AssessmentStatus.FINAL, RESULTS_SHOWN):
        result = next((r for r in await work.repo.results(assessment.id) if r.person_id == person_id), None)
        if result is not None:
            status.results.append((assessment.period, result))
    return status


def _place(status: MyStatus, kind: str, title: dict, row, is_due: bool) -> None:
    """A quarter's document: sent once submitted or approved, to do while its phase is open."""
    if row is not None and row.status in SENT:
        status.sent.append((kind, title, row.status))
    elif is_due:
        status.due.append((kind, title, row.status if row else None, None, False))
