"""A quarter's phases: which quarter a phase is about, their windows, opening, extending and closing them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from bot.rules.cycle import (
    CycleError,
    Event,
    Window,
    WindowOverride,
    advance,
    default_window,
    effective_window,
)
from bot.rules.domain import AssessmentStatus, Phase, Quarter
from bot.rules.periods import goals_quarter, registration_quarter
from bot.workflow.quarter import ComputedQuarter, compute_and_store
from bot.workflow.raters import pairs_for, ratees
from bot.workflow.span import span
from bot.workflow.unit import Refusal, Work
from storage.models import Assessment


async def window_of(work: Work, assessment: Assessment, phase: Phase) -> Window:
    """The phase's window: the calendar's default with the admins' changes applied."""
    default = default_window(phase, assessment.period, work.calendar, work.settings.schedule)
    row = await work.repo.phase_window(assessment.id, phase)
    override = WindowOverride(row.opens_at, row.closes_at, row.closed_at) if row else None
    return effective_window(default, override)


async def is_open(work: Work, assessment: Assessment, phase: Phase) -> bool:
    return (await window_of(work, assessment, phase)).contains(work.now)


async def not_opening(work: Work, quarter: Quarter, phase: Phase, assessment: Assessment | None) -> Refusal:
    """The answer to a staff member asking for a phase that is not open now: "it will not open" when its
    quarter is before the bot's span or its window is past (nothing will open it by itself), else "the
    bot will tell you when it opens"."""
    current = await span(work)
    if not current.quarter(quarter):
        return Refusal("chat/staff/phase_never.j2", phase=phase, quarter=quarter, first=current.first)
    if assessment is not None:
        window = await window_of(work, assessment, phase)
    else:
        window = default_window(phase, quarter, work.calendar, work.settings.schedule)
    if window.closes is not None and work.now >= window.closes:
        return Refusal("chat/staff/phase_never.j2", phase=phase, quarter=quarter, first=None)
    return Refusal("chat/staff/phase_closed.j2", phase=phase, quarter=quarter)


def deadline_on(work: Work, day: dt.date) -> dt.datetime:
    """A day at the deadline time, on the bureau's clock."""
    return dt.datetime.combine(day, work.settings.schedule.deadline_time, tzinfo=work.calendar.tz)


def local_until(work: Work, moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(work.calendar.tz) if moment is not None else None


async def assessed_quarter(work: Work, given: Quarter | None = None) -> Quarter:
    """The quarter an admin command is about: the one given, else last quarter until it is final."""
    if given is not None:
        return given
    current = Quarter.containing(work.today)
    previous = current.previous()
    if not (await span(work)).quarter(previous):
        return current  # a quarter before the bot took part is not the one in question
    found = await work.repo.assessment(previous)
    if found is not None and found.status is not AssessmentStatus.FINAL:
        return previous
    return current


async def quarter_for(work: Work, phase: Phase, given: Quarter | None) -> Quarter:
    """The quarter a phase command is about when none is given."""
    if given is not None:
        return given
    if phase is Phase.GOALS:
        return goals_quarter(work.now, work.calendar)
    if phase is Phase.REGISTRATION:
        return registration_quarter(work.now, work.calendar, work.settings.schedule)
    if phase is Phase.RATING:  # rating is for the quarter that ended, unless that one is already final
        current = Quarter.containing(work.today)
        if not (await span(work)).quarter(current.previous()):
            return current
        ended = await work.repo.assessment(current.previous())
        return current if ended is not None and ended.status is AssessmentStatus.FINAL else current.previous()
    return await assessed_quarter(work)


async def assessment_in(work: Work, quarter: Quarter, status: AssessmentStatus, event: str) -> Assessment:
    """The quarter's assessment, locked, if it is in `status`; else the refusal says what state it is in.

    Every step that changes a quarter reads it here, in existing_assessment or editable_assessment, or
    locks the one it was given (`work.repo.lock`) before looking at its status: two such steps at once
    take turns, and the second sees what the first did (a second confirmation is refused, not doubled).
    """
    assessment = await work.repo.assessment(quarter, lock=True)
    if assessment is None or assessment.status is not status:
        found = assessment.status if assessment else AssessmentStatus.PREPARING
        raise Refusal("chat/admin/wrong_status.j2", quarter=quarter, status=found, event=event)
    return assessment


async def existing_assessment(work: Work, quarter: Quarter) -> Assessment:
    """The quarter's assessment, locked (see assessment_in); refused when there is none."""
    assessment = await work.repo.assessment(quarter, lock=True)
    if assessment is None:
        raise Refusal("chat/admin/no_assessment.j2", quarter=quarter)
    return assessment


def transition(work: Work, assessment: Assessment, event: Event) -> None:
    """Move the quarter to its next status, or refuse with the status it is in."""
    try:
        assessment.status = advance(assessment.status, event)
    except CycleError as exc:
        raise Refusal(
            "chat/admin/wrong_status.j2", quarter=assessment.period, status=exc.status, event=event.value
        ) from None
    assessment.updated_at = work.now


def new_end(work: Work, day: dt.date) -> dt.datetime | None:
    """A phase's new end: the day given at the deadline time; None when that is already past."""
    until = deadline_on(work, day)
    return until if until > work.now else None


async def open_phase(work: Work, phase: Phase, quarter: Quarter, until: dt.datetime | None) -> int:
    """Open goals, registration or rating now (until the given end); returns how many were told.

    A quarter before the bot's first month is brought into its span by this (bot.workflow.span)."""
    assessment = await work.repo.assessment(quarter, create=True, lock=True)
    if phase is Phase.RATING:
        transition(work, assessment, Event.OPEN_RATING)
    row = await work.repo.phase_window(assessment.id, phase, create=True)
    row.opens_at, row.closes_at, row.closed_at = work.now, until, None
    await work.repo.audit(
        work.actor, "phase_opened", assessment_id=assessment.id, phase=phase.value, until=until
    )
    return await announce_phase(work, assessment, phase, until)


async def announce_phase(work: Work, assessment: Assessment, phase: Phase, until: dt.datetime | None) -> int:
    """Tell everyone concerned that a phase opened (once per person and phase)."""
    quarter = assessment.period
    sent = 0
    if phase is Phase.RATING:
        per_rater: dict[int, int] = defaultdict(int)
        for rater_id, _ratee in await pairs_for(work, assessment):
            per_rater[rater_id] += 1
        people = await work.repo.people_by_id(active_only=True)
        for rater_id, count in sorted(per_rater.items()):
            person = people[rater_id]
            sent += await work.notify(
                f"rating:{quarter}:{rater_id}",
                person.telegram_user_id,
                "chat/leaders/rating_request.j2",
                work.sheet_keyboard(),
                person_id=rater_id,
                kind="rating_request",
                name=person.name,
                quarter=quarter,
                count=count,
                until=until,
                sheet=work.sheet_url is not None,
            )
        return sent
    template = "chat/staff/goals_request.j2" if phase is Phase.GOALS else "chat/staff/registration_request.j2"
    for person in await ratees(work):
        sent += await work.notify(
            f"{phase.value}:{quarter}:{person.id}",
            person.telegram_user_id,
            template,
            person_id=person.id,
            kind=f"{phase.value}_request",
            name=person.name,
            quarter=quarter,
            until=until,
        )
    return sent


async def open_rating_on_schedule(work: Work, assessment: Assessment, window: Window) -> int:
    """The calendar's rating window has come with no admin's word: rating opens, the raters are asked."""
    await work.repo.lock(assessment)
    if assessment.status is not AssessmentStatus.PREPARING:  # an admin opened it meanwhile
        return 0
    transition(work, assessment, Event.OPEN_RATING)
    await work.repo.audit(work.actor, "phase_opened", assessment_id=assessment.id, phase=Phase.RATING.value)
    return await announce_phase(work, assessment, Phase.RATING, local_until(work, window.closes))


async def extend_phase(work: Work, phase: Phase, quarter: Quarter, until: dt.datetime) -> None:
    """Move a phase's end (and reopen it if it was closed)."""
    assessment = await work.repo.assessment(quarter, create=True, lock=True)
    if phase is Phase.RATING and assessment.status is not AssessmentStatus.RATING:
        raise Refusal("chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="extend")
    row = await work.repo.phase_window(assessment.id, phase, create=True)
    row.closes_at, row.closed_at = until, None
    await work.repo.audit(
        work.actor, "phase_extended", assessment_id=assessment.id, phase=phase.value, until=until
    )


async def close_phase(work: Work, assessment: Assessment, phase: Phase) -> None:
    """Close a phase now (goals, registration, or rating as part of closing it)."""
    row = await work.repo.phase_window(assessment.id, phase, create=True)
    row.closed_at = work.now
    await work.repo.audit(work.actor, "phase_closed", assessment_id=assessment.id, phase=phase.value)


async def rating_can_close(work: Work, quarter: Quarter) -> Assessment:
    assessment = await existing_assessment(work, quarter)
    if assessment.status is not AssessmentStatus.RATING:
        raise Refusal("chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="close")
    return assessment


async def close_rating(work: Work, assessment: Assessment) -> ComputedQuarter:
    """End rating: ballots locked, scores and proposed tiers computed (by an admin or the scheduler)."""
    await work.repo.lock(assessment)  # waits for taps in flight
    transition(work, assessment, Event.CLOSE_RATING)
    await close_phase(work, assessment, Phase.RATING)
    return await compute_and_store(work.repo, work.settings, assessment.period, work.actor)
