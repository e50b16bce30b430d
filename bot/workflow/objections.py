"""Objections to published results: filed privately, forwarded to the admins, resolved with a reason."""

from __future__ import annotations

from bot.rules.cycle import Event
from bot.rules.domain import AssessmentStatus, ObjectionStatus
from bot.workflow.phases import transition
from bot.workflow.unit import Refusal, Work
from storage.models import Assessment, Objection

MAX_TEXT = 2000


async def file_objection(
    work: Work, assessment: Assessment, person_id: int, author: str, text: str
) -> Objection:
    """Record an objection during publicity and forward it to every admin.

    The quarter is locked and its status read again first: publicity ending at the same moment (the
    scheduler, an admin) either waits for the objection, or has ended and the objection is refused.
    """
    await work.repo.lock(assessment)
    if assessment.status is not AssessmentStatus.PUBLICITY:
        raise Refusal("chat/staff/no_publicity.j2")
    row = work.repo.add(
        Objection(
            assessment_id=assessment.id,
            author_person_id=person_id,
            author_telegram_id=work.user_id,
            text=text[:MAX_TEXT],
        )
    )
    await work.repo.flush()
    await work.repo.audit(work.actor, "objection_received", assessment_id=assessment.id, objection_id=row.id)
    await work.tell_admins(
        f"objection:{row.id}",
        "chat/admin/objection_received.j2",
        kind="objection_forward",
        number=row.id,
        author=author,
        text=row.text,
        quarter=assessment.period,
    )
    return row


async def objected_quarter(work: Work, assessment_id: object) -> Assessment | None:
    """The quarter an objection being written is about, locked, while its publicity runs; else None."""
    assessment = await work.repo.assessment_by_id(assessment_id)
    if assessment is None:
        return None
    await work.repo.lock(assessment)  # publicity ending at the same moment waits, or has ended
    return assessment if assessment.status is AssessmentStatus.PUBLICITY else None


async def resolve_objection(
    work: Work, number: int, upheld: bool, reason: str
) -> tuple[Objection, Assessment]:
    """Dismiss or uphold an open objection; upholding ends the publicity and sends the quarter back."""
    objection = await work.repo.get(Objection, number)
    if objection is None:
        raise Refusal("chat/admin/objection_unknown.j2", number=number)
    assessment = await work.repo.assessment_by_id(objection.assessment_id)
    await work.repo.lock(assessment)  # a second resolution at the same moment waits for this one
    await work.repo.lock(objection)  # ... and then reads it resolved
    if objection.status is not ObjectionStatus.OPEN:
        raise Refusal("chat/admin/objection_resolved.j2", number=objection.id, status=objection.status)
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.resolution, objection.resolved_by, objection.resolved_at = reason, work.user_id, work.now
    if upheld:
        publicity = await work.repo.current_publicity(assessment.id)
        if publicity is not None:
            publicity.closed_at = work.now
            await work.notify(  # the group is told the notice it saw no longer stands, once per round
                f"publicity_withdrawn:{assessment.period}:{publicity.round}",
                publicity.chat_id,
                "chat/group/publicity_withdrawn.j2",
                kind="publicity_withdrawn",
                quarter=assessment.period,
                bureau=work.settings.bureau_name,
                round=publicity.round,
            )
        if assessment.status is AssessmentStatus.PUBLICITY:  # a second upheld objection finds it back already
            transition(work, assessment, Event.UPHOLD_OBJECTION)
    await work.repo.audit(
        work.actor,
        f"objection_{objection.status.value}",
        assessment_id=assessment.id,
        objection_id=objection.id,
        reason=reason,
    )
    await work.notify(
        f"objection_resolved:{objection.id}",
        objection.author_telegram_id,
        "chat/staff/objection_resolved.j2",
        person_id=objection.author_person_id,
        kind="objection_resolved",
        quarter=assessment.period,
        upheld=upheld,
        reason=reason,
        number=objection.id,
    )
    return objection, assessment
