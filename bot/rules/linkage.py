"""Annual linkage (SPEC section 9): four quarters' final tiers to a recommendation for the year."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.rules.domain import AnnualRecommendation, Quarter, Tier


@dataclass(frozen=True)
class QuarterOutcome:
    """One quarter as the annual linkage sees it."""

    quarter: Quarter
    tier: Tier | None
    exempt: bool = False
    registered_on_time: bool = True
    excused: bool = False

    @property
    def took_part(self) -> bool:
        """Took part as required: registered by the deadline, or exempted or excused by an admin."""
        return self.registered_on_time or self.exempt or self.excused


@dataclass(frozen=True)
class AnnualResult:
    """The recommendation with the counts behind it; `disqualified`: no honours this year."""

    recommendation: AnnualRecommendation
    tiered: int
    good: int
    poor: int
    disqualified: bool
    quarters: tuple[QuarterOutcome, ...]

    @property
    def missed(self) -> tuple[Quarter, ...]:
        """The quarters not taken part in as required, which cost the year's honours."""
        return tuple(o.quarter for o in self.quarters if not o.took_part)


def annual_linkage(outcomes: Iterable[QuarterOutcome]) -> AnnualResult:
    """Recommendation for the annual assessment from a year's quarters (exempt quarters left out).

    Two or more POOR decide it; else one POOR, or a quarter not taken part in as required (the honours
    are lost, and EXCELLENT is an honour), rules EXCELLENT out; else every tiered quarter GOOD means it
    may be EXCELLENT first.
    """
    quarters = tuple(sorted(outcomes, key=lambda o: o.quarter))
    if len({o.quarter for o in quarters}) != len(quarters):
        raise ValueError("a quarter appears twice")
    if len({o.quarter.year for o in quarters}) > 1:
        raise ValueError("the quarters of one year only")
    if any(not o.exempt and o.tier is None for o in quarters):
        raise ValueError("a quarter that is not exempt has no final tier")
    tiered = [o.tier for o in quarters if not o.exempt and o.tier is not None]
    poor = tiered.count(Tier.POOR)
    good = tiered.count(Tier.GOOD)
    disqualified = any(not o.took_part for o in quarters)
    if poor >= 3:
        recommendation = AnnualRecommendation.INCOMPETENT
    elif poor == 2:
        recommendation = AnnualRecommendation.BASIC
    elif poor == 1 or disqualified:  # no honours, so not EXCELLENT (SPEC 9)
        recommendation = AnnualRecommendation.NOT_EXCELLENT
    elif tiered and good == len(tiered):
        recommendation = AnnualRecommendation.PRIORITY_EXCELLENT
    else:
        recommendation = AnnualRecommendation.NONE
    return AnnualResult(recommendation, len(tiered), good, poor, disqualified, quarters)
