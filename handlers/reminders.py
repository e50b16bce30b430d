"""Admins' /remind and /calendar: nudging those with something outstanding, correcting the calendar."""

from __future__ import annotations

from bot.rules.roles import Access
from bot.rules.text import typed_number
from bot.workflow.calendar import correct_day
from bot.workflow.reminders import remind_everyone
from handlers.lookup import args_of, check_year, parse_day, usage
from handlers.turn import Turn, on


@on(Access.ADMIN)
async def remind(turn: Turn) -> None:
    """/remind: one reminder today to each person with something outstanding."""
    turn.reply("chat/admin/reminded.j2", counts=await remind_everyone(turn))


@on(Access.ADMIN)
async def calendar(turn: Turn) -> None:
    """/calendar workday|holiday DATE [NOTE] | remove DATE | list [YEAR]: the official schedule, by hand."""
    args = args_of(turn)
    if not args or args[0] == "list":
        year = typed_number(args[1], max_digits=4) if len(args) > 1 else turn.today.year
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
    if args[0] not in ("workday", "holiday", "remove") or len(args) < 2:
        raise usage("calendar", "bad_action")
    day = parse_day(turn, args[1])
    if day is None:
        raise usage("calendar", "bad_date")
    note = " ".join(args[2:])[:100] or None
    workday = await correct_day(turn, day, args[0], note if args[0] != "remove" else None)
    turn.reply("chat/admin/calendar_changed.j2", day=day, action=args[0], workday=workday)
