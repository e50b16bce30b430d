"""The supervision section's commands that drive a quarter's phases: open, extend, close, and /status."""

from __future__ import annotations

import datetime as dt

from bot.rules.domain import Phase
from bot.rules.roles import Access
from bot.rules.vocabulary import PHASE_WORDS, keyword
from bot.workflow import phases, raters
from bot.workflow.progress import progress_report
from bot.workflow.publicity import bind_group as bind_group_to
from bot.workflow.publicity import publicity_can_close
from handlers.buttons import button, confirm_buttons, confirmed, data
from handlers.lookup import parse_day, take_quarter, usage
from handlers.paging import send_paged
from handlers.turn import Button, Refusal, Turn, on


def _phase(args: list[str]) -> Phase | None:
    """The phase named by the first word (Chinese or English, bot.rules.vocabulary.PHASE_WORDS)."""
    return keyword(PHASE_WORDS, args[0]) if args else None


def _until(turn: Turn, command: str, text: str) -> dt.datetime:
    """A phase's new end: the day given, at the deadline time, and not in the past."""
    day = parse_day(turn, text)
    if day is None:
        raise usage(command, "bad_date")
    until = phases.new_end(turn, day)
    if until is None:
        raise usage(command, "date_past")
    return until


@on(Access.ADMIN)
async def open_phase(turn: Turn) -> None:
    """/open goals|registration|rating [QUARTER] [UNTIL]."""
    given, args = take_quarter(turn)
    phase = _phase(args)
    if phase is None or phase is Phase.PUBLICITY:
        raise usage("open", "bad_phase")
    until = _until(turn, "open", args[1]) if len(args) > 1 else None
    quarter = await phases.quarter_for(turn, phase, given)
    sent = await phases.open_phase(turn, phase, quarter, until)
    turn.reply("chat/admin/phase_opened.j2", quarter=quarter, phase=phase, until=until, notified=sent)


@on(Access.ADMIN)
async def extend_phase(turn: Turn) -> None:
    """/extend goals|registration|rating UNTIL [QUARTER]."""
    given, args = take_quarter(turn)
    phase = _phase(args)
    if phase is None or phase is Phase.PUBLICITY:
        raise usage("extend", "bad_phase")
    if len(args) != 2:
        raise usage("extend", "missing")
    until = _until(turn, "extend", args[1])
    quarter = await phases.quarter_for(turn, phase, given)
    await phases.extend_phase(turn, phase, quarter, until)
    turn.reply("chat/admin/phase_extended.j2", quarter=quarter, phase=phase, until=until)


@on(Access.ADMIN)
async def close_phase(turn: Turn) -> None:
    """/close goals|registration|rating|publicity [QUARTER]: rating and publicity ask for confirmation."""
    given, args = take_quarter(turn)
    phase = _phase(args)
    if len(args) != 1 or phase is None:
        raise usage("close", "bad_phase")
    quarter = await phases.quarter_for(turn, phase, given)
    if phase is Phase.RATING:
        assessment = await phases.rating_can_close(turn, quarter)
        done, expected = await raters.rating_progress(turn, assessment)
        keyboard = await confirm_buttons(turn, "close_rating", quarter)
        turn.reply(
            "chat/admin/close_rating_confirm.j2", keyboard, quarter=quarter, done=done, expected=expected
        )
        return
    assessment = await phases.existing_assessment(turn, quarter)
    if phase is Phase.PUBLICITY:
        await publicity_can_close(turn, assessment, quarter)
        keyboard = await confirm_buttons(turn, "close_publicity", quarter)
        turn.reply("chat/admin/close_publicity_confirm.j2", keyboard, quarter=quarter)
        return
    await phases.close_phase(turn, assessment, phase)
    turn.reply("chat/admin/phase_closed.j2", quarter=quarter, phase=phase)


@button("close_rating", Access.ADMIN)
async def close_rating_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    assessment = await confirmed(turn, payload, arg, record)
    if assessment is None:
        return
    computed = await phases.close_rating(turn, assessment)
    turn.edit(
        "chat/admin/rating_closed.j2",
        quarter=computed.quarter,
        proposal=computed.proposal,
        conflicts=len(computed.proposal.conflicts),
        held_back=computed.held_back,
        minimum=computed.peer_minimum,
    )


@on(Access.ADMIN)
async def bind_group(turn: Turn) -> None:
    """/bindgroup, sent in the bureau's group by an admin: publicity goes there."""
    chat = turn.update.effective_chat
    if chat is None or chat.type not in ("group", "supergroup"):
        raise Refusal("chat/admin/bindgroup_in_group.j2")
    await bind_group_to(turn, chat.id, chat.title)
    turn.reply("chat/group/bound.j2", title=chat.title or "")


@on(Access.ADMIN)
async def status(turn: Turn) -> None:
    """/status [QUARTER]: progress of what is open, by section, as text bars."""
    given, _args = take_quarter(turn)
    quarter = await phases.assessed_quarter(turn, given)
    report = await progress_report(turn, quarter)
    year, month = report.month
    token = await turn.button(
        "status_chart", {"year": year, "month": month}, expires_at=turn.now + dt.timedelta(days=1)
    )
    chart = [Button(turn.label("button", "progress_chart"), data(token))]
    await send_paged(turn, "chat/admin/status.j2", extra_row=chart, report=report)
