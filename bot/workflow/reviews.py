"""A leader's review of summaries, goals and registrations: who reviews what, approve or return, backlog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.rules.domain import AssessmentStatus, ReviewStatus
from bot.rules.roles import PersonView
from bot.workflow import documents
from bot.workflow.documents import REGISTRATION, SUMMARY
from bot.workflow.people import reviewers_of_summary, supervisors_of_section
from bot.workflow.unit import Refusal, Work
from storage.models import Goal, MonthlySummary, Person, Registration

MODELS = {"summary": MonthlySummary, "registration": Registration, "goals": Goal}
MAX_OPINION = 500
SHOWN = 20  # documents /review lists with their buttons


@dataclass(frozen=True)
class UnderReview:
    """A document awaiting this reviewer in the version he was sent: its author and title."""

    kind: str
    doc: Any
    author: Person
    title: dict


@dataclass(frozen=True)
class Pending:
    """One document in a reviewer's list: enough to show it and ask for its decision."""

    kind: str
    doc_id: int
    stamp: int
    author: str
    title: dict
    items: list


async def reviewers_of(work: Work, kind: str, author: Person) -> list[int]:
    """The person ids who review this kind of document of this author."""
    if kind == "summary":
        view = PersonView(author.id, author.name, author.role, author.section_id, author.active)
        return await reviewers_of_summary(work, view)
    return await supervisors_of_section(work, author.section_id)


async def title_of(work: Work, kind: str, doc) -> dict:
    if kind == "summary":
        return {"year": doc.year, "month": doc.month, "late": doc.late}
    return {"quarter": (await work.repo.assessment_by_id(doc.assessment_id)).period}


async def items_for_review(work: Work, kind: str, doc) -> list:
    if kind == "goals":
        return [(r.name, r.max_points) for r in await work.repo.goal_items(doc.id)]
    return await documents.items_of(work, SUMMARY if kind == "summary" else REGISTRATION, doc.id)


async def under_review(
    work: Work, reviewer: PersonView | None, kind: str, doc_id: Any, stamp: Any
) -> UnderReview:
    """The document, locked, if it still awaits this reviewer in the version he was sent."""
    # the author's edits lock the same row: an approval never covers items the leader did not see
    doc = await work.repo.get(MODELS[kind], doc_id, for_update=True) if isinstance(doc_id, int) else None
    if doc is None:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    if kind == "goals":
        assessment = await work.repo.assessment_by_id(doc.assessment_id)
        await work.repo.lock(assessment)  # rating opening at the same moment: one of them waits
        if assessment.status is not AssessmentStatus.PREPARING:  # ballots may carry the indicators already
            raise Refusal("chat/leaders/review_stale.j2", alert=True)
    author = await work.repo.person(doc.person_id)
    if reviewer is None or reviewer.id not in await reviewers_of(work, kind, author):
        raise Refusal("chat/errors/not_allowed.j2", alert=True)
    if doc.status is not ReviewStatus.SUBMITTED or stamp != doc.submissions:
        raise Refusal("chat/leaders/review_stale.j2", alert=True)
    return UnderReview(kind, doc, author, await title_of(work, kind, doc))


async def _decide(
    work: Work, reviewer: PersonView, found: UnderReview, stamp: Any, approved: bool, opinion: str | None
) -> None:
    """Record the review (approved, with an optional comment, or returned with an opinion) and tell the
    author; the comment or opinion is the review opinion of Form 1 and Form 2."""
    kind, doc, author = found.kind, found.doc, found.author
    doc.status, doc.reviewer_id, doc.reviewed_at, doc.opinion = (
        ReviewStatus.APPROVED if approved else ReviewStatus.RETURNED,
        reviewer.id,
        work.now,
        opinion,
    )
    await work.repo.audit(
        work.actor,
        f"{kind}_{'approved' if approved else 'returned'}",
        person_id=author.id,
        doc_id=doc.id,
        **({"comment": True} if approved and opinion else {}),
    )
    await work.notify(
        f"reviewed:{kind}:{doc.id}:{stamp}",
        author.telegram_user_id,
        "chat/staff/review_outcome.j2",
        person_id=author.id,
        kind="review_outcome",
        doc_kind=kind,
        approved=approved,
        opinion=opinion,
        title=found.title,
        reviewer=reviewer.name,
    )


async def approve(
    work: Work,
    reviewer: PersonView | None,
    kind: str,
    doc_id: Any,
    stamp: Any,
    *,
    once: str | None = None,
    comment: str | None = None,
) -> UnderReview:
    """Approve the version the reviewer was sent, with his optional comment (cut to its limit); `once` is a
    button token used up with it (a second tap of the same button is refused)."""
    found = await under_review(work, reviewer, kind, doc_id, stamp)
    if once is not None and not await work.repo.use_button(once, work.now):
        raise Refusal("chat/errors/already_done.j2", alert=True)
    await _decide(work, reviewer, found, stamp, True, comment[:MAX_OPINION] if comment else None)
    return found


async def send_back(
    work: Work, reviewer: PersonView | None, kind: str, doc_id: Any, stamp: Any, opinion: str
) -> UnderReview:
    """Return the version the reviewer was sent, with his opinion (cut to its limit), to its author."""
    found = await under_review(work, reviewer, kind, doc_id, stamp)
    await _decide(work, reviewer, found, stamp, False, opinion[:MAX_OPINION])
    return found


async def _awaiting(work: Work, reviewer_id: int) -> list:
    """(kind, document, author) of every submitted document this reviewer is to decide."""
    found = []
    for kind, model in MODELS.items():
        for doc in await work.repo.submitted_docs(model):
            author = await work.repo.person(doc.person_id)
            if reviewer_id in await reviewers_of(work, kind, author):
                found.append((kind, doc, author))
    return found


async def awaiting_count(work: Work, reviewer_id: int) -> int:
    """How many documents await this reviewer (for /me)."""
    return len(await _awaiting(work, reviewer_id))


async def awaiting(work: Work, reviewer: PersonView) -> tuple[int, list[Pending]]:
    """How many documents await this reviewer, and the first of them to show."""
    found = await _awaiting(work, reviewer.id)
    shown = [
        Pending(
            kind,
            doc.id,
            doc.submissions,
            author.name,
            await title_of(work, kind, doc),
            await items_for_review(work, kind, doc),
        )
        for kind, doc, author in found[:SHOWN]
    ]
    return len(found), shown
