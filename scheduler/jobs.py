"""The cycle's jobs: on every tick, what is due is derived from the calendar and the database, and done once.

Nothing about what is due lives in memory: a tick after downtime catches up (a reminder still useful
goes out once), and admins' /open, /extend and /close change what the ticks do. Every message goes
through the outbox with a key, so a tick that runs twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.records.annual import annual_report
from bot.rules.cycle import default_window
from bot.rules.domain import AssessmentStatus, Phase, Quarter
from bot.rules.periods import previous_month, summary_deadline
from bot.workflow.phases import announce_phase, close_rating, local_until, open_rating_on_schedule, window_of
from bot.workflow.publicity import end_publicity_when_due
from bot.workflow.reminders import missing_list, remind_raters, remind_summaries
from bot.workflow.services import Services
from bot.workflow.span import span
from bot.workflow.unit import SCHEDULER, Work, unit_of_work
from storage.models import Assessment

log = logging.getLogger(__name__)

MISSING_LIST_DAYS = 3  # working days after the deadline in which the missing list is still worth sending


class Scheduler:
    """Runs the cycle: call tick() every minute (PTB's JobQueue does) or whenever the clock moves."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def tick(self) -> None:
        """Do everything due now, each step in its own transaction."""
        for step in (self.monthly, self.quarterly, self.calendar_warning):
            try:
                async with unit_of_work(self.services, user_id=SCHEDULER) as work:
                    await step(work)
            except Exception:
                log.exception("scheduler step %s failed", step.__name__)

    # --- month ---------------------------------------------------------------------------------

    async def monthly(self, work: Work) -> None:
        calendar = work.calendar
        schedule = work.settings.schedule
        local = calendar.localize(work.now)
        today = local.date()
        followed = await span(work)
        for year, month in (previous_month(local.year, local.month), (local.year, local.month)):
            if not followed.month(year, month):
                continue  # before the bot took part: no reminder, no missing list
            last = calendar.last_workday_of_month(year, month)
            starts = dt.datetime.combine(last, schedule.reminder_time, tzinfo=calendar.tz)
            deadline = summary_deadline(year, month, calendar, schedule)
            if starts <= local < deadline:
                if calendar.is_workday(today) and local.time() >= schedule.reminder_time:
                    await remind_summaries(work, year, month, today, first=today == last)
            elif (
                deadline <= local
                and today <= calendar.add_workdays(deadline.date(), MISSING_LIST_DAYS)
                and calendar.is_workday(today)
                and (today == deadline.date() or local.time() >= schedule.reminder_time)
            ):
                await missing_list(work, year, month)

    # --- quarter -------------------------------------------------------------------------------

    async def quarterly(self, work: Work) -> None:
        calendar = work.calendar
        local = calendar.localize(work.now)
        current = Quarter.containing(local.date())
        followed = await span(work)
        for quarter in (current.previous(), current):
            if not followed.quarter(quarter):
                continue  # before the bot took part: nothing opened, asked or shown
            # the quarter just ended still has registration and rating ahead: it needs its row too
            rating_ends = default_window(Phase.RATING, quarter, calendar, work.settings.schedule).closes
            assessment = await work.repo.assessment(
                quarter, create=quarter == current or work.now < rating_ends
            )
            if assessment is None:
                continue
            await self.phase_requests(work, assessment, quarter)
            await self.rating(work, assessment, quarter)
            await self.publicity(work, assessment, quarter)
        await self.annual(work, current)

    async def phase_requests(self, work: Work, assessment: Assessment, quarter: Quarter) -> None:
        """Goals at the start of the quarter, registration with its last month-end reminder: once each."""
        for phase in (Phase.GOALS, Phase.REGISTRATION):
            window = await window_of(work, assessment, phase)
            if window.contains(work.now) and work.calendar.is_workday(work.today):
                until = local_until(work, window.closes)
                await announce_phase(work, assessment, phase, until)

    async def rating(self, work: Work, assessment: Assessment, quarter: Quarter) -> None:
        window = await window_of(work, assessment, Phase.RATING)
        calendar = work.calendar
        local = calendar.localize(work.now)
        if window.contains(work.now):
            if assessment.status is AssessmentStatus.PREPARING:
                await open_rating_on_schedule(work, assessment, window)
            elif (
                assessment.status is AssessmentStatus.RATING
                and calendar.is_workday(local.date())
                and local.time() >= work.settings.schedule.reminder_time
                and local.date() > calendar.localize(window.opens).date()
            ):
                await remind_raters(work, assessment, local.date())
        elif (
            assessment.status is AssessmentStatus.PREPARING
            and window.closes is not None
            and work.now >= window.closes
        ):
            await work.tell_admins(
                f"rating_missed:{quarter}",
                "chat/admin/rating_missed.j2",
                kind="rating_missed",
                quarter=quarter,
            )
        elif (
            assessment.status is AssessmentStatus.RATING
            and window.closes is not None
            and work.now >= window.closes
        ):
            computed = await close_rating(work, assessment)
            await work.tell_admins(
                f"rating_closed:{quarter}:{assessment.updated_at.timestamp():.0f}",
                "chat/admin/rating_closed.j2",
                kind="results",
                quarter=quarter,
                proposal=computed.proposal,
                conflicts=len(computed.proposal.conflicts),
                held_back=computed.held_back,
                minimum=computed.peer_minimum,
            )

    async def publicity(self, work: Work, assessment: Assessment, quarter: Quarter) -> None:
        if assessment.status is AssessmentStatus.PUBLICITY:
            await end_publicity_when_due(work, assessment)

    async def annual(self, work: Work, current: Quarter) -> None:
        """After Q4 is final, the annual linkage goes to the admins once."""
        year = current.year - 1  # Q4 of a year is final early in the next one
        q4 = await work.repo.assessment(Quarter(year, 4))
        if q4 is None or q4.status is not AssessmentStatus.FINAL:
            return
        admins = await work.admin_chat_ids()
        if len(await work.repo.outbox_keys([f"annual:{year}:{a}" for a in admins])) == len(admins):
            return  # the report is not computed again on every tick
        report = await annual_report(work.repo, work.settings, year)
        await work.tell_admins(
            f"annual:{year}", "chat/admin/annual.j2", kind="annual", year=year, report=report
        )

    # --- calendar ------------------------------------------------------------------------------

    async def calendar_warning(self, work: Work) -> None:
        """Once per year and admin: the official schedule of a year the library does not know is missing."""
        calendar = work.calendar
        local = calendar.localize(work.now)
        years = [local.year] + ([local.year + 1] if local.month >= 11 else [])
        await work.revive_notices()  # an admin reached since the warning could not reach him
        for year in years:
            if calendar.needs_warning(year):
                await work.tell_admins(
                    f"calendar_warning:{year}",
                    "chat/admin/calendar_warning.j2",
                    kind="calendar_warning",
                    year=year,
                )
