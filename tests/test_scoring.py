"""The score formula (SPEC section 5) on hand-worked examples."""

from decimal import Decimal

import pytest

from bot.rules.domain import RaterGroup
from bot.rules.scoring import (
    Ballot,
    ItemScore,
    ballot_score,
    composite,
    group_score,
    part_score,
    round_score,
)
from tests.factories import ballot, rules

D = Decimal


def test_ballot_is_half_common_half_individual():
    # common 18+17+20+19+16 = 90, individual 17+15+16+14+12+10 = 84 of 100 -> 0.5*90 + 0.5*84 = 87
    b = Ballot(
        1,
        2,
        RaterGroup.PEER,
        tuple(ItemScore(n, p, 20) for n, p in zip("abcde", (18, 17, 20, 19, 16), strict=True)),
        tuple(
            ItemScore(n, p, m)
            for n, p, m in zip("uvwxyz", (17, 15, 16, 14, 12, 10), (17, 17, 17, 17, 16, 16), strict=True)
        ),
    )
    assert ballot_score(b, rules()) == D("87")


def test_part_scales_to_100_when_maxima_do_not_sum_to_100():
    assert part_score([ItemScore("a", 3, 10), ItemScore("b", 5, 10)]) == D(40)


def test_common_share_is_a_setting():
    b = ballot(1, RaterGroup.PEER, 80, 60)
    assert ballot_score(b, rules(common_share=D("0.6"))) == D("72.0")


@pytest.mark.parametrize("points", [-1, 21])
def test_item_points_out_of_range_are_refused(points):
    with pytest.raises(ValueError):
        ItemScore("a", points, 20)


def test_item_points_must_be_whole():
    with pytest.raises(ValueError):
        ItemScore("a", 1.5, 20)  # type: ignore[arg-type]


def test_group_score_is_the_mean():
    assert group_score([D(90), D(80), D(85)], trim=False, trim_min=5) == D(85)
    assert group_score([], trim=False, trim_min=5) is None


def test_trimmed_mean_drops_one_top_and_one_bottom_from_five():
    scores = [D(60), D(80), D(82), D(84), D(100)]
    assert group_score(scores, trim=True, trim_min=5) == D(82)
    # with four ballots nothing is dropped
    assert group_score(scores[:4], trim=True, trim_min=5) == D("76.5")


def test_composite_weights_40_30_30():
    scores = {RaterGroup.PRINCIPAL: D(90), RaterGroup.SUPERVISOR: D(80), RaterGroup.PEER: D(70)}
    assert composite(scores, rules()) == D("81.00")  # 36 + 24 + 21


def test_composite_rescales_when_a_group_is_missing():
    scores = {RaterGroup.PRINCIPAL: D(90), RaterGroup.SUPERVISOR: None, RaterGroup.PEER: D(76)}
    # (0.4*90 + 0.3*76) / 0.7 = 58.8 / 0.7 = 84
    assert composite(scores, rules()) == D("84.00")


def test_composite_none_without_any_ballot():
    assert composite(dict.fromkeys(RaterGroup), rules()) is None


def test_rounding_is_half_up_to_two_places():
    assert round_score(D("84.995"), 2) == D("85.00")
    assert round_score(D("84.994999"), 2) == D("84.99")
    assert round_score(D("0.125"), 2) == D("0.13")  # binary floats would give 0.12


def test_composite_rounding_uses_the_setting():
    scores = {
        RaterGroup.PRINCIPAL: D("84.996"),
        RaterGroup.SUPERVISOR: D("84.996"),
        RaterGroup.PEER: D("84.996"),
    }
    assert composite(scores, rules(score_places=1)) == D("85.0")


def test_group_scores_are_not_shown_when_a_peer_ballot_could_be_worked_out():
    """SPEC 4: a peer's ballot is seen by nobody. With one or two peer ballots the peer score is (or,
    to one of the two, reveals) a ballot, and the leaders' scores beside the composite would give it."""
    from bot.rules.scoring import shown_group_scores

    scores = {
        RaterGroup.PRINCIPAL: Decimal("90"),
        RaterGroup.SUPERVISOR: Decimal("80"),
        RaterGroup.PEER: Decimal("41.5"),
    }
    for peers in (0, 1, 2):
        counts = {RaterGroup.PRINCIPAL: 1, RaterGroup.SUPERVISOR: 1, RaterGroup.PEER: peers}
        assert shown_group_scores(scores, counts, 3) == dict.fromkeys(RaterGroup), peers
    counts = {RaterGroup.PRINCIPAL: 1, RaterGroup.SUPERVISOR: 1, RaterGroup.PEER: 3}
    assert shown_group_scores(scores, counts, 3) == scores
    assert shown_group_scores(scores, {RaterGroup.PEER: 1}, 0) == dict.fromkeys(RaterGroup)  # never below 2
