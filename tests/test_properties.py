"""Properties of the rules that must hold for any input (hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.domain import Category, OverrideKind, RaterGroup, Tier
from bot.rules.scoring import Ballot, ItemScore, ballot_score, composite
from bot.rules.tiers import Period, RateeInput, compute_quarter
from tests.factories import Q3_FIRST, Q3_LAST, quarter, rules

MAXIMA_COMMON = (20, 20, 20, 20, 20)
MAXIMA_INDIVIDUAL = (17, 17, 17, 17, 16, 16)


@st.composite
def ballots(draw, ratee: int = 1, group: RaterGroup | None = None) -> Ballot:
    group = group or draw(st.sampled_from(list(RaterGroup)))
    common = tuple(ItemScore(f"c{i}", draw(st.integers(0, m)), m) for i, m in enumerate(MAXIMA_COMMON))
    individual = tuple(
        ItemScore(f"i{i}", draw(st.integers(0, m)), m) for i, m in enumerate(MAXIMA_INDIVIDUAL)
    )
    return Ballot(draw(st.integers(1, 10_000)), ratee, group, common, individual)


overrides = st.frozensets(st.sampled_from(list(OverrideKind)), max_size=2)
dates = st.dates(min_value=Q3_FIRST - dt.timedelta(days=60), max_value=Q3_LAST + dt.timedelta(days=60))


@st.composite
def ratees(draw, person_id: int) -> RateeInput:
    count = draw(st.integers(0, 8))
    return RateeInput(
        person_id=person_id,
        category=draw(st.sampled_from(list(Category))),
        ballots=tuple(draw(ballots(person_id)) for _ in range(count)),
        probation_end=draw(st.none() | dates),
        discipline=tuple(Period(d) for d in draw(st.lists(dates, max_size=1))),
        overrides=draw(st.one_of(st.just(frozenset()), overrides)),
        admin_exempt=draw(st.booleans()),
    )


@st.composite
def quarters(draw):
    size = draw(st.integers(1, 25))
    return quarter(*(draw(ratees(i)) for i in range(1, size + 1)))


rule_sets = st.builds(
    lambda share, trim: rules(quota_share=share, trim_peers=trim),
    st.sampled_from([Decimal("0.4"), Decimal("0.3"), Decimal("0.5"), Decimal("0")]),
    st.booleans(),
)


@given(ballots())
def test_a_ballot_is_within_0_and_100(b):
    assert Decimal(0) <= ballot_score(b, rules()) <= Decimal(100)


@given(st.lists(ballots(), min_size=1, max_size=12), st.booleans())
def test_a_composite_is_within_0_and_100(bs, trim):
    result = compute_quarter(
        quarter(RateeInput(1, Category.CIVIL_SERVANT, tuple(bs))), rules(trim_peers=trim)
    )
    value = result.ratees[0].composite
    if value is None:  # SPEC 5: one or two peer ballots alone are left out, and nothing else is there
        assert all(b.group is RaterGroup.PEER for b in bs) and len(bs) < rules().min_peer_ballots
    else:
        assert Decimal(0) <= value <= Decimal(100)


@pytest.mark.slow
@settings(max_examples=60)  # whole quarters of up to 25 ratees: fewer examples
@given(quarters(), rule_sets)
def test_the_quota_is_never_exceeded_in_a_category(q, r):
    proposal = compute_quarter(q, r)
    for category in Category:
        check = proposal.quota[category]
        good = sum(1 for x in proposal.ratees if x.category is category and x.proposed is Tier.GOOD)
        assert good == check.good <= check.quota


@pytest.mark.slow
@settings(max_examples=60)  # whole quarters of up to 25 ratees: fewer examples
@given(quarters(), rule_sets)
def test_exempt_people_never_get_a_tier(q, r):
    for result in compute_quarter(q, r).ratees:
        if result.exempt:
            assert result.proposed is None


@pytest.mark.slow
@settings(max_examples=60)  # whole quarters of up to 25 ratees: fewer examples
@given(quarters(), rule_sets, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(q, r, rnd: random.Random):
    shuffled = list(q.ratees)
    rnd.shuffle(shuffled)
    shuffled = [
        dataclasses.replace(x, ballots=tuple(rnd.sample(x.ballots, len(x.ballots)))) for x in shuffled
    ]
    first = compute_quarter(q, r)
    second = compute_quarter(dataclasses.replace(q, ratees=tuple(shuffled)), r)
    assert first.ratees == second.ratees
    assert first.conflicts == second.conflicts
    assert first.quota == second.quota


@given(st.lists(ballots(), min_size=1, max_size=10), st.data(), st.booleans())
def test_raising_one_score_never_lowers_the_composite(bs, data, trim):
    r = rules(trim_peers=trim)
    index = data.draw(st.integers(0, len(bs) - 1))
    target = bs[index]
    part = data.draw(st.sampled_from(["common", "individual"]))
    items = list(getattr(target, part))
    item_index = data.draw(st.integers(0, len(items) - 1))
    item = items[item_index]
    if item.points == item.max_points:
        return
    raised_points = data.draw(st.integers(item.points + 1, item.max_points))
    items[item_index] = dataclasses.replace(item, points=raised_points)
    raised = list(bs)
    raised[index] = dataclasses.replace(target, **{part: tuple(items)})

    def value(ballot_list):
        by_group = {g: [ballot_score(b, r) for b in ballot_list if b.group is g] for g in RaterGroup}
        from bot.rules.scoring import group_scores

        return composite(group_scores(by_group, r), r)

    assert value(raised) >= value(bs)
