"""A ratee's feedback on his own final result: which quarter it is about, and keeping every answer."""

from __future__ import annotations

from typing import Any

from bot.rules.domain import AssessmentStatus, Quarter
from bot.workflow.unit import Refusal, Work
from storage.models import Assessment, Feedback

MAX_TEXT = 2000


async def latest_final(work: Work) -> Assessment:
    """The most recent final quarter, which /feedback is about; refused when there is none."""
    assessment = await work.repo.latest_assessment(AssessmentStatus.FINAL)
    if assessment is None:
        raise Refusal("chat/staff/no_final.j2")
    return assessment


async def final_quarter(work: Work, quarter: Quarter) -> Assessment:
    """A given quarter, if its result is final (a button on the result's notice names it)."""
    assessment = await work.repo.assessment(quarter)
    if assessment is None or assessment.status is not AssessmentStatus.FINAL:
        raise Refusal("chat/staff/no_final.j2", alert=True)
    return assessment


async def record_feedback(work: Work, person_id: int, assessment_id: Any, text: str) -> Assessment:
    """Keep the person's feedback on a quarter (every answer is kept, none replaced)."""
    assessment = await work.repo.assessment_by_id(assessment_id)
    if assessment is None:
        raise Refusal("chat/staff/no_final.j2")
    work.repo.add(Feedback(assessment_id=assessment.id, person_id=person_id, text=text[:MAX_TEXT]))
    await work.repo.audit(work.actor, "feedback_recorded", assessment_id=assessment.id, person_id=person_id)
    return assessment
