"""Small builders of plain rule inputs for the tests."""

from __future__ import annotations

import calendar
import datetime as dt

from bot.records.spreadsheets import Table
from bot.rules.domain import BallotPart, Category, OverrideKind, Quarter, RaterGroup, Role
from bot.rules.scoring import Ballot, ItemScore
from bot.rules.tiers import Period, QuarterInput, RateeInput
from bot.rules.workcalendar import WorkCalendar
from bot.settings import IndicatorItem, Settings

Q3_FIRST, Q3_LAST = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
Q3_WORKDAYS = frozenset(WorkCalendar().workdays(Q3_FIRST, Q3_LAST))


def ballot(ratee: int, group: RaterGroup, common: int, individual: int, rater: int = 0) -> Ballot:
    """A ballot whose common part totals `common` and individual part totals `individual` (each of 100)."""
    return Ballot(rater, ratee, group, _items(common, 5), _items(individual, 5))


def _items(total: int, count: int) -> tuple[ItemScore, ...]:
    base, extra = divmod(total, count)
    return tuple(ItemScore(f"item{i}", base + (1 if i < extra else 0), 20) for i in range(count))


def ratee_scoring(
    person_id: int, score: int, *, category: Category = Category.CIVIL_SERVANT, peers: int = 3, **kwargs
) -> RateeInput:
    """A ratee whose every ballot scores `score`: principal, supervisor and `peers` peers."""
    ballots = [
        ballot(person_id, RaterGroup.PRINCIPAL, score, score, 1000),
        ballot(person_id, RaterGroup.SUPERVISOR, score, score, 1001),
    ]
    ballots += [ballot(person_id, RaterGroup.PEER, score, score, 2000 + i) for i in range(peers)]
    return RateeInput(person_id=person_id, category=category, ballots=tuple(ballots), **kwargs)


def quarter(*ratees: RateeInput) -> QuarterInput:
    return QuarterInput(Q3_FIRST, Q3_LAST, Q3_WORKDAYS, tuple(ratees))


def rules(**changes):
    return Settings().rules.model_copy(update=changes)


__all__ = ["OverrideKind", "Period", "ballot", "quarter", "ratee_scoring", "rules"]


PAPER_HEADERS = ("季度", "评分人", "被评人", "指标类别", "指标", "满分", "得分")
PAPER_PARTS = {BallotPart.COMMON: "共性指标", BallotPart.INDIVIDUAL: "个性指标"}
Scored = list[tuple[BallotPart, IndicatorItem, int]]


def ballot_items(settings: Settings, role: Role) -> list[tuple[BallotPart, IndicatorItem]]:
    """The items of a ratee's ballot in order: the common ones, then his role's individual ones."""
    indicators = settings.indicators
    return [(BallotPart.COMMON, i) for i in indicators.common] + [
        (BallotPart.INDIVIDUAL, i) for i in indicators.template_for(role)
    ]


def paper_table(quarter: Quarter, ballots: list[tuple[str, str, Scored]]) -> Table:
    """A paper-ballot file as read from disk: each ballot (rater, ratee, its scored items), a row an item."""
    rows = []
    for rater, ratee, scored in ballots:
        for part, item, points in scored:
            values = (str(quarter), rater, ratee, PAPER_PARTS[part], item.name, item.max_points, points)
            rows.append((len(rows) + 2, dict(zip(PAPER_HEADERS, values, strict=True))))
    return Table(PAPER_HEADERS, tuple(rows))


async def stored_summary(session, person_id: int, year: int, month: int, texts: list[str], **fields):
    """A month's summary written straight into the database, with its items in order; submitted on the
    month's last day unless `fields` say otherwise."""
    from bot.rules.domain import ReviewStatus
    from storage.models import MonthlySummary, SummaryItem

    values = {
        "status": ReviewStatus.SUBMITTED,
        "submissions": 1,
        "submitted_at": dt.datetime(year, month, calendar.monthrange(year, month)[1], 1, tzinfo=dt.UTC),
        **fields,
    }
    summary = MonthlySummary(person_id=person_id, year=year, month=month, **values)
    session.add(summary)
    await session.flush()
    for position, text in enumerate(texts, start=1):
        session.add(SummaryItem(summary_id=summary.id, position=position, text=text))
    return summary


async def publicity_running(session, chat_id: int):
    """Q3 in publicity since 21 October (ending the 23rd, 18:00) in `chat_id`, with one ratee's result (the
    sixth person in post, good); returns that person."""
    from zoneinfo import ZoneInfo

    from bot.rules.domain import AssessmentStatus
    from storage.models import Publicity, ResultRecord
    from storage.repository import Repository

    repo = Repository(session)
    q3 = await repo.assessment(Quarter(2026, 3), create=True)
    q3.status = AssessmentStatus.PUBLICITY
    person = (await repo.people(active_only=True))[5]
    session.add(
        ResultRecord(
            assessment_id=q3.id,
            person_id=person.id,
            category=person.category,
            final_tier="good",
            proposed_tier="good",
        )
    )
    ends_at = dt.datetime(2026, 10, 23, 18, tzinfo=ZoneInfo("Asia/Shanghai"))
    session.add(
        Publicity(
            assessment_id=q3.id, round=1, chat_id=chat_id, starts_on=dt.date(2026, 10, 21), ends_at=ends_at
        )
    )
    return person
