"""What /me shows a person: the documents due from him, those he sent lately, and his final results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.rules.domain import AssessmentStatus, Phase, Quarter, ReviewStatus
from bot.rules.periods import goals_quarter, registration_quarter
from bot.workflow.phases import is_open
from bot.workflow.summaries import current_summary, deadline_of, this_month
from bot.workflow.unit import Work
from storage.models import Goal, Registration, ResultRecord

SENT_SHOWN = 3  # latest summaries looked at for the sent list
SENT = (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED)
RESULTS_SHOWN = 4  # latest final quarters looked at

Due = tuple[str, dict, ReviewStatus | None, dt.datetime | None]  # kind, title, status, deadline
Sent = tuple[str, dict, ReviewStatus]  # kind, title, status


@dataclass(frozen=True)
class MyStatus:
    due: list[Due] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    results: list[tuple[Quarter, ResultRecord]] = field(default_factory=list)


async def my_status(work: Work, person_id: int, *, ratee: bool) -> MyStatus:
    """For a ratee what is still to do and what he has sent, each document once; for anyone his results of
    the latest final quarters. A submitted or approved document is sent, not to do; a draft is to do while
    it can be sent, and never listed as sent."""
    status = MyStatus()
    if ratee:
        summary = await current_summary(work, person_id, create=False)
        year, month = (summary.year, summary.month) if summary is not None else this_month(work)
        title = {"year": year, "month": month}
        if summary is None or summary.status not in SENT:
            deadline = deadline_of(work, year, month)
            status.due.append(("summary", title, summary.status if summary else None, deadline))
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
        status.due.append((kind, title, row.status if row else None, None))
