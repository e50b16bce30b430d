"""A quarter's work outside chat: read it from the repository, apply the rules, write the outcome."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from bot.records.ballot_file import BallotContext, BallotImport, ExistingBallot, parse_ballots
from bot.records.cells import PersonRef
from bot.records.spreadsheets import Table
from bot.rules.domain import (
    AssessmentStatus,
    BallotPart,
    BallotSource,
    Category,
    ExemptionKind,
    ExemptReason,
    Flag,
    OverrideKind,
    Quarter,
    RaterGroup,
    Tier,
)
from bot.rules.raters import Member, counting_groups, rater_pairs
from bot.rules.scoring import Ballot, ItemScore, shown_score
from bot.rules.secrecy import admitted_peer_ballots
from bot.rules.tiers import (
    Period,
    QuarterInput,
    QuarterResult,
    QuotaCheck,
    RateeInput,
    RateeResult,
    compute_quarter,
    quota_for,
)
from bot.rules.workcalendar import WorkCalendar
from bot.settings import IndicatorItem, IndicatorSettings, Settings
from storage.models import Person
from storage.repository import Repository

ACCEPTING_BALLOTS = (AssessmentStatus.PREPARING, AssessmentStatus.RATING)


class ResultsHidden(Exception):
    """Nothing computed from ballots is shown while the quarter accepts them (SPEC 4)."""

    def __init__(self, quarter: Quarter) -> None:
        self.quarter = quarter
        super().__init__(f"{quarter} accepts ballots: no results are shown")


async def shown_assessment(repo: Repository, quarter: Quarter):
    """The quarter's assessment if its results may be shown; ResultsHidden while it accepts ballots."""
    assessment = await repo.assessment(quarter)
    if assessment is None or assessment.status in ACCEPTING_BALLOTS:
        raise ResultsHidden(quarter)
    return assessment


async def work_calendar(repo: Repository, settings: Settings) -> WorkCalendar:
    """The calendar with the settings file's corrections and those admins entered in chat."""
    workdays = set(settings.calendar.extra_workdays)
    holidays = set(settings.calendar.extra_holidays)
    for correction in await repo.calendar_corrections():  # chat entries are newer than the file
        (workdays if correction.is_workday else holidays).add(correction.day)
        (holidays if correction.is_workday else workdays).discard(correction.day)
    return WorkCalendar(workdays, holidays, settings.schedule.timezone)


async def ballot_context(
    repo: Repository, settings: Settings, quarter: Quarter, *, lock: bool = False
) -> BallotContext:
    """What a paper-ballot file of the quarter is checked against; reading it writes nothing.

    With `lock` (an import) the quarter is locked until the transaction ends, so that whether it accepts
    ballots is decided under the lock: a close waits for the import, or the import for the close, and
    then reads the quarter closed.
    """
    assessment = await repo.assessment(quarter, lock=lock)
    assessment_id = assessment.id if assessment is not None else None
    people = await repo.people(active_only=True)
    added, removed = await repo.rater_changes(assessment_id) if assessment_id else ([], [])
    members = await members_of(repo)
    pairs = rater_pairs(members, peer_scope=settings.rules.peer_scope, added=added, removed=removed)
    by_id = {m.person_id: m for m in members}
    section_names = await repo.section_names()
    return BallotContext(
        quarter=quarter,
        people=[PersonRef(p.id, p.name, p.birth_month) for p in people],
        pairs=pairs,
        common_items=settings.indicators.common,
        individual_items=await individual_items(repo, assessment_id, people, settings.indicators),
        existing=(
            {k: ExistingBallot(*v) for k, v in (await repo.existing_ballots(assessment_id)).items()}
            if assessment_id
            else {}
        ),
        accepting=assessment is None or assessment.status in ACCEPTING_BALLOTS,
        counts_in={(r, e): counting_groups(group, by_id[r], by_id[e]) for (r, e), group in pairs.items()},
        sections={p.id: section_names.get(p.section_id, "") for p in people},
    )


async def import_ballots(
    repo: Repository, settings: Settings, quarter: Quarter, table: Table, actor: str
) -> BallotImport:
    """Check a paper-ballot file and store it only if every row is good; the quarter stays locked from
    the check of its status to the end of the transaction (see ballot_context). A bad file changes
    nothing: a quarter not there yet is created only to store the ballots."""
    return await import_checked_ballots(repo, settings, quarter, lambda ctx: parse_ballots(table, ctx), actor)


async def import_checked_ballots(
    repo: Repository,
    settings: Settings,
    quarter: Quarter,
    check: Callable[[BallotContext], BallotImport],
    actor: str,
) -> BallotImport:
    """Store what `check` finds in a file of either layout, if it finds no error: see import_ballots."""
    outcome = check(await ballot_context(repo, settings, quarter, lock=True))
    if not outcome.errors and outcome.new:
        assessment = await repo.assessment(quarter, create=True, lock=True)
        if assessment.status not in ACCEPTING_BALLOTS:  # none to lock at the check: created and closed since
            return check(await ballot_context(repo, settings, quarter, lock=True))
        await repo.store_paper_ballots(assessment.id, outcome.new, actor)
    return outcome


@dataclass
class ComputedQuarter:
    """The proposal with the people it names, for rendering; `final` once the leadership confirmed."""

    quarter: Quarter
    proposal: QuarterResult
    people: dict[int, Person]
    sections: dict[int, str]
    changed: int
    final: dict[int, Tier | None] | None = None
    peer_minimum: int = 3  # fewer peer ballots: no group score shown (rules.scoring.shown_group_scores)
    held_back: int = 0  # submitted peer ballots not counted: too few for their ratee yet (admit_ballots)


LOCKED = (AssessmentStatus.CONFIRMED, AssessmentStatus.PUBLICITY, AssessmentStatus.FINAL)


AUDIT_IDS = 1000  # ballot ids listed in one audit entry at most


async def admit_ballots(repo: Repository, settings: Settings, assessment_id: int, actor: str) -> int:
    """Count the submitted ballots that keep the secrecy rule; returns how many peer ballots wait.

    Leaders' ballots are counted at once. A ratee's new peer ballots are counted all together, and
    only when they are at least min_peer_ballots, of which those cast in chat none or at least that
    many (rules.secrecy): so any two results ever shown differ, for each ratee, by no peer ballot or
    by at least that many (SPEC 4), and a ballot once counted stays.
    """
    minimum = settings.rules.min_peer_ballots
    leaders: list[int] = []
    peers: dict[int, dict[BallotSource, list[int]]] = defaultdict(lambda: defaultdict(list))
    for ballot in await repo.pending_ballots(assessment_id):
        if ballot.rater_group is RaterGroup.PEER:
            peers[ballot.ratee_id][ballot.source].append(ballot.id)
        else:
            leaders.append(ballot.id)
    admitted, held = list(leaders), {}
    for ratee, by_source in peers.items():
        chat, paper = by_source[BallotSource.CHAT], by_source[BallotSource.PAPER]
        counted = admitted_peer_ballots(chat, paper, minimum)
        admitted += counted
        waiting = sorted(set(chat + paper) - set(counted))
        if waiting:
            held[ratee] = waiting
    held_ids = sorted(i for ids in held.values() for i in ids)
    if admitted:
        await repo.count_ballots(assessment_id, held_ids)
        listed = (
            {"ballots": sorted(admitted)} if len(admitted) <= AUDIT_IDS else {}
        )  # a first big close: the count
        await repo.audit(actor, "ballots_counted", assessment_id=assessment_id, count=len(admitted), **listed)
    logged = {
        i
        for entry in await repo.audit_entries("ballots_held_back")
        if entry.assessment_id == assessment_id
        for i in json.loads(entry.details).get("ballots", ())
    }
    if set(held_ids) - logged:  # each held-back ballot is logged once, not at every computation
        await repo.audit(
            actor,
            "ballots_held_back",
            assessment_id=assessment_id,
            minimum=minimum,
            ballots=held_ids,
            ratees={str(k): len(v) for k, v in sorted(held.items())},
        )
    return len(held_ids)


async def quarter_input(repo: Repository, settings: Settings, quarter: Quarter) -> QuarterInput:
    """Everything the rules need for the quarter, as plain data: the counted ballots only."""
    assessment = await repo.assessment(quarter, create=True)
    calendar = await work_calendar(repo, settings)
    ratees = [p for p in await repo.people(active_only=True) if p.is_ratee]
    members = {m.person_id: m for m in await members_of(repo)}
    # The score formula needs only each part's sums (bot.rules.scoring.part_score), so each part comes as
    # one item of its totals, summed by the database: the same scores, without 1.5 million rows.
    ballots_of: dict[int, list[Ballot]] = defaultdict(list)
    parts: dict[tuple, tuple[ItemScore, ...]] = {}  # few distinct totals: one frozen object each

    def part(name: BallotPart, totals: tuple[int, int, int]) -> tuple[ItemScore, ...]:
        found = parts.get((name, totals))
        if found is None:
            points, most, count = totals
            found = parts[(name, totals)] = (ItemScore(name.value, points, most),) if count else ()
        return found

    for row in await repo.ballot_totals(assessment.id):
        if row.unscored:
            raise ValueError(f"submitted ballot {row.ballot_id} has {row.unscored} unscored item(s)")
        common, individual = part(BallotPart.COMMON, row.common), part(BallotPart.INDIVIDUAL, row.individual)
        rater, ratee = members.get(row.rater_id), members.get(row.ratee_id)
        groups = counting_groups(row.rater_group, rater, ratee) if rater and ratee else (row.rater_group,)
        for group in groups:
            ballots_of[row.ratee_id].append(Ballot(row.rater_id, row.ratee_id, group, common, individual))
    held: dict[int, int] = defaultdict(int)
    for ballot in await repo.pending_ballots(assessment.id):
        if ballot.rater_group is RaterGroup.PEER:
            held[ballot.ratee_id] += 1
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
                held_peer_ballots=held.get(p.id, 0),
            )
            for p in ratees
        ),
    )


async def compute_and_store(
    repo: Repository, settings: Settings, quarter: Quarter, actor: str
) -> ComputedQuarter:
    """Admit what may be counted, compute the quarter's proposal and store it; a confirmed quarter is
    read back, not redone."""
    # locked: two computations at once (two admins' changes, the command line) take turns, and the
    # second reads the first's inputs instead of overwriting its rows with results computed without them
    assessment = await repo.assessment(quarter, create=True, lock=True)
    people = {p.id: p for p in await repo.people()}
    sections = {s.id: s.name for s in await repo.sections()}
    if assessment.status in LOCKED:
        proposal, final = await stored_results(repo, assessment.id, settings)
        return ComputedQuarter(quarter, proposal, people, sections, 0, final, settings.rules.min_peer_ballots)
    held_back = await admit_ballots(repo, settings, assessment.id, actor)
    data = await quarter_input(repo, settings, quarter)
    proposal = compute_quarter(data, settings.rules)
    changed = await repo.save_results(assessment.id, result_rows(proposal), actor)
    return ComputedQuarter(
        quarter,
        proposal,
        people,
        sections,
        changed,
        peer_minimum=settings.rules.min_peer_ballots,
        held_back=held_back,
    )


async def stored_results(
    repo: Repository, assessment_id: int, settings: Settings, *, confirmed: bool = True
) -> tuple[QuarterResult, dict[int, Tier | None]]:
    """The stored results of a quarter as the rules' objects, with the confirmed tiers; the quota check
    counts the confirmed tiers, or (`confirmed` False) the proposed ones."""
    ratees, final = [], {}
    for row in await repo.results(assessment_id):
        ratees.append(
            RateeResult(
                person_id=row.person_id,
                category=row.category,
                group_scores={
                    RaterGroup.PRINCIPAL: row.principal_score,
                    RaterGroup.SUPERVISOR: row.supervisor_score,
                    RaterGroup.PEER: row.peer_score,
                },
                ballot_counts={
                    RaterGroup.PRINCIPAL: row.principal_ballots,
                    RaterGroup.SUPERVISOR: row.supervisor_ballots,
                    RaterGroup.PEER: row.peer_ballots,
                },
                composite=shown_score(row.composite, settings.rules.score_places),
                exempt_reasons=tuple(ExemptReason(x) for x in row.exempt_reasons.split(",") if x),
                override=row.override,
                score_tier=row.score_tier,
                proposed=row.proposed_tier,
                rank=row.rank,
                flags={Flag(f) for f in row.flags.split(",") if f},
            )
        )
        final[row.person_id] = row.final_tier if confirmed else row.proposed_tier
    checks = {}
    for category in Category:
        members = [
            r
            for r in ratees
            if r.category is category
            and not r.exempt
            and (
                final[r.person_id] is not None
                if confirmed
                else r.override is not None or r.composite is not None
            )
        ]
        checks[category] = QuotaCheck(
            category,
            len(members),
            quota_for(len(members), settings.rules),
            sum(1 for r in members if final[r.person_id] is Tier.GOOD),
            sum(1 for r in members if r.override is OverrideKind.AFFIRMATION),
        )
    return QuarterResult(ratees, [], checks), (final if confirmed else {})


async def members_of(repo: Repository) -> list[Member]:
    """Everyone as the rater rules see them."""
    supervision = await repo.supervision()
    return [
        Member(p.id, p.role, p.section_id, frozenset(supervision.get(p.id, ())), p.active)
        for p in await repo.people()
    ]


async def individual_items(
    repo: Repository, assessment_id: int | None, people, indicators: IndicatorSettings
) -> dict[int, list[IndicatorItem]]:
    """Each ratee's individual indicators: approved goals, else the role's template."""
    approved = await repo.approved_goal_items(assessment_id)
    return {
        person.id: [IndicatorItem(name=n, max_points=m) for n, m in approved.get(person.id, ())]
        or list(indicators.template_for(person.role))
        for person in people
        if not person.role.is_bureau_leader
    }


def _q(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.0001"))


def result_rows(proposal: QuarterResult) -> dict[int, dict]:
    """Each ratee's result as the columns of its stored row."""
    return {
        r.person_id: {
            "category": r.category,
            "principal_score": _q(r.group_scores.get(RaterGroup.PRINCIPAL)),
            "supervisor_score": _q(r.group_scores.get(RaterGroup.SUPERVISOR)),
            "peer_score": _q(r.group_scores.get(RaterGroup.PEER)),
            "principal_ballots": r.ballot_counts[RaterGroup.PRINCIPAL],
            "supervisor_ballots": r.ballot_counts[RaterGroup.SUPERVISOR],
            "peer_ballots": r.ballot_counts[RaterGroup.PEER],
            "composite": r.composite,
            "exempt_reasons": ",".join(sorted(x.value for x in r.exempt_reasons)),
            "override": r.override,
            "score_tier": r.score_tier,
            "proposed_tier": r.proposed,
            "rank": r.rank,
            "flags": ",".join(sorted(f.value for f in r.flags)),
        }
        for r in proposal.ratees
    }
