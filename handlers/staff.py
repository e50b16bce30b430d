"""What staff do in chat: the monthly summary, the goals and registration, /me, objections, feedback.

Each handler reads the update, makes one call into the workflow and answers with its outcome.
"""

from __future__ import annotations

from bot.rules.domain import AssessmentStatus, Quarter
from bot.rules.periods import typed_month
from bot.rules.roles import Access, PersonView
from bot.rules.text import ascii_number
from bot.workflow import documents, registrations, summaries
from bot.workflow import feedback as feedback_steps
from bot.workflow import goals as goal_steps
from bot.workflow.objections import file_objection, objected_quarter
from bot.workflow.status import my_status as status_of
from handlers.buttons import button, data
from handlers.inputs import input_mode
from handlers.items import REGISTRATION, SUMMARY, DocumentKind, editor_keyboard, editor_or_none
from handlers.lookup import args_of, check_year, usage
from handlers.rating import outstanding_for
from handlers.turn import Button, Keyboard, Refusal, Turn, on


def me(turn: Turn) -> PersonView:
    return turn.identity.person


# --- itemized documents ------------------------------------------------------------------------------


def _show_submitted(turn: Turn, sent) -> None:
    """The pressed message becomes the receipt: what went for review, and to how many reviewers."""
    turn.edit(
        "chat/staff/submitted.j2",
        kind=sent.kind,
        items=sent.items,
        title=sent.title,
        reviewers=sent.reviewers,
    )


async def _preview(turn: Turn, kind: DocumentKind, row, items: list, change=None, quarter=None) -> None:
    """The document after an edit, headed by its title (the month or the quarter), with the editor."""
    keyboard = await editor_or_none(turn, kind, row.id, items)
    title = documents.title_of(kind, row, quarter)
    context = {"kind": kind.name, "title": title, "items": items, "change": change}
    turn.edit("chat/staff/items_preview.j2", keyboard, **context)


async def _edit_pressed(turn: Turn, kind: DocumentKind, payload: dict, arg: str) -> None:
    doc_id = payload.get("id")
    if arg == "submit":
        sent = await documents.submit(turn, kind, me(turn), doc_id)
        await turn.clear_mode()
        _show_submitted(turn, sent)
        return
    if arg == "drop":
        items = await documents.drop_last(turn, kind, me(turn).id, doc_id)
    elif arg == "clear":
        items = await documents.clear(turn, kind, me(turn).id, doc_id)
    else:
        await documents.own_doc(turn, kind, me(turn).id, doc_id)  # its refusals come first
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    row = await documents.own_doc(turn, kind, me(turn).id, doc_id)
    quarter = (await turn.repo.assessment_by_id(row.assessment_id)).period if kind is REGISTRATION else None
    await _preview(turn, kind, row, items, quarter=quarter)


# --- monthly summary --------------------------------------------------------------------------------


async def _show_summary(turn: Turn, view: summaries.SummaryView) -> None:
    keyboard = await editor_or_none(turn, SUMMARY, view.summary.id, view.items) or []
    if view.late_months:  # other months he may still hand in, one button each
        token = await turn.button("summary_month", {"months": [list(m) for m in view.late_months]})
        keyboard = keyboard + [
            [Button(turn.label("late_month", m), data(token, str(i)))] for i, m in enumerate(view.late_months)
        ]
    turn.reply(
        "chat/staff/summary.j2",
        keyboard or None,
        summary=view.summary,
        items=view.items,
        deadline=view.deadline,
        overdue=view.overdue,
        late_months=view.late_months,
    )


async def _open_summary(turn: Turn, month: tuple[int, int] | None) -> None:
    view = await summaries.open_summary(turn, me(turn).id, month)
    if view.approved:
        turn.reply("chat/staff/summary_approved.j2", summary=view.summary, items=view.items)
        return
    await turn.set_mode("summary", {"id": view.summary.id})
    await _show_summary(turn, view)


@on(Access.RATEE)
async def summary(turn: Turn) -> None:
    """/summary [MONTH]: write a month's itemized summary (this month's, or one typed as 2026-06)."""
    args = args_of(turn)
    month = None
    if args:
        month = typed_month("".join(args), turn.today)
        if month is None:
            raise usage("summary", "bad_summary_month")
        check_year(turn, month[0], " ".join(args))
    await _open_summary(turn, month)


@button("summary_month", Access.RATEE)
async def summary_month_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    months = payload.get("months") or []
    index = ascii_number(arg, max_digits=2)
    if index is None or index >= len(months):
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    await _open_summary(turn, tuple(months[index]))


@input_mode("summary", Access.RATEE)
async def summary_text(turn: Turn, payload: dict, text: str) -> None:
    view, change = await summaries.write_summary(turn, me(turn).id, payload.get("id"), text)
    keyboard = await editor_or_none(turn, SUMMARY, view.summary.id, view.items)
    turn.reply(
        "chat/staff/summary_preview.j2",
        keyboard,
        summary=view.summary,
        items=view.items,
        deadline=view.deadline,
        overdue=view.overdue,
        change=change,
    )


@button("summary_edit", Access.RATEE)
async def summary_edit_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    await _edit_pressed(turn, SUMMARY, payload, arg)


# --- quarterly registration ---------------------------------------------------------------------------


def _show_registration(turn: Turn, view: registrations.RegistrationView, keyboard, *, edit: bool) -> None:
    context = {
        "quarter": view.quarter,
        "registration": view.registration,
        "items": view.items,
        "follows": view.follows,
    }
    if edit:
        turn.edit("chat/staff/registration.j2", keyboard, **context)
    else:
        turn.reply("chat/staff/registration.j2", keyboard, **context)


@on(Access.RATEE)
async def registration(turn: Turn) -> None:
    """/registration: the quarter's achievements (Form 2), pre-filled from the approved monthly summaries."""
    view = await registrations.open_registration(turn, me(turn).id)
    if view.approved:
        turn.reply("chat/staff/registration_approved.j2", quarter=view.quarter, items=view.items)
        return
    row = view.registration
    await turn.set_mode("registration", {"id": row.id})
    _show_registration(turn, view, await editor_keyboard(turn, REGISTRATION, row.id), edit=False)


@input_mode("registration", Access.RATEE)
async def registration_text(turn: Turn, payload: dict, text: str) -> None:
    view, change = await registrations.write_registration(turn, me(turn).id, payload.get("id"), text)
    await _preview(turn, REGISTRATION, view.registration, view.items, change, view.quarter)


@button("registration_edit", Access.RATEE)
async def registration_edit_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    if arg not in ("refill", "refill_yes", "keep"):
        await _edit_pressed(turn, REGISTRATION, payload, arg)
        return
    doc_id = payload.get("id")
    row = await documents.own_doc(turn, REGISTRATION, me(turn).id, doc_id)
    if arg == "keep":
        items = await documents.items_of(turn, REGISTRATION, row.id)
        quarter = (await turn.repo.assessment_by_id(row.assessment_id)).period
        await _preview(turn, REGISTRATION, row, items, quarter=quarter)
        return
    if arg == "refill" and row.edited:  # his own edits would be lost: ask first
        token = await turn.button("registration_edit", {"id": row.id})
        keyboard = [
            [
                Button(turn.label("button", "refill_yes"), data(token, "refill_yes")),
                Button(turn.label("button", "keep"), data(token, "keep")),
            ]
        ]
        turn.edit("chat/staff/registration_refill_confirm.j2", keyboard)
        return
    view = await registrations.refill_registration(turn, me(turn).id, doc_id)
    _show_registration(turn, view, await editor_keyboard(turn, REGISTRATION, row.id), edit=True)


# --- goals -------------------------------------------------------------------------------------------


async def _goal_buttons(turn: Turn, assessment_id: int, *actions: str) -> Keyboard:
    token = await turn.button("goals", {"assessment_id": assessment_id})
    return [[Button(turn.label("button", action), data(token, arg)) for action, arg in actions]]


@on(Access.RATEE)
async def goals(turn: Turn) -> None:
    """/goals: accept the role's template, or propose items with weights summing to 100."""
    view = await goal_steps.goals_view(turn, me(turn))
    keyboard = await _goal_buttons(
        turn, view.assessment.id, ("use_template", "template"), ("custom", "custom")
    )
    turn.reply(
        "chat/staff/goals.j2",
        None if view.submitted else keyboard,
        quarter=view.quarter,
        goal=view.goal,
        items=view.items,
        template=view.template,
    )


async def _draft(turn: Turn) -> dict | None:
    """The custom goals being typed, if the user is typing them."""
    mode, state = await turn.mode()
    return state if mode == "goals" else None


@button("goals", Access.RATEE)
async def goals_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    assessment_id = payload.get("assessment_id")
    if arg == "template":
        taken = await goal_steps.use_template(turn, me(turn), assessment_id)
        await turn.clear_mode()
        if taken.review is not None:  # in place of approved custom goals: back to the supervisor
            _show_submitted(turn, taken.review)
        else:
            turn.edit("chat/staff/goals_template_used.j2", items=taken.items)
    elif arg in ("custom", "clear"):
        if arg == "custom":
            goal, items = await goal_steps.start_custom(turn, me(turn).id, assessment_id)
        else:
            goal = await goal_steps.clear_custom(turn, me(turn).id, assessment_id, await _draft(turn))
            items = []
        await turn.set_mode("goals", {"goal_id": goal.id, "items": items})
        keyboard = await _goal_buttons(turn, goal.assessment_id, ("submit", "submit"), ("clear", "clear"))
        context = {"items": items, "total": _total(items), "change": None}
        turn.edit("chat/staff/goals_custom.j2", keyboard if items else None, **context)
    elif arg == "submit":
        sent = await goal_steps.submit_custom(turn, me(turn), assessment_id, await _draft(turn))
        await turn.clear_mode()
        _show_submitted(turn, sent)
    else:
        await goal_steps.goal_for(turn, me(turn).id, assessment_id)  # its refusal comes first
        raise Refusal("chat/errors/button_unknown.j2", alert=True)


@input_mode("goals", Access.RATEE)
async def goals_text(turn: Turn, payload: dict, text: str) -> None:
    goal, items, change = await goal_steps.add_custom_lines(turn, payload, text)
    await turn.set_mode("goals", {"goal_id": payload.get("goal_id"), "items": items})
    keyboard = await _goal_buttons(turn, goal.assessment_id, ("submit", "submit"), ("clear", "clear"))
    turn.reply("chat/staff/goals_custom.j2", keyboard, items=items, total=_total(items), change=change)


def _total(items: list) -> int:
    return sum(p for _n, p in items)


# --- objections and feedback -----------------------------------------------------------------------------


@on(Access.BOUND)
async def objection(turn: Turn) -> None:
    """/objection: object to the published results, privately."""
    assessment = await turn.repo.latest_assessment(AssessmentStatus.PUBLICITY)
    if assessment is None:
        raise Refusal("chat/staff/no_publicity.j2")
    await _ask(turn, "objection", assessment.id, "chat/staff/objection_ask.j2", quarter=assessment.period)


async def _ask(turn: Turn, mode: str, assessment_id: int, template: str, **context) -> None:
    """Ask for one message (an objection, a feedback), with a cancel button that ends the asking."""
    token = await turn.button("asking", {"mode": mode})
    await turn.set_mode(mode, {"assessment_id": assessment_id, "token": token})
    turn.reply(template, [[Button(turn.label("button", "cancel"), data(token, "cancel"))]], **context)


@button("asking", Access.BOUND)
async def asking_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    """Cancel under an objection's or a feedback's prompt: the next text is no longer taken as one."""
    if arg != "cancel":
        raise Refusal("chat/errors/button_unknown.j2", alert=True)
    mode, waiting = await turn.mode(lock=True)
    if mode != payload.get("mode") or waiting.get("token") != record.token:
        raise Refusal("chat/errors/already_done.j2", alert=True)  # answered, or asked again since
    await turn.clear_mode()
    turn.edit("chat/staff/asking_cancelled.j2", None)


@input_mode("objection", Access.BOUND, single_answer=True)
async def objection_text(turn: Turn, payload: dict, text: str) -> None:
    assessment = await objected_quarter(turn, payload.get("assessment_id"))
    if assessment is None:  # publicity over: the mode ends with the answer (a refusal would keep it)
        await turn.clear_mode()
        turn.reply("chat/staff/no_publicity.j2")
        return
    row = await file_objection(turn, assessment, me(turn).id, me(turn).name, text)
    await turn.clear_mode()
    turn.reply("chat/staff/objection_receipt.j2", number=row.id, quarter=assessment.period)


@on(Access.RATEE)
async def feedback(turn: Turn) -> None:
    """/feedback: your opinion on your own final result."""
    assessment = await feedback_steps.latest_final(turn)
    await _ask(turn, "feedback", assessment.id, "chat/staff/feedback_ask.j2", quarter=assessment.period)


@button("feedback", Access.RATEE)
async def feedback_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    quarter = Quarter.parse(payload["quarter"])
    assessment = await feedback_steps.final_quarter(turn, quarter)
    await _ask(turn, "feedback", assessment.id, "chat/staff/feedback_ask.j2", quarter=quarter)


@input_mode("feedback", Access.RATEE, single_answer=True)
async def feedback_text(turn: Turn, payload: dict, text: str) -> None:
    assessment = await feedback_steps.record_feedback(turn, me(turn).id, payload.get("assessment_id"), text)
    await turn.clear_mode()
    turn.reply("chat/staff/feedback_receipt.j2", quarter=assessment.period)


# --- /me -------------------------------------------------------------------------------------------------


@on(Access.BOUND)
async def my_status(turn: Turn) -> None:
    """/me: what is due from me, what I sent, and my final results."""
    person = me(turn)
    identity = turn.identity
    status = await status_of(turn, person.id, ratee=identity.is_ratee, reviewer=identity.is_reviewer)
    ballots = await outstanding_for(turn)
    turn.reply(
        "chat/staff/me.j2",
        name=person.name,
        due=status.due,
        sent=status.sent,
        ballots=ballots,
        reviews=status.reviews,
        results=status.results,
    )
