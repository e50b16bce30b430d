"""What the records show, read from the repository as plain data: the two forms, the filing and the charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.rules.domain import (
    AssessmentStatus,
    Category,
    ExemptionKind,
    ExemptReason,
    Flag,
    OverrideKind,
    Quarter,
    RaterGroup,
    ReviewStatus,
    Tier,
)
from bot.rules.periods import summary_deadline
from bot.rules.scoring import shown_group_scores, shown_score
from bot.rules.tiers import QuotaCheck
from bot.settings import Settings
from bot.workflow.quarter import LOCKED, shown_assessment, stored_results, work_calendar
from storage.models import Person, Registration, RegistrationItem, SummaryItem
from storage.repository import Repository

FILED = (ReviewStatus.SUBMITTED, ReviewStatus.APPROVED, ReviewStatus.RETURNED)


@dataclass(frozen=True)
class Header:
    """The header table both forms share."""

    name: str
    gender: str
    birth_month: dt.date | None
    political_status: str
    post_since: dt.date | None
    work_since: dt.date | None
    post_title: str
    section: str


@dataclass(frozen=True)
class Review:
    """A direct leader's review of a summary or a registration."""

    status: ReviewStatus
    opinion: str | None
    reviewer: str | None
    reviewed_on: dt.date | None

    @property
    def decided(self) -> bool:
        """Approved or returned; a resubmitted one still carries the last decision's reviewer and date."""
        return self.status in (ReviewStatus.APPROVED, ReviewStatus.RETURNED) and self.reviewed_on is not None


@dataclass(frozen=True)
class MonthlyForm:
    """Form 1: a person's itemized summary of a month."""

    header: Header
    year: int
    month: int
    items: tuple[str, ...]
    review: Review
    remark: str | None
    late: bool = False  # handed in after the deadline, said under the remark


@dataclass(frozen=True)
class QuarterForm:
    """Form 2: a person's registration of a quarter and the tier (or the comment) decided."""

    header: Header
    quarter: Quarter
    items: tuple[str, ...]
    tier: Tier | None
    decided_on: dt.date | None
    exempt_reasons: tuple[ExemptReason, ...]
    comment: str | None
    review: Review | None
    remark: str | None
    registered: bool = True  # handed in a registration; else Form 2 says none came and the export says who

    @property
    def exempt(self) -> bool:
        return bool(self.exempt_reasons)


@dataclass(frozen=True)
class FilingRow:
    """A ratee's line in the quarter's filing workbook."""

    header: Header
    group_scores: dict[RaterGroup, Decimal | None]
    ballot_counts: dict[RaterGroup, int]
    composite: Decimal | None
    rank: int | None
    score_tier: Tier | None
    proposed: Tier | None
    final: Tier | None
    override: OverrideKind | None
    override_ground: str | None
    override_reason: str | None
    change_reason: str | None
    exempt_reasons: tuple[ExemptReason, ...]
    exemption_reason: str | None
    flags: tuple[Flag, ...]
    feedback: tuple[str, ...] = ()  # the ratee's opinions on his own result, oldest first


@dataclass(frozen=True)
class Filing:
    """A quarter's results per category, with the quota check; `confirmed` once the leadership decided."""

    quarter: Quarter
    status: AssessmentStatus
    confirmed: bool
    confirmed_on: dt.date | None
    rows: dict[Category, list[FilingRow]]
    quota: dict[Category, QuotaCheck]
    thresholds: tuple[Decimal, Decimal, Decimal]


@dataclass(frozen=True)
class Submissions:
    """When each summary of a month was submitted, against how many were due: the progress chart."""

    year: int
    month: int
    expected: int
    submitted: tuple[dt.datetime, ...] = field(default=())
    deadline: dt.datetime | None = None  # the month's summary deadline (SPEC 3), marked on the chart


def header_of(person: Person, sections: dict[int, str]) -> Header:
    return Header(
        person.name,
        person.gender,
        person.birth_month,
        person.political_status,
        person.post_since,
        person.work_since,
        person.post_title,
        sections.get(person.section_id, ""),
    )


def _day(moment: dt.datetime | None, tz: ZoneInfo) -> dt.date | None:
    return moment.astimezone(tz).date() if moment is not None else None


def _order(person: Person, sections: dict[int, str]) -> tuple:
    return (
        sections.get(person.section_id, ""),
        person.role.is_bureau_leader is False,
        person.name,
        person.id,
    )


async def monthly_forms(repo: Repository, year: int, month: int, tz: ZoneInfo) -> list[MonthlyForm]:
    """Form 1 of everyone who handed in the month's summary, by section and name."""
    summaries = await repo.month_summaries(year, month, FILED)
    people = {p.id: p for p in await repo.people()}
    sections = {s.id: s.name for s in await repo.sections()}
    items = await repo.item_texts_of(SummaryItem, "summary_id", [s.id for s in summaries])
    forms = [
        (
            people[s.person_id],
            MonthlyForm(
                header_of(people[s.person_id], sections),
                year,
                month,
                items.get(s.id, ()),
                Review(
                    s.status,
                    s.opinion,
                    people[s.reviewer_id].name if s.reviewer_id in people else None,
                    _day(s.reviewed_at, tz),
                ),
                s.remark,
                s.late,
            ),
        )
        for s in summaries
    ]
    return [form for person, form in sorted(forms, key=lambda pair: _order(pair[0], sections))]


async def confirmed_on(repo: Repository, assessment_id: int, tz: ZoneInfo) -> dt.date | None:
    """The day of the latest confirmation of a quarter's tiers."""
    return _day(await repo.last_confirmed_at(assessment_id), tz)


async def quarter_forms(repo: Repository, quarter: Quarter, tz: ZoneInfo) -> list[QuarterForm]:
    """Form 2 of every ratee with a registration or a result in the quarter, by section and name."""
    assessment = await repo.assessment(quarter)
    if assessment is None:
        return []
    registrations = {
        r.person_id: r for r in await repo.quarter_docs(Registration, assessment.id, statuses=FILED)
    }
    results = {r.person_id: r for r in await repo.results(assessment.id)}
    exemptions = {e.person_id: e.reason for e in await repo.exemptions(assessment.id, ExemptionKind.EXEMPT)}
    locked = assessment.status in LOCKED
    decided = await confirmed_on(repo, assessment.id, tz) if locked else None
    people = {p.id: p for p in await repo.people()}
    sections = {s.id: s.name for s in await repo.sections()}
    items = await repo.item_texts_of(
        RegistrationItem, "registration_id", [r.id for r in registrations.values()]
    )
    forms = []
    for person_id in set(registrations) | set(results):
        person = people[person_id]
        registration, result = registrations.get(person_id), results.get(person_id)
        reasons = (
            tuple(ExemptReason(x) for x in result.exempt_reasons.split(",") if x)
            if result is not None
            else ()
        )
        review = (
            Review(
                registration.status,
                registration.opinion,
                people[registration.reviewer_id].name if registration.reviewer_id in people else None,
                _day(registration.reviewed_at, tz),
            )
            if registration is not None
            else None
        )
        comment = exemptions.get(person_id)
        if (
            reasons
            and registration is not None
            and registration.opinion
            and registration.status is ReviewStatus.APPROVED
        ):
            comment = registration.opinion
        forms.append(
            (
                person,
                QuarterForm(
                    header_of(person, sections),
                    quarter,
                    items.get(registration.id, ()) if registration is not None else (),
                    result.final_tier if locked and result is not None and not reasons else None,
                    decided,
                    reasons,
                    comment,
                    review,
                    registration.remark if registration is not None else None,
                    registration is not None,
                ),
            )
        )
    return [form for person, form in sorted(forms, key=lambda pair: _order(pair[0], sections))]


async def filing(repo: Repository, settings: Settings, quarter: Quarter, tz: ZoneInfo) -> Filing | None:
    """The quarter's results for the filing workbooks, as stored by the last computation (the counted
    ballots only); ResultsHidden while the quarter accepts ballots, None when it has no assessment."""
    if await repo.assessment(quarter) is None:
        return None
    assessment = await shown_assessment(repo, quarter)
    locked = assessment.status in LOCKED
    proposal, final = await stored_results(repo, assessment.id, settings, confirmed=locked)
    people = {p.id: p for p in await repo.people()}
    sections = {s.id: s.name for s in await repo.sections()}
    overrides = {o.person_id: o for o in await repo.overrides(assessment.id)}
    exemptions = {e.person_id: e.reason for e in await repo.exemptions(assessment.id, ExemptionKind.EXEMPT)}
    decisions = {d.person_id: d.reason for d in await repo.tier_decisions(assessment.id)}
    opinions: dict[int, list[str]] = {}
    for row in await repo.feedback(assessment.id):
        opinions.setdefault(row.person_id, []).append(row.text)
    rules = settings.rules
    rows: dict[Category, list[FilingRow]] = {}
    for r in proposal.ratees:
        person = people[r.person_id]
        override = overrides.get(r.person_id) if r.override else None
        rows.setdefault(r.category, []).append(
            FilingRow(
                header_of(person, sections),
                {
                    g: shown_score(v, rules.score_places)
                    for g, v in shown_group_scores(
                        r.group_scores, r.ballot_counts, rules.min_peer_ballots
                    ).items()
                },
                dict(r.ballot_counts),
                r.composite,
                r.rank,
                r.score_tier,
                r.proposed,
                final.get(r.person_id) if locked else None,
                r.override,
                override.ground.rpartition(":")[2] if override else None,
                override.reason if override else None,
                decisions.get(r.person_id),
                tuple(r.exempt_reasons),
                exemptions.get(r.person_id),
                tuple(sorted(r.flags)),
                tuple(opinions.get(r.person_id, ())),
            )
        )
    for items in rows.values():
        items.sort(
            key=lambda row: (
                bool(row.exempt_reasons),
                row.composite is None,
                -(row.composite or 0),
                row.header.section,
                row.header.name,
            )
        )
    return Filing(
        quarter,
        assessment.status,
        locked,
        await confirmed_on(repo, assessment.id, tz) if locked else None,
        {c: rows[c] for c in Category if c in rows},
        proposal.quota,
        (rules.threshold_good, rules.threshold_fair, rules.threshold_average),
    )


async def submissions(repo: Repository, settings: Settings, year: int, month: int) -> Submissions:
    """The month's summaries with their submission times, against the active ratees, and the deadline."""
    expected = sum(1 for p in await repo.people(active_only=True) if p.is_ratee)
    times = await repo.summary_times(year, month, FILED)
    calendar = await work_calendar(repo, settings)
    deadline = summary_deadline(year, month, calendar, settings.schedule)
    return Submissions(year, month, expected, tuple(times), deadline)


async def months_with_summaries(repo: Repository, limit: int = 6) -> list[tuple[int, int]]:
    """The latest months that have handed-in summaries, newest first."""
    return await repo.summary_months(FILED, limit)


async def assessed_quarters(repo: Repository, limit: int = 6) -> list[Quarter]:
    """The latest quarters that have an assessment, newest first."""
    found = sorted({a.period for a in await repo.assessments()}, reverse=True)
    return found[:limit]
