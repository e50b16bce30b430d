"""The services every handler and job shares, kept in application.bot_data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.rules.workcalendar import WorkCalendar
from bot.settings import Settings
from bot.workflow.clock import Clock, SystemClock
from storage.database import Database, connection_lost, duplicate

SERVICES_KEY = "services"


@dataclass
class Services:
    """Settings, the database, the clock and the outbox's wake-up call.

    `on_turn_end`, when set, is called with the update id and the outcome ("ok", "refused", "rejected",
    "duplicate", "unavailable", "error") once a turn has ended and its answers were sent: how a test
    or a harness knows a turn is over without reading the log.
    """

    settings: Settings
    database: Database
    clock: Clock = field(default_factory=SystemClock)
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    calendar: WorkCalendar | None = None
    on_turn_end: Callable[[int, str], None] | None = None
    # Derived, never of record: the raters who still owe ballots, by what it was derived from
    # (bot.workflow.menus), so the menus' round does not recount a whole bureau's ballots when nothing moved.
    owing_cache: dict = field(default_factory=dict)

    def work_calendar(self) -> WorkCalendar:
        """The calendar in force (reloaded when an admin corrects a day)."""
        if self.calendar is None:
            cal = self.settings.calendar
            self.calendar = WorkCalendar(
                cal.extra_workdays, cal.extra_holidays, self.settings.schedule.timezone
            )
        return self.calendar


def unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot serve right now (the user is asked to try again)."""
    return connection_lost(exc)


def written_meanwhile(exc: BaseException) -> bool:
    """Whether an error is a row another transaction wrote first: the request may simply be made again."""
    return duplicate(exc)
