"""A ratee's feedback on his own final result: which quarter it is about, and keeping every answer."""

from __future__ import annotations

from typing import Any

from bot.rules.domain import AssessmentStatus, Quarter
from bot.workflow.people import supervisors_of_section
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
    """Keep the person's feedback on a quarter (every answer is kept, none replaced) and pass it to the
    supervisors of his section, for their talk with him; the admins list it with /objections."""
    assessment = await work.repo.assessment_by_id(assessment_id)
    if assessment is None:
        raise Refusal("chat/staff/no_final.j2")
    row = Feedback(
        assessment_id=assessment.id, person_id=person_id, text=text[:MAX_TEXT], created_at=work.now
    )
    work.repo.add(row)
    await work.repo.flush()
    await work.repo.audit(work.actor, "feedback_recorded", assessment_id=assessment.id, person_id=person_id)
    author = await work.repo.person(person_id)
    result = next((r for r in await work.repo.results(assessment.id) if r.person_id == person_id), None)
    people = await work.repo.people_by_id()
    sections = await work.repo.section_names()
    for supervisor_id in await supervisors_of_section(work, author.section_id):
        supervisor = people.get(supervisor_id)
        if supervisor is None or not supervisor.active or supervisor.id == person_id:
            continue
        await work.notify(
            f"feedback:{row.id}:{supervisor.id}",
            supervisor.telegram_user_id,
            "chat/leaders/feedback_forwarded.j2",
            person_id=supervisor.id,
            kind="feedback_forwarded",
            name=author.name,
            section=sections.get(author.section_id, ""),
            quarter=assessment.period,
            result=result,
            text=row.text,
        )
    return assessment
