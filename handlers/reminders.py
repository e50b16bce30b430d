"""Admins' /remind and /calendar: nudging those with something outstanding, correcting the calendar."""

from __future__ import annotations

from bot.rules.roles import Access
from bot.workflow.quarter import work_calendar
from bot.workflow.reminders import remind_everyone
from handlers.lookup import args_of, parse_day, usage
from handlers.turn import Refusal, Turn, on
from storage.models import CalendarCorrection


@on(Access.ADMIN)
async def remind(turn: Turn) -> None:
    """/remind: one reminder today to each person with something outstanding."""
    turn.reply("chat/admin/reminded.j2", counts=await remind_everyone(turn))


@on(Access.ADMIN)
async def calendar(turn: Turn) -> None:
    """/calendar workday|holiday DATE [NOTE] | remove DATE | list [YEAR]: the official schedule, by hand."""
    args = args_of(turn)
    if not args or args[0] == "list":
        year = (
            int(args[1]) if len(args) > 1 and args[1].isdecimal() and len(args[1]) == 4 else turn.today.year
        )
        if not 2000 <= year <= 2099:
            raise usage("calendar", "bad_date")
        rows = [r for r in await turn.repo.calendar_corrections() if r.day.year in (year, year + 1)]
        cal = turn.services.work_calendar()
        turn.reply(
            "chat/admin/calendar_list.j2",
            rows=rows,
            year=year,
            fallback=[y for y in (year, year + 1) if cal.needs_warning(y)],
        )
        return
    if args[0] not in ("workday", "holiday", "remove") or len(args) < 2:
        raise usage("calendar", "bad_action")
    day = parse_day(args[1])
    if day is None:
        raise usage("calendar", "bad_date")
    row = await turn.repo.get(CalendarCorrection, day)
    if args[0] == "remove":
        if row is None:
            raise Refusal("chat/admin/calendar_nothing.j2", day=day)
        await turn.repo.delete(row)
    else:
        workday = args[0] == "workday"
        note = " ".join(args[2:])[:100] or None
        if row is None:
            turn.repo.add(CalendarCorrection(day=day, is_workday=workday, note=note, entered_by=turn.user_id))
        else:
            row.is_workday, row.note, row.entered_by, row.entered_at = workday, note, turn.user_id, turn.now
    await turn.repo.flush()
    await turn.repo.audit(turn.actor, "calendar_corrected", day=day, change=args[0])
    turn.services.calendar = await work_calendar(turn.repo, turn.settings)
    turn.reply(
        "chat/admin/calendar_changed.j2",
        day=day,
        action=args[0],
        workday=turn.services.work_calendar().is_workday(day),
    )
