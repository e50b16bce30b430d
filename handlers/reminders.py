"""Admins' /remind and /calendar: nudging those with something outstanding, correcting the calendar."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from bot.rules.domain import AssessmentStatus, Phase, Quarter, ReviewStatus
from bot.rules.periods import goals_quarter, registration_quarter, summary_deadline, summary_month
from bot.rules.roles import Access
from bot.workflow.quarter import work_calendar
from handlers.cycle import is_open, outstanding_ballots, window_of
from handlers.lookup import args_of, local_today, parse_day, usage
from handlers.turn import Refusal, Turn, on
from storage.models import Assessment, CalendarCorrection, Goal, MonthlySummary, Person, Registration

DONE = (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED)


async def missing_summaries(turn: Turn, year: int, month: int) -> list[Person]:
    """Active ratees whose summary of the month is neither submitted nor approved."""
    done = set(
        await turn.repo.session.scalars(
            select(MonthlySummary.person_id).where(
                MonthlySummary.year == year, MonthlySummary.month == month, MonthlySummary.status.in_(DONE)
            )
        )
    )
    return [p for p in await turn.repo.people(active_only=True) if not p.role.is_leader and p.id not in done]


async def remind_summaries(turn: Turn, year: int, month: int, day: dt.date, *, first: bool = False) -> int:
    """One reminder on `day` to each ratee missing the month's summary (by the scheduler or /remind)."""
    calendar = turn.services.work_calendar()
    deadline = summary_deadline(year, month, calendar, turn.settings.schedule).astimezone(calendar.tz)
    template = "chat/staff/summary_request.j2" if first else "chat/staff/summary_reminder.j2"
    sent = 0
    for person in await missing_summaries(turn, year, month):
        sent += await turn.notify(
            f"summary:{year}-{month:02d}:{person.id}:{day}",
            person.telegram_user_id,
            template,
            person_id=person.id,
            kind="summary_reminder",
            name=person.name,
            year=year,
            month=month,
            deadline=deadline,
        )
    return sent


async def remind_raters(turn: Turn, assessment: Assessment, day: dt.date) -> int:
    """One reminder on `day` to each rater with ballots outstanding (by the scheduler or /remind)."""
    quarter = Quarter(assessment.year, assessment.quarter)
    window = await window_of(turn, assessment, Phase.RATING)
    until = window.closes.astimezone(turn.services.work_calendar().tz) if window.closes else None
    people = {p.id: p for p in await turn.repo.people(active_only=True)}
    sent = 0
    for rater_id, count in sorted((await outstanding_ballots(turn, assessment)).items()):
        person = people.get(rater_id)
        if person is not None:
            sent += await turn.notify(
                f"rating_reminder:{quarter}:{rater_id}:{day}",
                person.telegram_user_id,
                "chat/leaders/rating_reminder.j2",
                person_id=rater_id,
                kind="rating_reminder",
                name=person.name,
                quarter=quarter,
                count=count,
                until=until,
            )
    return sent


@on(Access.ADMIN)
async def remind(turn: Turn) -> None:
    """/remind: one reminder today to each person with something outstanding."""
    session = turn.repo.session
    calendar = turn.services.work_calendar()
    schedule = turn.settings.schedule
    today = local_today(turn)
    people = await turn.repo.people(active_only=True)
    ratees = [p for p in people if not p.role.is_leader]
    counts: dict[str, int] = defaultdict(int)

    year, month = summary_month(turn.now, calendar, schedule)
    counts["summary"] = await remind_summaries(turn, year, month, today)

    for phase, model, quarter in (
        (Phase.GOALS, Goal, goals_quarter(turn.now, calendar)),
        (Phase.REGISTRATION, Registration, registration_quarter(turn.now, calendar, schedule)),
    ):
        assessment = await turn.repo.assessment(quarter)
        if assessment is None or not await is_open(turn, assessment, phase):
            continue
        done = set(
            await session.scalars(
                select(model.person_id).where(model.assessment_id == assessment.id, model.status.in_(DONE))
            )
        )
        window = await window_of(turn, assessment, phase)
        until = window.closes.astimezone(calendar.tz) if window.closes else None
        template = f"chat/staff/{phase.value}_request.j2"
        for p in ratees:
            if p.id not in done:
                counts[phase.value] += await turn.notify(
                    f"remind:{phase.value}:{quarter}:{p.id}:{today}",
                    p.telegram_user_id,
                    template,
                    person_id=p.id,
                    kind=f"{phase.value}_reminder",
                    name=p.name,
                    quarter=quarter,
                    until=until,
                )

    for assessment in (
        await session.scalars(select(Assessment).where(Assessment.status == AssessmentStatus.RATING))
    ).all():
        if not await is_open(turn, assessment, Phase.RATING):
            continue
        counts["rating"] += await remind_raters(turn, assessment, today)
    turn.reply("chat/admin/reminded.j2", counts={kind: n for kind, n in counts.items() if n})


@on(Access.ADMIN)
async def calendar(turn: Turn) -> None:
    """/calendar workday|holiday DATE [NOTE] | remove DATE | list [YEAR]: the official schedule, by hand."""
    args = args_of(turn)
    session = turn.repo.session
    if not args or args[0] == "list":
        year = (
            int(args[1])
            if len(args) > 1 and args[1].isdecimal() and len(args[1]) == 4
            else local_today(turn).year
        )
        if not 2000 <= year <= 2099:
            raise usage("calendar", "bad_date")
        rows = (await session.scalars(select(CalendarCorrection).order_by(CalendarCorrection.day))).all()
        rows = [r for r in rows if r.day.year in (year, year + 1)]
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
    row = await session.get(CalendarCorrection, day)
    if args[0] == "remove":
        if row is None:
            raise Refusal("chat/admin/calendar_nothing.j2", day=day)
        await session.delete(row)
    else:
        workday = args[0] == "workday"
        note = " ".join(args[2:])[:100] or None
        if row is None:
            session.add(CalendarCorrection(day=day, is_workday=workday, note=note, entered_by=turn.user_id))
        else:
            row.is_workday, row.note, row.entered_by, row.entered_at = workday, note, turn.user_id, turn.now
    await session.flush()
    await turn.repo.audit(turn.actor, "calendar_corrected", day=day, change=args[0])
    turn.services.calendar = await work_calendar(turn.repo, turn.settings)
    turn.reply(
        "chat/admin/calendar_changed.j2",
        day=day,
        action=args[0],
        workday=turn.services.work_calendar().is_workday(day),
    )
