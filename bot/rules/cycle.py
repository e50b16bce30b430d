"""The quarter as an object with explicit statuses, and the windows of its phases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.rules.domain import AssessmentStatus, Phase, Quarter
from bot.rules.workcalendar import WorkCalendar
from bot.settings import ScheduleSettings

S = AssessmentStatus


class Event(StrEnum):
    """What moves a quarter from one status to the next."""

    OPEN_RATING = "open_rating"
    CLOSE_RATING = "close_rating"
    CONFIRM = "confirm"
    PUBLISH = "publish"
    UPHOLD_OBJECTION = "uphold_objection"
    CLOSE_PUBLICITY = "close_publicity"


TRANSITIONS: dict[tuple[AssessmentStatus, Event], AssessmentStatus] = {
    (S.PREPARING, Event.OPEN_RATING): S.RATING,
    (S.COMPUTED, Event.OPEN_RATING): S.RATING,
    (S.RATING, Event.CLOSE_RATING): S.COMPUTED,
    (S.COMPUTED, Event.CONFIRM): S.CONFIRMED,
    (S.CONFIRMED, Event.PUBLISH): S.PUBLICITY,
    (S.PUBLICITY, Event.UPHOLD_OBJECTION): S.COMPUTED,
    (S.PUBLICITY, Event.CLOSE_PUBLICITY): S.FINAL,
}


class CycleError(Exception):
    """The event does not apply to the quarter's status; `status` and `event` say which."""

    def __init__(self, status: AssessmentStatus, event: Event) -> None:
        self.status, self.event = status, event
        super().__init__(f"{event} is not allowed while the quarter is {status}")


def advance(status: AssessmentStatus, event: Event) -> AssessmentStatus:
    """The status after `event`, or CycleError."""
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise CycleError(status, event) from None


@dataclass(frozen=True)
class Window:
    """When a phase is open: [opens, closes); `closes` None means until an admin closes it."""

    opens: dt.datetime
    closes: dt.datetime | None

    def contains(self, moment: dt.datetime) -> bool:
        return self.opens <= moment and (self.closes is None or moment < self.closes)


@dataclass(frozen=True)
class WindowOverride:
    """An admin's /open, /extend or /close of a phase."""

    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


def default_window(
    phase: Phase, quarter: Quarter, calendar: WorkCalendar, schedule: ScheduleSettings
) -> Window:
    """The plan's window of a phase of `quarter` (SPEC section 3) in the bureau's time zone."""
    tz = calendar.tz
    start, end = schedule.reminder_time, schedule.deadline_time
    following = quarter.next()
    if phase is Phase.GOALS:
        first = calendar.nth_workday_from(quarter.first_day, 1)
        last = calendar.nth_workday_from(quarter.first_day, schedule.goals_workdays)
    elif phase is Phase.REGISTRATION:
        first = calendar.last_workday_of_month(quarter.year, quarter.months[-1])
        last = calendar.nth_workday_from(following.first_day, schedule.registration_deadline_workday)
    elif phase is Phase.RATING:
        first = calendar.nth_workday_from(following.first_day, schedule.rating_first_workday)
        last = calendar.nth_workday_from(following.first_day, schedule.rating_last_workday)
    else:
        raise ValueError(f"{phase} has no default window: it starts when the notice is posted")
    return Window(dt.datetime.combine(first, start, tzinfo=tz), dt.datetime.combine(last, end, tzinfo=tz))


def effective_window(default: Window, override: WindowOverride | None) -> Window:
    """The plan's window as admins changed it: opened now, extended, or closed early."""
    if override is None:
        return default
    opens = override.opens_at or default.opens
    if override.closes_at is not None:
        closes = override.closes_at
    elif override.opens_at is not None:
        closes = None  # opened by hand: open until closed or given an end
    else:
        closes = default.closes
    if override.closed_at is not None and (closes is None or override.closed_at < closes):
        closes = max(override.closed_at, opens)
    return Window(opens, closes)
