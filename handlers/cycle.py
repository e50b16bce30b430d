"""The supervision section's commands that drive a quarter's phases: open, extend, close, and /status."""

from __future__ import annotations

import datetime as dt

from bot.rules.domain import Phase
from bot.rules.periods import typed_month
from bot.rules.roles import Access
from bot.rules.vocabulary import PHASE_WORDS, SUMMARY_WORDS, keyword
from bot.workflow import missing, months, phases, raters
from bot.workflow.progress import progress_report
from bot.workflow.publicity import bind_group as bind_group_to
from bot.workflow.publicity import publicity_can_close
from handlers.buttons import button, confirm_buttons, confirmed, consume, data
from handlers.lookup import args_of, parse_day, take_quarter, telling_apart, usage
from handlers.paging import send_paged
from handlers.turn import Button, Refusal, Turn, on

OWING_SHOWN = 100  # raters named in /close rating's confirmation; the rest are counted (all in /status)


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
    """/close goals|registration|rating|publicity [QUARTER]: rating and publicity ask for confirmation;
    /close summary MONTH (or its Chinese word) stops taking that month's summaries, late ones included."""
    words = args_of(turn)
    if words and keyword(SUMMARY_WORDS, words[0]):
        chosen = typed_month(words[1], turn.today) if len(words) == 2 else None
        if chosen is None:
            raise usage("close", "bad_month")
        changed = await months.close_month(turn, *chosen)
        turn.reply("chat/admin/month_closed.j2", year=chosen[0], month=chosen[1], changed=changed)
        return
    given, args = take_quarter(turn)
    phase = _phase(args)
    if len(args) != 1 or phase is None:
        raise usage("close", "bad_phase")
    quarter = await phases.quarter_for(turn, phase, given)
    if phase is Phase.RATING:
        assessment = await phases.rating_can_close(turn, quarter)
        done, expected, owing = await raters.rating_progress_by_rater(turn, assessment)
        keyboard = await confirm_buttons(turn, "close_rating", quarter)
        turn.reply(
            "chat/admin/close_rating_confirm.j2",
            keyboard,
            quarter=quarter,
            done=done,
            expected=expected,
            owing=owing,
            shown=OWING_SHOWN,
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
    """/status [QUARTER]: progress of what is at hand, by section, and who is missing, by name; a chase
    button under each list and a re-invite button for those never bound."""
    given, _args = take_quarter(turn)
    quarter = await phases.assessed_quarter(turn, given)
    report = await progress_report(turn, quarter, given)
    expires = turn.now + dt.timedelta(days=1)
    rows = []
    gaps = report.missing
    chased_month = None
    if report.month is not None:
        year, month = report.month
        token = await turn.button("status_chart", {"year": year, "month": month}, expires_at=expires)
        rows.append([Button(turn.label("button", "progress_chart"), data(token))])
        chased_month = None if report.month_closed else f"{year}-{month:02d}"
    lists = (
        ("summary", chased_month, gaps.summaries if chased_month else None),
        ("goals", str(gaps.goals_quarter), gaps.goals),
        (
            "registration",
            str(gaps.registration_quarter),
            None if gaps.registration_closed else gaps.registrations,
        ),
        ("rating", str(gaps.rating_quarter), gaps.ballots),
    )
    for kind, period, people in lists:
        if people:
            token = await turn.button("chase", {"kind": kind, "period": period}, expires_at=expires)
            rows.append([Button(turn.label("button", f"chase_{kind}"), data(token))])
    if gaps.unbound:
        token = await turn.button("reinvite", {}, expires_at=expires)
        rows.append([Button(turn.label("button", "reinvite"), data(token))])
    await send_paged(turn, "chat/admin/status.j2", extra_rows=rows, report=report)


@button("chase", Access.ADMIN)
async def chase_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    """Chase: remind, once a day each, the people of one list still missing now (recomputed, not stored)."""
    chased = await missing.chase(turn, payload["kind"], payload["period"])
    if chased is None:
        raise Refusal("chat/admin/chase_over.j2", alert=True)
    turn.answer("chat/admin/chased_short.j2", reminded=chased.reminded)
    turn.reply("chat/admin/chased.j2", chased=chased)


@button("reinvite", Access.ADMIN)
async def reinvite_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    """Re-invite: fresh links for everyone still unbound, to the admin (an unbound person has no chat)."""
    await consume(turn, record)  # one round of links per /status: a second tap makes no second set
    links, expires = await missing.reinvite_unbound(turn)
    turn.reply(
        "chat/admin/invites.j2",
        links=links,
        bot=turn.update.get_bot().username,
        expires=expires.astimezone(turn.calendar.tz),
        **await telling_apart(turn),
    )
