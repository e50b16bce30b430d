"""Annual linkage (SPEC section 9)."""

import pytest

from bot.rules.domain import AnnualRecommendation as R
from bot.rules.domain import Quarter, Tier
from bot.rules.linkage import QuarterOutcome, annual_linkage

G, F, A, P = Tier.GOOD, Tier.FAIR, Tier.AVERAGE, Tier.POOR


def year(*tiers, **kwargs):
    return [QuarterOutcome(Quarter(2026, i + 1), t, **kwargs) for i, t in enumerate(tiers)]


@pytest.mark.parametrize(
    ("tiers", "expected"),
    [
        ((G, G, G, G), R.PRIORITY_EXCELLENT),
        ((G, F, G, G), R.NONE),
        ((G, P, G, G), R.NOT_EXCELLENT),
        ((P, P, G, G), R.BASIC),
        ((P, P, P, G), R.INCOMPETENT),
        ((P, P, P, P), R.INCOMPETENT),
        ((A, A, F, F), R.NONE),
    ],
)
def test_recommendation_by_counts(tiers, expected):
    assert annual_linkage(year(*tiers)).recommendation is expected


def test_exempt_quarters_are_left_out():
    outcomes = [*year(G, G, G), QuarterOutcome(Quarter(2026, 4), None, exempt=True)]
    result = annual_linkage(outcomes)
    assert result.recommendation is R.PRIORITY_EXCELLENT
    assert result.tiered == 3


def test_only_exempt_quarters_give_no_recommendation():
    result = annual_linkage([QuarterOutcome(Quarter(2026, 1), None, exempt=True)])
    assert result.recommendation is R.NONE and result.tiered == 0


def test_not_taking_part_disqualifies_beside_the_recommendation():
    outcomes = [*year(G, G, G), QuarterOutcome(Quarter(2026, 4), G, registered_on_time=False)]
    result = annual_linkage(outcomes)
    assert result.disqualified
    assert result.recommendation is R.PRIORITY_EXCELLENT  # both are reported, SPEC lists them apart


def test_a_quarter_without_tier_must_be_exempt_and_one_year_only():
    with pytest.raises(ValueError, match="no final tier"):
        annual_linkage([QuarterOutcome(Quarter(2026, 1), G), QuarterOutcome(Quarter(2026, 2), None)])
    with pytest.raises(ValueError, match="one year"):
        annual_linkage([QuarterOutcome(Quarter(2025, 4), P), QuarterOutcome(Quarter(2026, 1), P)])


def test_excused_or_exempt_quarter_is_not_a_failure_to_take_part():
    outcomes = [*year(G, G, G), QuarterOutcome(Quarter(2026, 4), G, registered_on_time=False, excused=True)]
    assert not annual_linkage(outcomes).disqualified
    outcomes = [*year(G, G, G), QuarterOutcome(Quarter(2026, 4), None, exempt=True, registered_on_time=False)]
    assert not annual_linkage(outcomes).disqualified


def test_order_does_not_matter_and_duplicates_are_refused():
    outcomes = year(P, G, P, F)
    assert annual_linkage(reversed(outcomes)) == annual_linkage(outcomes)
    with pytest.raises(ValueError):
        annual_linkage(outcomes + outcomes[:1])
