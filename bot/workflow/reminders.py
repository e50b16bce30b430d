"""Reminders: month-end summaries, outstanding ballots, the missing lists, and an admin's reminder round."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from bot.rules.domain import AssessmentStatus, Phase, ReviewStatus
from bot.rules.periods import goals_quarter, previous_month, registration_quarter, summary_deadline
from bot.rules.roles import PersonView
from bot.workflow.people import reviewers_of_summary
from bot.workflow.phases import is_open, local_until, window_of
from bot.workflow.raters import outstanding_ballots, ratees
from bot.workflow.span import span
from bot.workflow.unit import Work
from storage.models import Assessment, Goal, Person, Registration


def reminder_key(kind: str, period: str, person_id: int, day: dt.date) -> str:
    """The outbox key of a day's reminder of one kind: the scheduler, /remind and /status's chase button share
    it, so one person gets one reminder of a kind a day whoever sends it."""
    if kind == "summary":
        return f"summary:{period}:{person_id}:{day}"
    if kind == "rating":
        return f"rating_reminder:{period}:{person_id}:{day}"
    return f"remind:{kind}:{period}:{person_id}:{day}"


DONE = (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED)


async def missing_summaries(work: Work, year: int, month: int) -> list[Person]:
    """Active ratees whose summary of the month is neither submitted nor approved."""
    done = await work.repo.summaries_done(year, month, DONE)
    return [p for p in await ratees(work) if p.id not in done]


async def remind_summaries(work: Work, year: int, month: int, day: dt.date, *, first: bool = False) -> int:
    """One reminder on `day` to each ratee missing the month's summary (by the scheduler or /remind)."""
    deadline = summary_deadline(year, month, work.calendar, work.settings.schedule).astimezone(
        work.calendar.tz
    )
    template = "chat/staff/summary_request.j2" if first else "chat/staff/summary_reminder.j2"
    sent = 0
    for person in await missing_summaries(work, year, month):
        sent += await work.notify(
            reminder_key("summary", f"{year}-{month:02d}", person.id, day),
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


async def missing_list(work: Work, year: int, month: int) -> None:
    """After the deadline: each leader gets his people still missing, the admins everyone missing."""
    missing = await missing_summaries(work, year, month)
    if not missing:
        return
    by_leader: dict[int, list[str]] = defaultdict(list)
    for person in missing:
        view = PersonView(person.id, person.name, person.role, person.section_id, person.active)
        for leader_id in await reviewers_of_summary(work, view):
            by_leader[leader_id].append(person.name)
    people = await work.repo.people_by_id(active_only=True)
    for leader_id, names in sorted(by_leader.items()):
        leader = people.get(leader_id)
        if leader is not None:
            await work.notify(
                f"summary_missing:{year}-{month:02d}:{leader_id}",
                leader.telegram_user_id,
                "chat/leaders/summary_missing.j2",
                person_id=leader_id,
                kind="missing_list",
                year=year,
                month=month,
                names=names,
            )
    sections = await work.repo.section_names()
    await work.tell_admins(
        f"summary_missing:{year}-{month:02d}:admin",
        "chat/admin/summary_missing.j2",
        kind="missing_list",
        year=year,
        month=month,
        rows=[(p.name, sections.get(p.section_id, "")) for p in missing],
    )


async def remind_raters(work: Work, assessment: Assessment, day: dt.date) -> int:
    """One reminder on `day` to each rater with ballots outstanding (by the scheduler or /remind)."""
    quarter = assessment.period
    until = local_until(work, (await window_of(work, assessment, Phase.RATING)).closes)
    people = await work.repo.people_by_id(active_only=True)
    sent = 0
    for rater_id, count in sorted((await outstanding_ballots(work, assessment)).items()):
        person = people.get(rater_id)
        if person is not None:
            sent += await work.notify(
                reminder_key("rating", str(quarter), rater_id, day),
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


def summary_due(work: Work) -> tuple[int, int] | None:
    """The month whose summary is due now: from its last working day (when the scheduler's reminders
    start) until its deadline; none between a deadline and the next month-end."""
    calendar, schedule = work.calendar, work.settings.schedule
    local = calendar.localize(work.now)
    for year, month in ((local.year, local.month), previous_month(local.year, local.month)):
        starts = calendar.last_workday_of_month(year, month)
        if starts <= local.date() and local < summary_deadline(year, month, calendar, schedule):
            return year, month
    return None


async def remind_everyone(work: Work, only: str | None = None) -> dict[str, int]:
    """An admin's round: one reminder today to each person with something due now, counted by kind;
    `only` ("summary", "goals", "registration" or "rating") limits it to that kind."""
    today = work.today
    counts: dict[str, int] = defaultdict(int)
    followed = await span(work)
    due = summary_due(work)
    if only in (None, "summary") and due is not None and followed.month(*due):
        counts["summary"] = await remind_summaries(work, *due, today)
    for phase, model, quarter in (
        (Phase.GOALS, Goal, goals_quarter(work.now, work.calendar)),
        (
            Phase.REGISTRATION,
            Registration,
            registration_quarter(work.now, work.calendar, work.settings.schedule),
        ),
    ):
        if only not in (None, phase.value):
            continue
        assessment = await work.repo.assessment(quarter)
        if assessment is None or not followed.quarter(quarter) or not await is_open(work, assessment, phase):
            continue
        done = {d.person_id for d in await work.repo.quarter_docs(model, assessment.id, statuses=DONE)}
        until = local_until(work, (await window_of(work, assessment, phase)).closes)
        for p in await ratees(work):
            if p.id not in done:
                counts[phase.value] += await work.notify(
                    reminder_key(phase.value, str(quarter), p.id, today),
                    p.telegram_user_id,
                    f"chat/staff/{phase.value}_request.j2",
                    person_id=p.id,
                    kind=f"{phase.value}_reminder",
                    name=p.name,
                    quarter=quarter,
                    until=until,
                )
    rating = await work.repo.assessments(AssessmentStatus.RATING) if only in (None, "rating") else []
    for assessment in rating:
        if followed.quarter(assessment.period) and await is_open(work, assessment, Phase.RATING):
            counts["rating"] += await remind_raters(work, assessment, today)
    return {kind: n for kind, n in counts.items() if n}
