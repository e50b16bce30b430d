"""The quarterly registration (Form 2): open during its phase, pre-filled from the quarter's summaries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.rules.domain import Phase, Quarter, ReviewStatus
from bot.rules.periods import quarter_months, registration_quarter
from bot.workflow import documents
from bot.workflow.documents import REGISTRATION, SUMMARY
from bot.workflow.phases import local_until, window_of
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


async def prefill(work: Work, person_id: int, quarter: Quarter) -> list[str]:
    """The items of the quarter's three monthly summaries, in order, up to the item limit."""
    texts: list[str] = []
    for year, month in quarter_months(quarter):
        summary = await work.repo.summary(person_id, year, month)
        if summary is not None:
            texts += await documents.items_of(work, SUMMARY, summary.id)
    return texts[: documents.MAX_ITEMS]


async def open_registration(work: Work, person_id: int) -> RegistrationView:
    """The author's registration of the quarter in its phase; the first opening pre-fills it."""
    quarter = registration_quarter(work.now, work.calendar, work.settings.schedule)
    assessment = await work.repo.assessment(quarter)
    if assessment is None:
        raise Refusal("chat/staff/phase_closed.j2", phase=Phase.REGISTRATION, quarter=quarter)
    window = await window_of(work, assessment, Phase.REGISTRATION)
    if window.closes is not None and work.now >= window.closes:  # over: it will not open again by itself
        closed = local_until(work, window.closes)
        raise Refusal("chat/staff/phase_over.j2", phase=Phase.REGISTRATION, quarter=quarter, closed=closed)
    if not window.contains(work.now):
        raise Refusal("chat/staff/phase_closed.j2", phase=Phase.REGISTRATION, quarter=quarter)
    row = await work.repo.quarter_doc(Registration, assessment.id, person_id)
    if row is None:
        row = work.repo.add(Registration(assessment_id=assessment.id, person_id=person_id))
        await work.repo.flush()
        await documents.replace_items(work, REGISTRATION, row.id, await prefill(work, person_id, quarter))
        await work.repo.flush()
    return RegistrationView(quarter, row, await documents.items_of(work, REGISTRATION, row.id))


async def write_registration(work: Work, person_id: int, registration_id: Any, text: str) -> list[str]:
    """Items typed into the registration being edited (reopening it if it was submitted); all its items."""
    _row, items = await documents.write(work, REGISTRATION, person_id, registration_id, text)
    return items
