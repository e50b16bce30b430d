"""Small builders of plain rule inputs for the tests."""

from __future__ import annotations

import datetime as dt

from bot.rules.domain import Category, OverrideKind, RaterGroup
from bot.rules.scoring import Ballot, ItemScore
from bot.rules.tiers import Period, QuarterInput, RateeInput
from bot.rules.workcalendar import WorkCalendar
from bot.settings import Settings

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
