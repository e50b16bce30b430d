"""Annual linkage (SPEC section 9)."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from bot.records.annual import AnnualLine, AnnualReport
from bot.records.workbooks import annual_workbook
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


def test_not_taking_part_costs_the_honours_and_so_the_excellent_tier():
    outcomes = [*year(G, G, G), QuarterOutcome(Quarter(2026, 4), G, registered_on_time=False)]
    result = annual_linkage(outcomes)
    assert result.disqualified and result.missed == (Quarter(2026, 4),)
    assert result.recommendation is R.NOT_EXCELLENT  # never "may be excellent" beside "honours cancelled"
    late = [QuarterOutcome(Quarter(2026, 1), F, registered_on_time=False)]
    assert annual_linkage(late).recommendation is R.NOT_EXCELLENT
    two_poor = [*year(P, P), QuarterOutcome(Quarter(2026, 3), G, registered_on_time=False)]
    assert annual_linkage(two_poor).recommendation is R.BASIC  # the counts of POOR still decide


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


OUTCOMES = st.lists(
    st.builds(
        lambda number, tier, exempt, on_time, excused: QuarterOutcome(
            Quarter(2026, number), None if exempt else tier, exempt, on_time, excused
        ),
        st.integers(1, 4),
        st.sampled_from(list(Tier)),
        st.booleans(),
        st.booleans(),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda o: o.quarter,
)


@given(OUTCOMES)
def test_who_lost_the_honours_is_never_may_be_excellent(outcomes):
    """SPEC 9: a quarter not taken part in as required costs the honours, so the year cannot be 优秀."""
    result = annual_linkage(outcomes)
    assert not (result.disqualified and result.recommendation is R.PRIORITY_EXCELLENT)
    assert result.disqualified == bool(result.missed)


@settings(max_examples=12)  # each example writes and reads a workbook of many people
@given(st.lists(OUTCOMES, min_size=1, max_size=40), st.integers(1, 4))
def test_no_row_of_the_annual_report_says_both_excellent_and_no_honours(years, through):
    """The report as filed: never 可优先确定为优秀 beside 取消, plain words, the year so far marked."""
    results = [annual_linkage(outcomes) for outcomes in years]
    lines = tuple(AnnualLine(f"人员{i}", "综合科", r) for i, r in enumerate(results))
    book = load_workbook(io.BytesIO(annual_workbook(AnnualReport(2026, lines, {}, 0, through))))
    sheet = book.worksheets[0]
    so_far = "" if through == 4 else f"（截至第{'一二三'[through - 1]}季度）"
    assert sheet["A1"].value == f"2026年度平时考核结果与年度考核联动{so_far}"
    header = [c.value for c in sheet[2]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert len(rows) == len(results)
    for row, result in zip(rows, results, strict=True):
        assert not (row["年度考核建议"] == "年度考核可优先确定为优秀" and row["评先树优资格"] == "取消")
        assert row["评先树优资格"] == ("取消" if result.disqualified else "保留")
        assert "→" not in row["依据"] and "可优先" not in row["依据"]  # plain words, and the facts only
