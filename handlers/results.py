"""The supervision section's commands on a quarter's outcome: results, changes, confirmation, publicity."""

from __future__ import annotations

from bot.rules.domain import AssessmentStatus, Quarter, Tier
from bot.rules.roles import Access
from bot.rules.vocabulary import TIER_WORDS, VERDICT_WORDS, keyword, typed_ordinal
from bot.workflow import decisions, phases, publicity
from bot.workflow import objections as objection_steps
from handlers.buttons import button, confirm_buttons, confirmed, done_view
from handlers.lookup import args_of, find_person, reason_of, take_quarter, usage
from handlers.paging import send_paged
from handlers.turn import Turn, on


@on(Access.LEADERSHIP)
async def results(turn: Turn) -> None:
    """/results [QUARTER]: the proposal with every flag, the leadership's changes and what is still open;
    a bureau leader who is no admin sees it read only, a supervisor that of his sections."""
    given, _args = take_quarter(turn)
    quarter = await phases.assessed_quarter(turn, given)
    identity = turn.identity
    if identity.is_admin:
        page = await decisions.results_page(turn, quarter)
    else:
        page = await decisions.leaders_page(
            turn,
            quarter,
            viewer=identity.person.id,
            principal=identity.is_principal,
            supervises=identity.person.supervises,
        )
    await send_paged(turn, "chat/admin/results.j2", **page)


@on(Access.ADMIN)
async def change(turn: Turn) -> None:
    """/change NAME TIER REASON [QUARTER]: the leadership's change, kept within the quota."""
    given, args = take_quarter(turn)
    if len(args) < 3:
        raise usage("change", "missing")
    person = await find_person(turn, args[0])
    tier = keyword(TIER_WORDS, args[1])
    if tier is None:
        raise usage("change", "bad_tier")
    reason = reason_of(args[2:], "change")
    quarter = await phases.assessed_quarter(turn, given)
    changed = await decisions.change_tier(turn, quarter, person, tier, reason)
    turn.reply(
        "chat/admin/changed.j2",
        name=person.name,
        before=changed.before,
        after=tier,
        reason=reason,
        undecided=changed.undecided,
    )


@on(Access.ADMIN)
async def confirm(turn: Turn) -> None:
    """/confirm [QUARTER]: record the leadership's decision; asks for a button press first."""
    given, _args = take_quarter(turn)
    quarter = await phases.assessed_quarter(turn, given)
    decided = await decisions.confirmable(turn, quarter)
    counts = {t: sum(1 for x in decided.tiers.values() if x is t) for t in Tier}
    turn.reply(
        "chat/admin/confirm_ask.j2",
        await confirm_buttons(turn, "confirm_results", quarter),
        quarter=quarter,
        counts=counts,
        changes=len(decided.changes),
        quota=decided.proposal.quota,
    )


@button("confirm_results", Access.ADMIN)
async def confirm_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    assessment = await confirmed(turn, payload, arg, record)
    if assessment is None:
        return
    if await decisions.confirm_results(turn, assessment.period, assessment) is None:
        turn.edit("chat/admin/confirm_results_changed.j2", quarter=assessment.period)
        return
    turn.edit("chat/admin/confirmed.j2", quarter=assessment.period)


@on(Access.ADMIN)
async def publish(turn: Turn) -> None:
    """/publish [QUARTER]: post the GOOD tier to the bureau's group; asks for a button press first."""
    given, _args = take_quarter(turn)
    quarter = await phases.assessed_quarter(turn, given)
    assessment = await phases.assessment_in(turn, quarter, AssessmentStatus.CONFIRMED, "publish")
    await publicity.group_or_refuse(turn)
    turn.reply(
        "chat/admin/publish_ask.j2",
        await confirm_buttons(turn, "publish", quarter),
        quarter=quarter,
        notice=await publicity.notice_of(turn, assessment),
        period=publicity.publicity_period(turn),
    )


@button("publish", Access.ADMIN)
async def publish_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    assessment = await confirmed(turn, payload, arg, record)
    if assessment is None:
        return
    period = await publicity.publish(turn, assessment, turn.update.get_bot().username)
    turn.edit("chat/admin/published.j2", quarter=assessment.period, period=period)


@done_view("publish")
async def publish_shown_again(turn: Turn, payload: dict, arg: str) -> bool:
    """Confirm pressed again on a publication that was done: the message says so, as it should have."""
    if arg != "yes":
        return False
    assessment = await turn.repo.assessment(Quarter.parse(payload["quarter"]))
    running = await turn.repo.current_publicity(assessment.id) if assessment is not None else None
    if running is None:
        return False
    turn.edit("chat/admin/published.j2", quarter=assessment.period, period=running)
    return True


@button("close_publicity", Access.ADMIN)
async def close_publicity_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    assessment = await confirmed(turn, payload, arg, record)
    if assessment is None:
        return
    await publicity.finish_publicity(turn, assessment)
    turn.edit("chat/admin/publicity_closed.j2", quarter=assessment.period)


@on(Access.ADMIN)
async def objections(turn: Turn) -> None:
    """/objections [QUARTER]: every objection with its author, and the ratees' feedback (admins only)."""
    given, _args = take_quarter(turn)
    quarter = await phases.assessed_quarter(turn, given)
    assessment = await turn.repo.assessment(quarter)
    rows = await turn.repo.objections(assessment.id) if assessment is not None else []
    opinions = await turn.repo.feedback(assessment.id) if assessment is not None else []
    people = await turn.repo.people_by_id()
    await send_paged(
        turn, "chat/admin/objections.j2", quarter=quarter, objections=rows, people=people, feedback=opinions
    )


@on(Access.ADMIN)
async def resolve(turn: Turn) -> None:
    """/resolve NUMBER dismiss|uphold REASON (in Chinese: VERDICT_WORDS)."""
    args = args_of(turn)
    upheld = keyword(VERDICT_WORDS, args[1]) if len(args) > 1 else None
    if upheld is None:
        raise usage("resolve", "missing" if len(args) < 2 else "bad_action")
    number = typed_ordinal(args[0])
    if number is None:
        raise usage("resolve", "bad_number")
    reason = reason_of(args[2:], "resolve")
    objection, assessment = await objection_steps.resolve_objection(turn, number, upheld, reason)
    turn.reply("chat/admin/objection_done.j2", number=objection.id, upheld=upheld, quarter=assessment.period)
