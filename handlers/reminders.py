"""Admins' /remind and /calendar: nudging those with something outstanding, correcting the calendar."""

from __future__ import annotations

from bot.rules.domain import Phase
from bot.rules.roles import Access
from bot.rules.vocabulary import CALENDAR_WORDS, PHASE_WORDS, SUMMARY_WORDS, keyword, typed_year
from bot.workflow.calendar import correct_day
from bot.workflow.reminders import remind_everyone
from handlers.lookup import args_of, check_year, parse_day, usage
from handlers.turn import Turn, on


@on(Access.ADMIN)
async def remind(turn: Turn) -> None:
    """/remind [KIND]: one reminder today to each person with something outstanding (of that kind only,
    when named: the summary or a phase, in bot.rules.vocabulary's words). Anything else typed after it is
    refused before anyone is reminded."""
    args = args_of(turn)
    only = None
    if args:
        only = "summary" if keyword(SUMMARY_WORDS, args[0]) else keyword(PHASE_WORDS, args[0])
        if len(args) > 1 or only in (None, Phase.PUBLICITY):
            raise usage("remind", "bad_remind_kind")
    turn.reply("chat/admin/reminded.j2", counts=await remind_everyone(turn, str(only) if only else None))


@on(Access.ADMIN)
async def calendar(turn: Turn) -> None:
    """/calendar workday|holiday DATE [NOTE] | remove DATE | list [YEAR] (in Chinese words, see
    bot.rules.vocabulary.CALENDAR_WORDS): the official schedule, by hand."""
    args = args_of(turn)
    action = keyword(CALENDAR_WORDS, args[0]) if args else "list"
    if action == "list":
        year = typed_year(args[1]) if len(args) > 1 else turn.today.year
        if year is None:
            raise usage("calendar", "bad_date")
        check_year(turn, year, args[1] if len(args) > 1 else str(year))
        rows = [r for r in await turn.repo.calendar_corrections() if r.day.year in (year, year + 1)]
        cal = turn.calendar
        turn.reply(
            "chat/admin/calendar_list.j2",
            rows=rows,
            year=year,
            fallback=[y for y in (year, year + 1) if cal.needs_warning(y)],
        )
        return
    if action is None or len(args) < 2:
        raise usage("calendar", "bad_action" if action is None else "missing")
    day = parse_day(turn, args[1])
    if day is None:
        raise usage("calendar", "bad_date")
    note = " ".join(args[2:])[:100] or None
    workday = await correct_day(turn, day, action, note if action != "remove" else None)
    turn.reply("chat/admin/calendar_changed.j2", day=day, action=action, workday=workday)
