"""The official schedule corrected by hand: a day made a working day or a holiday, or put back."""

from __future__ import annotations

import datetime as dt

from bot.workflow.quarter import work_calendar
from bot.workflow.unit import Refusal, Work
from storage.models import CalendarCorrection


async def correct_day(work: Work, day: dt.date, action: str, note: str | None) -> bool:
    """`action` is workday, holiday or remove; the calendar in force is reloaded. Returns whether the day
    is now a working day.

    Corrections take turns, so the calendar reloaded by the last of two at once holds both."""
    await work.repo.serialize("calendar_corrections")
    row = await work.repo.get(CalendarCorrection, day)
    if action == "remove":
        if row is None:
            raise Refusal("chat/admin/calendar_nothing.j2", day=day)
        await work.repo.delete(row)
    else:
        workday = action == "workday"
        if row is None:
            work.repo.add(CalendarCorrection(day=day, is_workday=workday, note=note, entered_by=work.user_id))
        else:
            row.is_workday, row.note, row.entered_by, row.entered_at = workday, note, work.user_id, work.now
    await work.repo.flush()
    await work.repo.audit(work.actor, "calendar_corrected", day=day, change=action)
    calendar = await work_calendar(work.repo, work.settings)
    work.on_commit.append(lambda: setattr(work.services, "calendar", calendar))  # not if it rolls back
    return calendar.is_workday(day)
