"""A quarter's work outside chat: read it from the repository, apply the rules, write the outcome."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.config import Settings
from bot.domain import AssessmentStatus, BallotPart, ExemptionKind, Quarter
from bot.imports import BallotContext, BallotImport, PersonRef, parse_ballots
from bot.raters import rater_pairs
from bot.scoring import Ballot, ItemScore
from bot.spreadsheets import Table
from bot.tiers import Period, QuarterInput, QuarterResult, RateeInput, compute_quarter
from bot.workcalendar import WorkCalendar
from storage.models import Person
from storage.repository import Repository, is_ratee

ACCEPTING_BALLOTS = (AssessmentStatus.PREPARING, AssessmentStatus.RATING)


async def work_calendar(repo: Repository, settings: Settings) -> WorkCalendar:
    """The calendar with the settings file's corrections and those admins entered in chat."""
    workdays = set(settings.calendar.extra_workdays)
    holidays = set(settings.calendar.extra_holidays)
    for correction in await repo.calendar_corrections():  # chat entries are newer than the file
        (workdays if correction.is_workday else holidays).add(correction.day)
        (holidays if correction.is_workday else workdays).discard(correction.day)
    return WorkCalendar(workdays, holidays, settings.schedule.timezone)


async def ballot_context(repo: Repository, settings: Settings, quarter: Quarter) -> BallotContext:
    """What a paper-ballot file of the quarter is checked against; reading it writes nothing."""
    assessment = await repo.assessment(quarter)
    assessment_id = assessment.id if assessment is not None else None
    people = await repo.people(active_only=True)
    added, removed = await repo.rater_changes(assessment_id) if assessment_id else ([], [])
    pairs = rater_pairs(
        await repo.members(), peer_scope=settings.rules.peer_scope, added=added, removed=removed
    )
    return BallotContext(
        quarter=quarter,
        people=[PersonRef(p.id, p.name, p.birth_month) for p in people],
        pairs=pairs,
        common_items=settings.indicators.common,
        individual_items=await repo.individual_items(assessment_id, people, settings.indicators),
        existing=await repo.existing_ballots(assessment_id) if assessment_id else {},
        accepting=assessment is None or assessment.status in ACCEPTING_BALLOTS,
    )


async def import_ballots(
    repo: Repository, settings: Settings, quarter: Quarter, table: Table, actor: str
) -> BallotImport:
    """Check a paper-ballot file and store it only if every row is good."""
    outcome = parse_ballots(table, await ballot_context(repo, settings, quarter))
    if not outcome.errors and outcome.new:
        assessment = await repo.assessment(quarter, create=True)
        await repo.store_paper_ballots(assessment.id, outcome.new, actor)
    return outcome


@dataclass
class ComputedQuarter:
    """The proposal with the people it names, for rendering."""

    quarter: Quarter
    proposal: QuarterResult
    people: dict[int, Person]
    sections: dict[int, str]
    changed: int


async def quarter_input(repo: Repository, settings: Settings, quarter: Quarter) -> QuarterInput:
    """Everything the rules need for the quarter, as plain data."""
    assessment = await repo.assessment(quarter, create=True)
    calendar = await work_calendar(repo, settings)
    ratees = [p for p in await repo.people(active_only=True) if is_ratee(p)]
    records = await repo.ballots(assessment.id)
    items = await repo.ballot_items([b.id for b in records])
    ballots_of: dict[int, list[Ballot]] = defaultdict(list)
    for record in records:
        parts = {BallotPart.COMMON: [], BallotPart.INDIVIDUAL: []}
        for item in sorted(items[record.id], key=lambda i: i.position):
            parts[item.part].append(ItemScore(item.name, item.points or 0, item.max_points))
        ballots_of[record.ratee_id].append(
            Ballot(
                record.rater_id,
                record.ratee_id,
                record.rater_group,
                tuple(parts[BallotPart.COMMON]),
                tuple(parts[BallotPart.INDIVIDUAL]),
            )
        )
    overrides: dict[int, set] = defaultdict(set)
    for override in await repo.overrides(assessment.id):
        overrides[override.person_id].add(override.kind)
    exempted = {e.person_id for e in await repo.exemptions(assessment.id, ExemptionKind.EXEMPT)}
    leave: dict[int, list[Period]] = defaultdict(list)
    for record in await repo.leave_between(quarter.first_day, quarter.last_day):
        leave[record.person_id].append(Period(record.start_date, record.end_date))
    return QuarterInput(
        first_day=quarter.first_day,
        last_day=quarter.last_day,
        working_days=frozenset(calendar.workdays(quarter.first_day, quarter.last_day)),
        ratees=tuple(
            RateeInput(
                person_id=p.id,
                category=p.category,
                ballots=tuple(ballots_of.get(p.id, ())),
                probation_end=p.probation_end,
                discipline=(Period(p.discipline_start, p.discipline_end),) if p.discipline_start else (),
                leave=tuple(leave.get(p.id, ())),
                overrides=frozenset(overrides.get(p.id, ())),
                admin_exempt=p.id in exempted,
            )
            for p in ratees
        ),
    )


async def compute_and_store(
    repo: Repository, settings: Settings, quarter: Quarter, actor: str
) -> ComputedQuarter:
    """Compute the quarter's proposal from the database and store it."""
    data = await quarter_input(repo, settings, quarter)
    proposal = compute_quarter(data, settings.rules)
    assessment = await repo.assessment(quarter)
    changed = await repo.save_results(assessment.id, proposal, actor)
    people = {p.id: p for p in await repo.people()}
    sections = {s.id: s.name for s in await repo.sections()}
    return ComputedQuarter(quarter, proposal, people, sections, changed)
