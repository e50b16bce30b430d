"""The quarterly registration (Form 2): open during its phase, pre-filled from the quarter's summaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.rules.domain import Phase, Quarter, ReviewStatus
from bot.rules.periods import quarter_months, registration_quarter
from bot.workflow import documents
from bot.workflow.documents import REGISTRATION, SUMMARY
from bot.workflow.phases import local_until, not_opening, window_of
from bot.workflow.unit import Refusal, Work
from storage.models import Registration


@dataclass(frozen=True)
class RegistrationView:
    """A registration as its author sees it."""

    quarter: Quarter
    registration: Registration
    items: list[str]

    @property
    def approved(self) -> bool:
        return self.registration.status is ReviewStatus.APPROVED

    @property
    def follows(self) -> bool:
        """Whether its items are still those of the approved summaries, taken again at each opening."""
        return follows_summaries(self.registration)


async def prefill(work: Work, person_id: int, quarter: Quarter) -> list[str]:
    """The items of the quarter's approved monthly summaries, in order, up to the item limit."""
    texts: list[str] = []
    for year, month in quarter_months(quarter):
        summary = await work.repo.summary(person_id, year, month)
        if summary is not None and summary.status is ReviewStatus.APPROVED:
            texts += await documents.items_of(work, SUMMARY, summary.id)
    return texts[: documents.MAX_ITEMS]


def follows_summaries(row: Registration) -> bool:
    """A registration neither edited by its author nor ever sent for review follows the summaries."""
    return not row.edited and row.submissions == 0 and row.status is ReviewStatus.DRAFT


async def refill(work: Work, row: Registration, quarter: Quarter) -> None:
    """Take the items from the approved summaries again; the registration follows them from now on."""
    await documents.replace_items(work, REGISTRATION, row.id, await prefill(work, row.person_id, quarter))
    row.edited = False
    await work.repo.flush()


async def open_registration(work: Work, person_id: int) -> RegistrationView:
    """The author's registration of the quarter in its phase; the first opening pre-fills it."""
    quarter = registration_quarter(work.now, work.calendar, work.settings.schedule)
    assessment = await work.repo.assessment(quarter)
    if assessment is None:
        raise await not_opening(work, quarter, Phase.REGISTRATION, None)
    window = await window_of(work, assessment, Phase.REGISTRATION)
    if window.closes is not None and work.now >= window.closes:  # over: it will not open again by itself
        closed = local_until(work, window.closes)
        raise Refusal("chat/staff/phase_over.j2", phase=Phase.REGISTRATION, quarter=quarter, closed=closed)
    if not window.contains(work.now):
        raise Refusal("chat/staff/phase_closed.j2", phase=Phase.REGISTRATION, quarter=quarter)
    row = await work.repo.quarter_doc(Registration, assessment.id, person_id)
    if row is not None and follows_summaries(row):
        await work.repo.lock(row)  # the refill below and a press of his editor take turns
    if row is None:
        row = work.repo.add(Registration(assessment_id=assessment.id, person_id=person_id))
        await work.repo.flush()
        await refill(work, row, quarter)
    elif follows_summaries(row):  # a summary approved since is in it
        await refill(work, row, quarter)
    return RegistrationView(quarter, row, await documents.items_of(work, REGISTRATION, row.id))


async def refill_registration(work: Work, person_id: int, registration_id: Any) -> RegistrationView:
    """The author's request to fill his registration from the approved summaries again (his edits lost)."""
    row = await documents.own_doc(work, REGISTRATION, person_id, registration_id)
    documents.reopen(row)
    assessment = await work.repo.assessment_by_id(row.assessment_id)
    await refill(work, row, assessment.period)
    return RegistrationView(assessment.period, row, await documents.items_of(work, REGISTRATION, row.id))


async def write_registration(
    work: Work, person_id: int, registration_id: Any, text: str
) -> tuple[RegistrationView, documents.Change]:
    """Text typed into the registration being edited (new items, or an item replaced or deleted by its
    number), reopening it if it was submitted; the registration and what changed."""
    row, items, change = await documents.write(work, REGISTRATION, person_id, registration_id, text)
    assessment = await work.repo.assessment_by_id(row.assessment_id)
    return RegistrationView(assessment.period, row, items), change
