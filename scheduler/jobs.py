"""The cycle's jobs: on every tick, what is due is derived from the calendar and the database, and done once.

Nothing about what is due lives in memory: a tick after downtime catches up (a reminder still useful
goes out once), and admins' /open, /extend and /close change what the ticks do. Every message goes
through the outbox with a key, so a tick that runs twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import func, select

from bot.rules.cycle import Event, advance, default_window
from bot.rules.domain import AssessmentStatus, ObjectionStatus, Phase, Quarter
from bot.rules.periods import previous_month, summary_deadline
from bot.rules.roles import Identity, PersonView
from bot.workflow.services import Services
from handlers.cycle import (
    announce_phase,
    close_rating,
    current_publicity,
    finish_publicity,
    window_of,
)
from handlers.reminders import missing_summaries, remind_raters, remind_summaries
from handlers.staff import admin_chat_ids, reviewers_of_summary
from handlers.turn import Turn
from storage.models import Assessment, Objection, OutboxMessage
from storage.repository import Repository

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
                async with self.services.database.session() as session:
                    turn = Turn(None, self.services, Repository(session), Identity(0))
                    await step(turn)
                if turn.effects.outbox:
                    self.services.outbox_wakeup.set()
            except Exception:
                log.exception("scheduler step %s failed", step.__name__)

    # --- month ---------------------------------------------------------------------------------

    async def monthly(self, turn: Turn) -> None:
        calendar = turn.services.work_calendar()
        schedule = turn.settings.schedule
        local = calendar.localize(turn.now)
        today = local.date()
        for year, month in (previous_month(local.year, local.month), (local.year, local.month)):
            last = calendar.last_workday_of_month(year, month)
            starts = dt.datetime.combine(last, schedule.reminder_time, tzinfo=calendar.tz)
            deadline = summary_deadline(year, month, calendar, schedule)
            if starts <= local < deadline:
                if calendar.is_workday(today) and local.time() >= schedule.reminder_time:
                    await remind_summaries(turn, year, month, today, first=today == last)
            elif (
                deadline <= local
                and today <= calendar.add_workdays(deadline.date(), MISSING_LIST_DAYS)
                and calendar.is_workday(today)
                and (today == deadline.date() or local.time() >= schedule.reminder_time)
            ):
                await self.missing_list(turn, year, month, deadline)

    async def missing_list(self, turn: Turn, year: int, month: int, deadline) -> None:
        missing = await missing_summaries(turn, year, month)
        if not missing:
            return
        by_leader: dict[int, list[str]] = defaultdict(list)
        for person in missing:
            view = PersonView(person.id, person.name, person.role, person.section_id, person.active)
            for leader_id in await reviewers_of_summary(turn, view):
                by_leader[leader_id].append(person.name)
        people = {p.id: p for p in await turn.repo.people(active_only=True)}
        for leader_id, names in sorted(by_leader.items()):
            leader = people.get(leader_id)
            if leader is not None:
                await turn.notify(
                    f"summary_missing:{year}-{month:02d}:{leader_id}",
                    leader.telegram_user_id,
                    "chat/leaders/summary_missing.j2",
                    person_id=leader_id,
                    kind="missing_list",
                    year=year,
                    month=month,
                    names=names,
                )
        sections = {s.id: s.name for s in await turn.repo.sections()}
        rows = [(p.name, sections.get(p.section_id, "")) for p in missing]
        for admin_id in await admin_chat_ids(turn):
            await turn.notify(
                f"summary_missing:{year}-{month:02d}:admin:{admin_id}",
                admin_id,
                "chat/admin/summary_missing.j2",
                kind="missing_list",
                year=year,
                month=month,
                rows=rows,
            )

    # --- quarter -------------------------------------------------------------------------------

    async def quarterly(self, turn: Turn) -> None:
        calendar = turn.services.work_calendar()
        local = calendar.localize(turn.now)
        current = Quarter.containing(local.date())
        for quarter in (current.previous(), current):
            # the quarter just ended still has registration and rating ahead: it needs its row too
            rating_ends = default_window(Phase.RATING, quarter, calendar, turn.settings.schedule).closes
            assessment = await turn.repo.assessment(
                quarter, create=quarter == current or turn.now < rating_ends
            )
            if assessment is None:
                continue
            await self.phase_requests(turn, assessment, quarter)
            await self.rating(turn, assessment, quarter)
            await self.publicity(turn, assessment, quarter)
        await self.annual(turn, current)

    async def phase_requests(self, turn: Turn, assessment: Assessment, quarter: Quarter) -> None:
        """Goals at the start of the quarter, registration with its last month-end reminder: once each."""
        for phase in (Phase.GOALS, Phase.REGISTRATION):
            window = await window_of(turn, assessment, phase)
            if window.contains(turn.now) and turn.services.work_calendar().is_workday(
                turn.services.work_calendar().localize(turn.now).date()
            ):
                until = window.closes.astimezone(turn.services.work_calendar().tz) if window.closes else None
                await announce_phase(turn, assessment, quarter, phase, until)

    async def rating(self, turn: Turn, assessment: Assessment, quarter: Quarter) -> None:
        window = await window_of(turn, assessment, Phase.RATING)
        calendar = turn.services.work_calendar()
        local = calendar.localize(turn.now)
        if window.contains(turn.now):
            if assessment.status is AssessmentStatus.PREPARING:
                assessment.status = advance(assessment.status, Event.OPEN_RATING)
                await turn.repo.audit(turn.actor, "phase_opened", assessment_id=assessment.id, phase="rating")
                until = window.closes.astimezone(calendar.tz) if window.closes else None
                await announce_phase(turn, assessment, quarter, Phase.RATING, until)
            elif (
                assessment.status is AssessmentStatus.RATING
                and calendar.is_workday(local.date())
                and local.time() >= turn.settings.schedule.reminder_time
                and local.date() > calendar.localize(window.opens).date()
            ):
                await remind_raters(turn, assessment, local.date())
        elif (
            assessment.status is AssessmentStatus.PREPARING
            and window.closes is not None
            and turn.now >= window.closes
        ):
            for admin_id in await admin_chat_ids(turn):
                await turn.notify(
                    f"rating_missed:{quarter}:{admin_id}",
                    admin_id,
                    "chat/admin/rating_missed.j2",
                    kind="rating_missed",
                    quarter=quarter,
                )
        elif (
            assessment.status is AssessmentStatus.RATING
            and window.closes is not None
            and turn.now >= window.closes
        ):
            computed = await close_rating(turn, assessment, quarter)
            for admin_id in await admin_chat_ids(turn):
                await turn.notify(
                    f"rating_closed:{quarter}:{assessment.updated_at.timestamp():.0f}:{admin_id}",
                    admin_id,
                    "chat/admin/rating_closed.j2",
                    kind="results",
                    quarter=quarter,
                    proposal=computed.proposal,
                    conflicts=len(computed.proposal.conflicts),
                )

    async def publicity(self, turn: Turn, assessment: Assessment, quarter: Quarter) -> None:
        if assessment.status is not AssessmentStatus.PUBLICITY:
            return
        publicity = await current_publicity(turn, assessment)
        if publicity is None or turn.now < publicity.ends_at:
            return
        open_objections = await turn.repo.session.scalar(
            select(func.count())
            .select_from(Objection)
            .where(Objection.assessment_id == assessment.id, Objection.status == ObjectionStatus.OPEN)
        )
        if open_objections:
            for admin_id in await admin_chat_ids(turn):
                await turn.notify(
                    f"publicity_waits:{quarter}:{publicity.round}:{admin_id}",
                    admin_id,
                    "chat/admin/objections_open.j2",
                    kind="publicity_waits",
                    count=open_objections,
                )
            return
        await finish_publicity(turn, assessment, quarter)

    async def annual(self, turn: Turn, current: Quarter) -> None:
        """After Q4 is final, the annual linkage goes to the admins once."""
        from bot.records.annual import annual_report

        year = current.year - 1  # Q4 of a year is final early in the next one
        q4 = await turn.repo.assessment(Quarter(year, 4))
        if q4 is None or q4.status is not AssessmentStatus.FINAL:
            return
        admins = await admin_chat_ids(turn)
        sent = set(
            await turn.repo.session.scalars(
                select(OutboxMessage.key).where(OutboxMessage.key.in_([f"annual:{year}:{a}" for a in admins]))
            )
        )
        if len(sent) == len(admins):
            return
        report = await annual_report(turn.repo, turn.settings, year)
        for admin_id in admins:
            await turn.notify(
                f"annual:{year}:{admin_id}",
                admin_id,
                "chat/admin/annual.j2",
                kind="annual",
                year=year,
                report=report,
            )

    # --- calendar ------------------------------------------------------------------------------

    async def calendar_warning(self, turn: Turn) -> None:
        """Once per year and admin: the official schedule of a year the library does not know is missing."""
        calendar = turn.services.work_calendar()
        local = calendar.localize(turn.now)
        years = [local.year] + ([local.year + 1] if local.month >= 11 else [])
        for year in years:
            if calendar.needs_warning(year):
                for admin_id in await admin_chat_ids(turn):
                    await turn.notify(
                        f"calendar_warning:{year}:{admin_id}",
                        admin_id,
                        "chat/admin/calendar_warning.j2",
                        kind="calendar_warning",
                        year=year,
                    )
