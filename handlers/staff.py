"""What staff do: the monthly summary, the quarter's goals and registration, /me, objections, feedback."""

from __future__ import annotations

from sqlalchemy import select

from bot.rules.domain import AssessmentStatus, Phase, Quarter, ReviewStatus
from bot.rules.periods import (
    goals_quarter,
    quarter_months,
    registration_quarter,
    summary_deadline,
    summary_month,
)
from bot.rules.roles import Access, PersonView
from bot.workflow.objections import file_objection
from bot.workflow.people import reviewers_of_summary, supervisors_of_section
from bot.workflow.phases import is_open
from handlers.buttons import button, data
from handlers.inputs import input_mode
from handlers.items import (
    REGISTRATION,
    SUMMARY,
    Kind,
    add_items,
    drop_last,
    editor_keyboard,
    items_of,
    replace_items,
    split_items,
)
from handlers.rating import outstanding_for
from handlers.turn import Button, Refusal, Turn, on
from storage.models import (
    Assessment,
    Feedback,
    Goal,
    GoalItem,
    MonthlySummary,
    Registration,
)

EDITABLE = (ReviewStatus.DRAFT, ReviewStatus.RETURNED, ReviewStatus.SUBMITTED)
MAX_GOAL_ITEMS = 10


def me(turn: Turn) -> PersonView:
    return turn.identity.person


async def people_by_id(turn: Turn):
    return {p.id: p for p in await turn.repo.people()}


async def ask_review(turn: Turn, kind: str, doc, reviewer_ids: list[int], *, title: dict, items: list) -> int:
    """Send the document to its reviewers with approve / return buttons, once per submission."""
    people = await people_by_id(turn)
    stamp = doc.submissions
    sent = 0
    for reviewer_id in reviewer_ids:
        reviewer = people.get(reviewer_id)
        if reviewer is None or not reviewer.active:
            continue
        token = await turn.button(
            f"review_{kind}", {"id": doc.id, "stamp": stamp}, owner_id=reviewer.telegram_user_id or 0
        )
        keyboard = [
            [
                Button(turn.label("button", "approve"), data(token, "ok")),
                Button(turn.label("button", "return"), data(token, "back")),
            ]
        ]
        sent += await turn.notify(
            f"review:{kind}:{doc.id}:{stamp}:{reviewer_id}",
            reviewer.telegram_user_id,
            "chat/leaders/review_request.j2",
            keyboard,
            person_id=reviewer_id,
            kind="review_request",
            doc_kind=kind,
            author=me(turn).name,
            title=title,
            items=items,
        )
    return sent


# --- monthly summary --------------------------------------------------------------------------------


async def current_summary(turn: Turn, *, create: bool) -> MonthlySummary | None:
    """The summary /summary opens: an earlier one still to be put right first, else this month's."""
    year, month = summary_month(turn.now, turn.services.work_calendar(), turn.settings.schedule)
    earlier = await turn.repo.session.scalar(
        select(MonthlySummary)
        .where(
            MonthlySummary.person_id == me(turn).id,
            (MonthlySummary.year * 12 + MonthlySummary.month) < year * 12 + month,
            (MonthlySummary.status == ReviewStatus.RETURNED)
            | ((MonthlySummary.status == ReviewStatus.DRAFT) & (MonthlySummary.submissions > 0)),
        )
        .order_by(MonthlySummary.year.desc(), MonthlySummary.month.desc())
    )
    if earlier is not None:
        return earlier
    row = await turn.repo.session.scalar(
        select(MonthlySummary).where(
            MonthlySummary.person_id == me(turn).id,
            MonthlySummary.year == year,
            MonthlySummary.month == month,
        )
    )
    if row is None and create:
        row = MonthlySummary(person_id=me(turn).id, year=year, month=month)
        turn.repo.session.add(row)
        await turn.repo.session.flush()
    return row


async def show_summary_editor(
    turn: Turn, summary: MonthlySummary, template: str = "chat/staff/summary.j2"
) -> None:
    calendar = turn.services.work_calendar()
    deadline = summary_deadline(summary.year, summary.month, calendar, turn.settings.schedule)
    items = await items_of(turn, SUMMARY, summary.id)
    keyboard = await editor_keyboard(turn, SUMMARY, summary.id) if items else None
    turn.reply(template, keyboard, summary=summary, items=items, deadline=deadline.astimezone(calendar.tz))


@on(Access.RATEE)
async def summary(turn: Turn) -> None:
    """/summary: write this month's itemized summary, one item per line or per message."""
    row = await current_summary(turn, create=True)
    if row.status is ReviewStatus.APPROVED:
        items = await items_of(turn, SUMMARY, row.id)
        turn.reply("chat/staff/summary_approved.j2", summary=row, items=items)
        return
    await turn.set_mode("summary", {"id": row.id})
    await show_summary_editor(turn, row)


@input_mode("summary", Access.RATEE)
async def summary_text(turn: Turn, payload: dict, text: str) -> None:
    row = await _own_doc(turn, SUMMARY, payload.get("id"))
    _reopen(row)
    await add_items(turn, SUMMARY, row.id, split_items(text))
    await turn.repo.session.flush()
    await show_summary_editor(turn, row, "chat/staff/summary_preview.j2")


async def _own_doc(turn: Turn, kind: Kind, doc_id):
    row = (
        await turn.repo.session.get(kind.model, doc_id, with_for_update=True)
        if isinstance(doc_id, int)
        else None
    )
    if row is None or row.person_id != me(turn).id:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    if row.status is ReviewStatus.APPROVED:
        raise Refusal("chat/staff/already_approved.j2", alert=True)
    return row


def _reopen(row) -> None:
    """Editing a submitted document withdraws it: the reviewer's old buttons go stale."""
    if row.status is ReviewStatus.SUBMITTED:
        row.status = ReviewStatus.DRAFT


async def _edit_pressed(turn: Turn, kind: Kind, payload: dict, arg: str) -> None:
    row = await _own_doc(turn, kind, payload.get("id"))
    if arg == "drop":
        _reopen(row)
        await drop_last(turn, kind, row.id)
    elif arg == "clear":
        _reopen(row)
        await replace_items(turn, kind, row.id, [])
    elif arg == "submit":
        items = await items_of(turn, kind, row.id)
        if not items:
            raise Refusal("chat/staff/no_items.j2", alert=True)
        if row.status is ReviewStatus.SUBMITTED:
            raise Refusal("chat/errors/already_done.j2", alert=True)
        row.status, row.submitted_at = ReviewStatus.SUBMITTED, turn.now
        row.submissions += 1
        await turn.clear_mode()
        await turn.repo.audit(turn.actor, f"{kind.name}_submitted", person_id=row.person_id, doc_id=row.id)
        if kind is SUMMARY:
            reviewers = await reviewers_of_summary(turn, me(turn))
            title = {"year": row.year, "month": row.month}
        else:
            reviewers = await supervisors_of_section(turn, me(turn).section_id)
            assessment = await turn.repo.session.get(Assessment, row.assessment_id)
            title = {"quarter": Quarter(assessment.year, assessment.quarter)}
        sent = await ask_review(turn, kind.name, row, reviewers, title=title, items=items)
        turn.edit("chat/staff/submitted.j2", kind=kind.name, items=items, title=title, reviewers=sent)
        return
    else:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    await turn.repo.session.flush()
    items = await items_of(turn, kind, row.id)
    keyboard = await editor_keyboard(turn, kind, row.id) if items else None
    turn.edit("chat/staff/items_preview.j2", keyboard, items=items)


@button("summary_edit", Access.RATEE)
async def summary_edit_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    await _edit_pressed(turn, SUMMARY, payload, arg)


# --- quarterly registration ---------------------------------------------------------------------------


@on(Access.RATEE)
async def registration(turn: Turn) -> None:
    """/registration: the quarter's achievements (Form 2), pre-filled from the three monthly summaries."""
    calendar = turn.services.work_calendar()
    quarter = registration_quarter(turn.now, calendar, turn.settings.schedule)
    assessment = await turn.repo.assessment(quarter)
    if assessment is None or not await is_open(turn, assessment, Phase.REGISTRATION):
        raise Refusal("chat/staff/phase_closed.j2", phase=Phase.REGISTRATION, quarter=quarter)
    session = turn.repo.session
    row = await session.scalar(
        select(Registration).where(
            Registration.assessment_id == assessment.id, Registration.person_id == me(turn).id
        )
    )
    if row is None:
        row = Registration(assessment_id=assessment.id, person_id=me(turn).id)
        session.add(row)
        await session.flush()
        await replace_items(turn, REGISTRATION, row.id, await _prefill(turn, quarter))
        await session.flush()
    items = await items_of(turn, REGISTRATION, row.id)
    if row.status is ReviewStatus.APPROVED:
        turn.reply("chat/staff/registration_approved.j2", quarter=quarter, items=items)
        return
    await turn.set_mode("registration", {"id": row.id})
    keyboard = await editor_keyboard(turn, REGISTRATION, row.id) if items else None
    turn.reply("chat/staff/registration.j2", keyboard, quarter=quarter, registration=row, items=items)


async def _prefill(turn: Turn, quarter: Quarter) -> list[str]:
    texts = []
    for year, month in quarter_months(quarter):
        summary = await turn.repo.session.scalar(
            select(MonthlySummary).where(
                MonthlySummary.person_id == me(turn).id,
                MonthlySummary.year == year,
                MonthlySummary.month == month,
            )
        )
        if summary is not None:
            texts += await items_of(turn, SUMMARY, summary.id)
    return texts[:50]


@input_mode("registration", Access.RATEE)
async def registration_text(turn: Turn, payload: dict, text: str) -> None:
    row = await _own_doc(turn, REGISTRATION, payload.get("id"))
    _reopen(row)
    await add_items(turn, REGISTRATION, row.id, split_items(text))
    await turn.repo.session.flush()
    items = await items_of(turn, REGISTRATION, row.id)
    turn.reply("chat/staff/items_preview.j2", await editor_keyboard(turn, REGISTRATION, row.id), items=items)


@button("registration_edit", Access.RATEE)
async def registration_edit_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    await _edit_pressed(turn, REGISTRATION, payload, arg)


# --- goals -------------------------------------------------------------------------------------------


@on(Access.RATEE)
async def goals(turn: Turn) -> None:
    """/goals: accept the role's template, or propose items with weights summing to 100."""
    quarter = goals_quarter(turn.now, turn.services.work_calendar())
    assessment = await turn.repo.assessment(quarter)
    if assessment is None or not await is_open(turn, assessment, Phase.GOALS):
        raise Refusal("chat/staff/phase_closed.j2", phase=Phase.GOALS, quarter=quarter)
    goal = await turn.repo.session.scalar(
        select(Goal).where(Goal.assessment_id == assessment.id, Goal.person_id == me(turn).id)
    )
    template = turn.settings.indicators.template_for(me(turn).role)
    current = await _goal_items(turn, goal) if goal else []
    token = await turn.button("goals", {"assessment_id": assessment.id})
    keyboard = [
        [
            Button(turn.label("button", "use_template"), data(token, "template")),
            Button(turn.label("button", "custom"), data(token, "custom")),
        ]
    ]
    if goal is not None and goal.status is ReviewStatus.SUBMITTED:
        keyboard = None
    turn.reply("chat/staff/goals.j2", keyboard, quarter=quarter, goal=goal, items=current, template=template)


async def _goal_items(turn: Turn, goal: Goal) -> list[GoalItem]:
    return list(
        (
            await turn.repo.session.scalars(
                select(GoalItem).where(GoalItem.goal_id == goal.id).order_by(GoalItem.position)
            )
        ).all()
    )


async def _goal_for(turn: Turn, assessment_id: int) -> Goal:
    assessment = await turn.repo.session.get(Assessment, assessment_id)
    if assessment is None or not await is_open(turn, assessment, Phase.GOALS):
        raise Refusal(
            "chat/staff/phase_closed.j2",
            alert=True,
            phase=Phase.GOALS,
            quarter=Quarter(assessment.year, assessment.quarter) if assessment else None,
        )
    goal = await turn.repo.session.scalar(
        select(Goal).where(Goal.assessment_id == assessment_id, Goal.person_id == me(turn).id)
    )
    if goal is None:
        goal = Goal(assessment_id=assessment_id, person_id=me(turn).id)
        turn.repo.session.add(goal)
        await turn.repo.session.flush()
    return goal


async def _set_goal_items(turn: Turn, goal: Goal, items: list[tuple[str, int]]) -> None:
    for old in await _goal_items(turn, goal):
        await turn.repo.session.delete(old)
    await turn.repo.session.flush()
    for position, (name, points) in enumerate(items, start=1):
        turn.repo.session.add(GoalItem(goal_id=goal.id, position=position, name=name, max_points=points))


@button("goals", Access.RATEE)
async def goals_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    goal = await _goal_for(turn, payload.get("assessment_id"))
    if arg == "template":
        template = turn.settings.indicators.template_for(me(turn).role)
        await _set_goal_items(turn, goal, [(i.name, i.max_points) for i in template])
        goal.status, goal.from_template, goal.submitted_at = ReviewStatus.APPROVED, True, turn.now
        goal.opinion, goal.reviewer_id, goal.reviewed_at = None, None, turn.now
        await turn.clear_mode()
        await turn.repo.audit(
            turn.actor, "goals_template", assessment_id=goal.assessment_id, person_id=goal.person_id
        )
        turn.edit("chat/staff/goals_template_used.j2", items=template)
    elif arg == "custom":
        await turn.set_mode("goals", {"goal_id": goal.id, "items": []})
        turn.edit("chat/staff/goals_custom.j2", items=[], total=0)
    elif arg in ("submit", "clear"):
        mode, state = await turn.mode()
        if mode != "goals" or state.get("goal_id") != goal.id:
            raise Refusal("chat/errors/button_unknown.j2", alert=True)
        items = [tuple(i) for i in state.get("items", [])]
        if arg == "clear":
            await turn.set_mode("goals", {"goal_id": goal.id, "items": []})
            turn.edit("chat/staff/goals_custom.j2", items=[], total=0)
            return
        total = sum(p for _n, p in items)
        if total != 100 or not items:
            raise Refusal("chat/staff/goals_not_100.j2", alert=True, total=total)
        await _set_goal_items(turn, goal, items)
        goal.status, goal.from_template, goal.submitted_at = ReviewStatus.SUBMITTED, False, turn.now
        goal.submissions += 1
        await turn.clear_mode()
        await turn.repo.audit(
            turn.actor,
            "goals_submitted",
            assessment_id=goal.assessment_id,
            person_id=goal.person_id,
        )
        assessment = await turn.repo.session.get(Assessment, goal.assessment_id)
        quarter = Quarter(assessment.year, assessment.quarter)
        reviewers = await supervisors_of_section(turn, me(turn).section_id)
        sent = await ask_review(
            turn,
            "goals",
            goal,
            reviewers,
            title={"quarter": quarter},
            items=items,
        )
        turn.edit(
            "chat/staff/submitted.j2",
            kind="goals",
            items=items,
            title={"quarter": quarter},
            reviewers=sent,
        )
    else:
        raise Refusal("chat/errors/button_unknown.j2", alert=True)


@input_mode("goals", Access.RATEE)
async def goals_text(turn: Turn, payload: dict, text: str) -> None:
    items = [tuple(i) for i in payload.get("items", [])]
    for line in split_items(text):
        name, _, points = line.rpartition(" ")
        name = name.strip()
        if (
            not name
            or not (points.isascii() and points.isdecimal())
            or not 1 <= int(points) <= 100
            or len(name) > 40
        ):
            raise Refusal("chat/staff/goal_line_bad.j2", line=line[:60])
        if any(n == name for n, _p in items):
            raise Refusal("chat/staff/goal_duplicate.j2", name=name)
        items.append((name, int(points)))
    if len(items) > MAX_GOAL_ITEMS:
        raise Refusal("chat/staff/too_many_items.j2", limit=MAX_GOAL_ITEMS)
    await turn.set_mode("goals", {"goal_id": payload.get("goal_id"), "items": items})
    goal = await turn.repo.session.get(Goal, payload.get("goal_id"))
    token = await turn.button("goals", {"assessment_id": goal.assessment_id})
    keyboard = [
        [
            Button(turn.label("button", "submit"), data(token, "submit")),
            Button(turn.label("button", "clear"), data(token, "clear")),
        ]
    ]
    turn.reply("chat/staff/goals_custom.j2", keyboard, items=items, total=sum(p for _n, p in items))


# --- objections and feedback -----------------------------------------------------------------------------


async def _assessment_in(turn: Turn, status: AssessmentStatus) -> Assessment | None:
    return await turn.repo.session.scalar(
        select(Assessment)
        .where(Assessment.status == status)
        .order_by(Assessment.year.desc(), Assessment.quarter.desc())
    )


@on(Access.BOUND)
async def objection(turn: Turn) -> None:
    """/objection: object to the published results, privately."""
    assessment = await _assessment_in(turn, AssessmentStatus.PUBLICITY)
    if assessment is None:
        raise Refusal("chat/staff/no_publicity.j2")
    await turn.set_mode("objection", {"assessment_id": assessment.id})
    turn.reply("chat/staff/objection_ask.j2", quarter=Quarter(assessment.year, assessment.quarter))


@input_mode("objection", Access.BOUND)
async def objection_text(turn: Turn, payload: dict, text: str) -> None:
    assessment = await turn.repo.session.get(Assessment, payload.get("assessment_id"))
    if assessment is None or assessment.status is not AssessmentStatus.PUBLICITY:
        await turn.clear_mode()
        turn.reply("chat/staff/no_publicity.j2")
        return
    row = await file_objection(turn, assessment, me(turn).id, me(turn).name, text)
    await turn.clear_mode()
    quarter = Quarter(assessment.year, assessment.quarter)
    turn.reply("chat/staff/objection_receipt.j2", number=row.id, quarter=quarter)


@on(Access.RATEE)
async def feedback(turn: Turn) -> None:
    """/feedback: your opinion on your own final result."""
    assessment = await _assessment_in(turn, AssessmentStatus.FINAL)
    if assessment is None:
        raise Refusal("chat/staff/no_final.j2")
    await turn.set_mode("feedback", {"assessment_id": assessment.id})
    turn.reply("chat/staff/feedback_ask.j2", quarter=Quarter(assessment.year, assessment.quarter))


@button("feedback", Access.RATEE)
async def feedback_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    quarter = Quarter.parse(payload["quarter"])
    assessment = await turn.repo.assessment(quarter)
    if assessment is None or assessment.status is not AssessmentStatus.FINAL:
        raise Refusal("chat/staff/no_final.j2", alert=True)
    await turn.set_mode("feedback", {"assessment_id": assessment.id})
    turn.reply("chat/staff/feedback_ask.j2", quarter=quarter)


@input_mode("feedback", Access.RATEE)
async def feedback_text(turn: Turn, payload: dict, text: str) -> None:
    assessment = await turn.repo.session.get(Assessment, payload.get("assessment_id"))
    if assessment is None:
        raise Refusal("chat/staff/no_final.j2")
    turn.repo.session.add(Feedback(assessment_id=assessment.id, person_id=me(turn).id, text=text[:2000]))
    await turn.clear_mode()
    await turn.repo.audit(turn.actor, "feedback_recorded", assessment_id=assessment.id, person_id=me(turn).id)
    turn.reply("chat/staff/feedback_receipt.j2", quarter=Quarter(assessment.year, assessment.quarter))


# --- /me -------------------------------------------------------------------------------------------------


@on(Access.BOUND)
async def my_status(turn: Turn) -> None:
    """/me: what is due from me, what I sent, and my final results."""
    session = turn.repo.session
    calendar = turn.services.work_calendar()
    person = me(turn)
    due, sent = [], []
    if turn.identity.is_ratee:
        summary_row = await current_summary(turn, create=False)
        year, month = summary_month(turn.now, calendar, turn.settings.schedule)
        deadline = summary_deadline(year, month, calendar, turn.settings.schedule).astimezone(calendar.tz)
        due.append(
            ("summary", {"year": year, "month": month}, summary_row.status if summary_row else None, deadline)
        )
        quarter = goals_quarter(turn.now, calendar)
        assessment = await turn.repo.assessment(quarter)
        if assessment is not None and await is_open(turn, assessment, Phase.GOALS):
            goal = await session.scalar(
                select(Goal).where(Goal.assessment_id == assessment.id, Goal.person_id == person.id)
            )
            due.append(("goals", {"quarter": quarter}, goal.status if goal else None, None))
        quarter = registration_quarter(turn.now, calendar, turn.settings.schedule)
        assessment = await turn.repo.assessment(quarter)
        if assessment is not None and await is_open(turn, assessment, Phase.REGISTRATION):
            row = await session.scalar(
                select(Registration).where(
                    Registration.assessment_id == assessment.id, Registration.person_id == person.id
                )
            )
            due.append(("registration", {"quarter": quarter}, row.status if row else None, None))
        for row in (
            await session.scalars(
                select(MonthlySummary)
                .where(MonthlySummary.person_id == person.id)
                .order_by(MonthlySummary.year.desc(), MonthlySummary.month.desc())
                .limit(3)
            )
        ).all():
            sent.append(("summary", {"year": row.year, "month": row.month}, row.status))
    ballots = await outstanding_for(turn)
    results = []
    for assessment in (
        await session.scalars(
            select(Assessment)
            .where(Assessment.status == AssessmentStatus.FINAL)
            .order_by(Assessment.year.desc(), Assessment.quarter.desc())
            .limit(4)
        )
    ).all():
        result = next((r for r in await turn.repo.results(assessment.id) if r.person_id == person.id), None)
        if result is not None:
            results.append((Quarter(assessment.year, assessment.quarter), result))
    turn.reply("chat/staff/me.j2", name=person.name, due=due, sent=sent, ballots=ballots, results=results)
