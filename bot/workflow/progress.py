"""Progress of a quarter by section (for /status): who has handed in and voted, and how far, never what."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from bot.rules.domain import AssessmentStatus, Phase, Quarter, ReviewStatus
from bot.workflow.missing import Missing, missing_now
from bot.workflow.months import closed, month_in_view
from bot.workflow.phases import is_open
from bot.workflow.raters import pairs_for
from bot.workflow.unit import Work
from storage.models import Goal, Registration

DONE = (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED)


@dataclass
class Line:
    section: str
    done: int = 0
    total: int = 0


@dataclass
class Report:
    quarter: Quarter
    status: AssessmentStatus | None
    month: tuple[int, int] | None  # the summaries' month at hand; None before the bot takes part
    summaries: list[Line] = field(default_factory=list)
    goals: list[Line] = field(default_factory=list)
    registrations: list[Line] = field(default_factory=list)
    ballots: list[Line] = field(default_factory=list)
    open_phases: list[Phase] = field(default_factory=list)
    missing: Missing | None = None  # who, by name, for the lists at hand
    month_closed: bool = False  # the admins stopped taking the month's summaries (no chase then)


def _lines(sections: dict[int, str], totals: dict[int, int], done: dict[int, int]) -> list[Line]:
    return [
        Line(sections.get(s, ""), done.get(s, 0), n)
        for s, n in sorted(totals.items(), key=lambda x: sections.get(x[0], ""))
    ]


async def progress_report(work: Work, quarter: Quarter, given: Quarter | None = None) -> Report:
    sections = {s.id: s.name for s in await work.repo.sections()}
    people = await work.repo.people(active_only=True)
    ratees = [p for p in people if not p.role.is_bureau_leader]
    section_of = {p.id: p.section_id for p in people}
    per_section: dict[int, int] = defaultdict(int)
    for p in ratees:
        per_section[p.section_id] += 1
    month = await month_in_view(work)
    assessment = await work.repo.assessment(quarter)
    report = Report(quarter, assessment.status if assessment else None, month)
    report.missing = await missing_now(work, given)

    if month is not None:
        report.month_closed = await closed(work, *month)
        done: dict[int, int] = defaultdict(int)
        for person_id in await work.repo.summaries_done(month[0], month[1], DONE):
            if person_id in section_of:
                done[section_of[person_id]] += 1
        report.summaries = _lines(sections, per_section, done)
    if assessment is None:
        return report
    for phase, model, target in (
        (Phase.GOALS, Goal, "goals"),
        (Phase.REGISTRATION, Registration, "registrations"),
    ):
        rows = await work.repo.quarter_docs(model, assessment.id, statuses=DONE)
        done = defaultdict(int)
        for row in rows:
            if row.person_id in section_of:
                done[section_of[row.person_id]] += 1
        setattr(report, target, _lines(sections, per_section, done))
        if await is_open(work, assessment, phase):
            report.open_phases.append(phase)
    if assessment.status in (AssessmentStatus.RATING, AssessmentStatus.COMPUTED):
        pairs = await pairs_for(work, assessment)
        submitted = {(b.rater_id, b.ratee_id) for b in await work.repo.ballots(assessment.id)}
        totals: dict[int, int] = defaultdict(int)
        done = defaultdict(int)
        for rater_id, ratee_id in pairs:  # by the raters' sections: how far they are, never whom it is about
            totals[section_of.get(rater_id)] += 1
            if (rater_id, ratee_id) in submitted:
                done[section_of.get(rater_id)] += 1
        report.ballots = _lines(sections, totals, done)
        if assessment.status is AssessmentStatus.RATING:
            report.open_phases.append(Phase.RATING)
    return report
