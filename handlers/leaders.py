"""What leaders do: review summaries, goals and registrations (approve or return), list what awaits them."""

from __future__ import annotations

from sqlalchemy import select

from bot.rules.domain import AssessmentStatus, Quarter, ReviewStatus
from bot.rules.roles import Access, PersonView
from bot.workflow.people import reviewers_of_summary, supervisors_of_section
from handlers.buttons import button, consume, data
from handlers.inputs import input_mode
from handlers.items import REGISTRATION, SUMMARY, items_of
from handlers.turn import Button, Refusal, Turn, on
from storage.models import Assessment, Goal, GoalItem, MonthlySummary, Person, Registration

MODELS = {"summary": MonthlySummary, "registration": Registration, "goals": Goal}
MAX_OPINION = 500


async def _reviewers(turn: Turn, kind: str, author: Person) -> list[int]:
    view = PersonView(author.id, author.name, author.role, author.section_id, author.active)
    if kind == "summary":
        return await reviewers_of_summary(turn, view)
    return await supervisors_of_section(turn, author.section_id)


async def _doc_for_review(turn: Turn, kind: str, doc_id, stamp) -> tuple[object, Person]:
    """The document, if it is still awaiting this leader's review in the version he was sent."""
    model = MODELS[kind]
    # the author's edits lock the same row: an approval never covers items the leader did not see
    doc = (
        await turn.repo.session.get(model, doc_id, with_for_update=True) if isinstance(doc_id, int) else None
    )
    if doc is None:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    if kind == "goals":
        assessment = await turn.repo.session.get(Assessment, doc.assessment_id)
        if assessment.status is not AssessmentStatus.PREPARING:  # ballots may carry the indicators already
            raise Refusal("chat/leaders/review_stale.j2", alert=True)
    author = await turn.repo.session.get(Person, doc.person_id)
    if turn.identity.person is None or turn.identity.person.id not in await _reviewers(turn, kind, author):
        raise Refusal("chat/errors/not_allowed.j2", alert=True)
    if doc.status is not ReviewStatus.SUBMITTED or stamp != doc.submissions:
        raise Refusal("chat/leaders/review_stale.j2", alert=True)
    return doc, author


async def _title(turn: Turn, kind: str, doc) -> dict:
    if kind == "summary":
        return {"year": doc.year, "month": doc.month}
    assessment = await turn.repo.session.get(Assessment, doc.assessment_id)
    return {"quarter": Quarter(assessment.year, assessment.quarter)}


async def _review_pressed(turn: Turn, kind: str, payload: dict, arg: str, record) -> None:
    doc, author = await _doc_for_review(turn, kind, payload.get("id"), payload.get("stamp"))
    title = await _title(turn, kind, doc)
    if arg == "ok":
        await consume(turn, record)
        await _decide(turn, kind, doc, author, payload.get("stamp"), None, title)
        turn.edit("chat/leaders/reviewed.j2", doc_kind=kind, approved=True, author=author.name, title=title)
    elif arg == "back":
        await turn.set_mode("return_opinion", {"kind": kind, "id": doc.id, "stamp": payload.get("stamp")})
        turn.edit("chat/leaders/ask_opinion.j2", doc_kind=kind, author=author.name, title=title)
    else:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)


async def _decide(turn: Turn, kind: str, doc, author, stamp, opinion: str | None, title: str) -> None:
    """Record the review (approved when there is no opinion, else returned with it) and tell the author."""
    approved = opinion is None
    doc.status, doc.reviewer_id, doc.reviewed_at, doc.opinion = (
        ReviewStatus.APPROVED if approved else ReviewStatus.RETURNED,
        turn.identity.person.id,
        turn.now,
        opinion,
    )
    await turn.repo.audit(
        turn.actor, f"{kind}_{'approved' if approved else 'returned'}", person_id=author.id, doc_id=doc.id
    )
    await turn.notify(
        f"reviewed:{kind}:{doc.id}:{stamp}",
        author.telegram_user_id,
        "chat/staff/review_outcome.j2",
        person_id=author.id,
        kind="review_outcome",
        doc_kind=kind,
        approved=approved,
        opinion=opinion,
        title=title,
        reviewer=turn.identity.person.name,
    )


@button("review_summary", Access.LEADER)
async def review_summary(turn: Turn, payload: dict, arg: str, record) -> None:
    await _review_pressed(turn, "summary", payload, arg, record)


@button("review_registration", Access.LEADER)
async def review_registration(turn: Turn, payload: dict, arg: str, record) -> None:
    await _review_pressed(turn, "registration", payload, arg, record)


@button("review_goals", Access.LEADER)
async def review_goals(turn: Turn, payload: dict, arg: str, record) -> None:
    await _review_pressed(turn, "goals", payload, arg, record)


@input_mode("return_opinion", Access.LEADER)
async def return_opinion(turn: Turn, payload: dict, text: str) -> None:
    kind = payload.get("kind")
    if kind not in MODELS:
        await turn.clear_mode()
        raise Refusal("chat/errors/no_input_expected.j2")
    doc, author = await _doc_for_review(turn, kind, payload.get("id"), payload.get("stamp"))
    await turn.clear_mode()
    title = await _title(turn, kind, doc)
    await _decide(turn, kind, doc, author, payload.get("stamp"), text[:MAX_OPINION], title)
    turn.reply("chat/leaders/reviewed.j2", doc_kind=kind, approved=False, author=author.name, title=title)


@on(Access.LEADER)
async def review(turn: Turn) -> None:
    """/review: everything awaiting this leader, each with its buttons again."""
    me = turn.identity.person
    session = turn.repo.session
    pending = []
    for kind, model in MODELS.items():
        for doc in (await session.scalars(select(model).where(model.status == ReviewStatus.SUBMITTED))).all():
            author = await session.get(Person, doc.person_id)
            if me.id in await _reviewers(turn, kind, author):
                pending.append((kind, doc, author))
    if not pending:
        turn.reply("chat/leaders/nothing_to_review.j2")
        return
    turn.reply("chat/leaders/review_list.j2", count=len(pending))
    for kind, doc, author in pending[:20]:
        stamp = doc.submissions
        token = await turn.button(f"review_{kind}", {"id": doc.id, "stamp": stamp})
        if kind == "goals":
            rows = (
                await session.scalars(
                    select(GoalItem).where(GoalItem.goal_id == doc.id).order_by(GoalItem.position)
                )
            ).all()
            items = [(r.name, r.max_points) for r in rows]
        else:
            items = await items_of(turn, SUMMARY if kind == "summary" else REGISTRATION, doc.id)
        keyboard = [
            [
                Button(turn.label("button", "approve"), data(token, "ok")),
                Button(turn.label("button", "return"), data(token, "back")),
            ]
        ]
        turn.reply(
            "chat/leaders/review_request.j2",
            keyboard,
            doc_kind=kind,
            author=author.name,
            title=await _title(turn, kind, doc),
            items=items,
        )
