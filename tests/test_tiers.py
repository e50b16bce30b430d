"""Tiers (SPEC section 6): exemptions, veto and affirmation, thresholds, the quota and its flags."""

import dataclasses
import datetime as dt
from decimal import Decimal

from bot.rules.domain import Category, ExemptReason, Flag, OverrideKind, RaterGroup, Tier
from bot.rules.scoring import ItemScore
from bot.rules.tiers import (
    Change,
    DecisionProblem,
    Period,
    RateeInput,
    compute_quarter,
    final_tiers,
    tier_for_score,
)
from tests.factories import Q3_LAST, Q3_WORKDAYS, ballot, quarter, ratee_scoring, rules

D = Decimal
CS, INST = Category.CIVIL_SERVANT, Category.INSTITUTION


def by_id(result):
    return result.by_person()


def test_thresholds_at_their_boundaries():
    r = rules()
    assert tier_for_score(D("85.00"), r) is Tier.GOOD
    assert tier_for_score(D("84.99"), r) is Tier.FAIR
    assert tier_for_score(D("75.00"), r) is Tier.FAIR
    assert tier_for_score(D("74.99"), r) is Tier.AVERAGE
    assert tier_for_score(D("60.00"), r) is Tier.AVERAGE
    assert tier_for_score(D("59.99"), r) is Tier.POOR


def test_thresholds_are_settings():
    assert tier_for_score(D(84), rules(threshold_good=D(80))) is Tier.GOOD


def test_tier_is_taken_from_the_rounded_composite():
    # principal ballot: common 85, individual 3399/4000 = 84.975 -> 84.9875; supervisor and peers 85
    # exact composite 0.4*84.9875 + 0.3*85 + 0.3*85 = 84.995 -> rounds half up to 85.00 -> GOOD
    principal = ballot(1, RaterGroup.PRINCIPAL, 85, 85)
    principal = dataclasses.replace(principal, individual=(ItemScore("i", 3399, 4000),))
    r = RateeInput(
        1,
        CS,
        (
            principal,
            ballot(1, RaterGroup.SUPERVISOR, 85, 85),
            *[ballot(1, RaterGroup.PEER, 85, 85, i) for i in range(3)],
        ),
    )
    result = by_id(compute_quarter(quarter(r), rules()))[1]
    assert result.composite == Decimal("85.00")
    assert result.score_tier is Tier.GOOD


def test_probation_on_the_last_day_is_exempt_but_ended_before_is_not():
    q = quarter(
        ratee_scoring(1, 90, probation_end=Q3_LAST),
        ratee_scoring(2, 90, probation_end=Q3_LAST - dt.timedelta(days=1)),
    )
    results = by_id(compute_quarter(q, rules()))
    assert results[1].exempt_reasons == (ExemptReason.PROBATION,)
    assert results[1].proposed is None
    assert results[2].exempt_reasons == ()


def test_leave_more_than_half_of_working_days_is_exempt_exactly_half_is_not():
    days = sorted(Q3_WORKDAYS)
    half = len(days) // 2  # Q3 2026 has an even count of working days
    assert len(days) % 2 == 0
    exactly_half = (Period(days[0], days[half - 1]),)
    more = (Period(days[0], days[half]),)
    results = by_id(
        compute_quarter(
            quarter(ratee_scoring(1, 90, leave=exactly_half), ratee_scoring(2, 90, leave=more)), rules()
        )
    )
    assert not results[1].exempt
    assert results[2].exempt_reasons == (ExemptReason.LEAVE,)


def test_leave_counts_working_days_only_and_overlaps_once():
    days = sorted(Q3_WORKDAYS)
    half = len(days) // 2
    # two overlapping periods: together they cover exactly half the working days (not exempt),
    # counted twice they would cover more than half
    first = Period(days[0], days[half // 2])
    second = Period(days[0], days[half - 1])
    result = by_id(compute_quarter(quarter(ratee_scoring(1, 90, leave=(first, second))), rules()))[1]
    assert not result.exempt
    # weekends and holidays inside a period do not count: a period from the first working day to the
    # day before the (half+1)-th working day holds exactly `half` working days whatever lies between
    spanning = Period(days[0], days[half] - dt.timedelta(days=1))
    assert not by_id(compute_quarter(quarter(ratee_scoring(2, 90, leave=(spanning,))), rules()))[2].exempt


def test_disciplinary_period_overlapping_the_quarter_is_exempt():
    q = quarter(
        ratee_scoring(1, 90, discipline=(Period(dt.date(2025, 1, 1), dt.date(2026, 7, 1)),)),
        ratee_scoring(2, 90, discipline=(Period(dt.date(2025, 1, 1), dt.date(2026, 6, 30)),)),
        ratee_scoring(3, 90, discipline=(Period(dt.date(2026, 9, 30)),)),  # open-ended, from the last day
    )
    results = by_id(compute_quarter(q, rules()))
    assert results[1].exempt_reasons == (ExemptReason.DISCIPLINE,)
    assert not results[2].exempt
    assert results[3].exempt_reasons == (ExemptReason.DISCIPLINE,)


def test_admin_exemption_and_override_on_an_exempt_person_is_flagged_not_applied():
    r = ratee_scoring(1, 50, admin_exempt=True, overrides=frozenset({OverrideKind.VETO}))
    result = by_id(compute_quarter(quarter(r), rules()))[1]
    assert result.exempt_reasons == (ExemptReason.ADMIN,)
    assert result.proposed is None and result.override is None
    assert Flag.OVERRIDE_ON_EXEMPT in result.flags


def test_veto_gives_poor_whatever_the_score():
    result = by_id(
        compute_quarter(quarter(ratee_scoring(1, 98, overrides=frozenset({OverrideKind.VETO}))), rules())
    )[1]
    assert result.proposed is Tier.POOR and result.score_tier is Tier.GOOD


def test_affirmation_gives_good_whatever_the_score():
    q = quarter(
        ratee_scoring(1, 40, overrides=frozenset({OverrideKind.AFFIRMATION})),
        *[ratee_scoring(i, 70) for i in range(2, 6)],
    )
    result = by_id(compute_quarter(q, rules()))[1]
    assert result.proposed is Tier.GOOD


def test_veto_wins_over_affirmation_and_is_flagged():
    both = frozenset({OverrideKind.VETO, OverrideKind.AFFIRMATION})
    result = by_id(compute_quarter(quarter(ratee_scoring(1, 90, overrides=both)), rules()))[1]
    assert result.proposed is Tier.POOR
    assert result.override is OverrideKind.VETO
    assert Flag.VETO_AND_AFFIRMATION in result.flags


def test_missing_group_and_few_peers_are_flagged():
    no_supervisor = RateeInput(
        1,
        CS,
        (ballot(1, RaterGroup.PRINCIPAL, 90, 90), *[ballot(1, RaterGroup.PEER, 80, 80, i) for i in range(3)]),
    )
    two_peers = ratee_scoring(2, 80, peers=2)
    no_peers = ratee_scoring(3, 80, peers=0)
    results = by_id(compute_quarter(quarter(no_supervisor, two_peers, no_peers), rules()))
    assert results[1].flags == {Flag.MISSING_GROUP}
    assert results[1].missing_groups == (RaterGroup.SUPERVISOR,)
    assert results[1].composite == D("85.71")  # (36 + 24) / 0.7 = 85.714...
    assert results[2].flags == {Flag.FEW_PEERS}
    assert results[3].flags == {Flag.MISSING_GROUP}
    assert results[3].missing_groups == (RaterGroup.PEER,)


def test_a_single_peer_ballot_is_flagged():
    result = by_id(compute_quarter(quarter(ratee_scoring(1, 80, peers=1)), rules()))[1]
    assert result.flags == {Flag.FEW_PEERS}


def test_only_the_peers_are_trimmed():
    ballots = (
        *[ballot(1, RaterGroup.SUPERVISOR, s, s, i) for i, s in enumerate((60, 80, 80, 80, 100))],
        *[ballot(1, RaterGroup.PEER, s, s, 10 + i) for i, s in enumerate((60, 80, 80, 80, 100))],
        ballot(1, RaterGroup.PRINCIPAL, 80, 80),
    )
    result = by_id(compute_quarter(quarter(RateeInput(1, CS, ballots)), rules(trim_peers=True)))[1]
    assert result.group_scores[RaterGroup.PEER] == Decimal(80)  # 60 and 100 dropped
    assert result.group_scores[RaterGroup.SUPERVISOR] == Decimal(80)  # mean of all five: 400/5
    result = by_id(
        compute_quarter(
            quarter(RateeInput(1, CS, ballots[:5] + ballots[5:9] + ballots[10:])), rules(trim_peers=True)
        )
    )[1]
    assert result.group_scores[RaterGroup.PEER] == Decimal(75)  # four peers: nothing dropped


def test_affirmations_exactly_at_the_quota_are_no_conflict():
    affirm = frozenset({OverrideKind.AFFIRMATION})
    q = quarter(
        ratee_scoring(1, 70, overrides=affirm),
        ratee_scoring(2, 72, overrides=affirm),
        *[ratee_scoring(i, 95 - i) for i in range(3, 6)],
    )
    proposal = compute_quarter(q, rules())
    assert proposal.quota[CS].quota == 2 and not proposal.conflicts
    results = by_id(proposal)
    assert results[1].proposed is Tier.GOOD and results[2].proposed is Tier.GOOD
    assert all(results[i].proposed is Tier.FAIR for i in range(3, 6))


def test_min_peer_ballots_is_a_setting():
    result = by_id(compute_quarter(quarter(ratee_scoring(1, 80, peers=3)), rules(min_peer_ballots=4)))[1]
    assert Flag.FEW_PEERS in result.flags


def test_no_ballots_blocks_confirmation_and_does_not_count_for_the_quota():
    q = quarter(RateeInput(1, CS), *[ratee_scoring(i, 90 - i) for i in range(2, 7)])
    proposal = compute_quarter(q, rules())
    result = by_id(proposal)[1]
    assert result.proposed is None and Flag.NO_BALLOTS in result.flags
    assert not proposal.can_confirm
    assert proposal.quota[CS].tiered == 5 and proposal.quota[CS].quota == 2


def test_quota_cuts_good_past_forty_percent_per_category():
    # 10 civil servants all GOOD by score: quota floor(0.4*10)=4; 5 institution staff: quota 2
    cs = [ratee_scoring(i, 99 - i) for i in range(1, 11)]
    inst = [ratee_scoring(100 + i, 95 - i, category=INST) for i in range(1, 6)]
    proposal = compute_quarter(quarter(*cs, *inst), rules())
    results = by_id(proposal)
    assert [results[i].proposed for i in range(1, 11)] == [Tier.GOOD] * 4 + [Tier.FAIR] * 6
    assert all(Flag.QUOTA_CUT in results[i].flags for i in range(5, 11))
    assert [results[100 + i].proposed for i in range(1, 6)] == [Tier.GOOD] * 2 + [Tier.FAIR] * 3
    assert proposal.quota[CS].quota == 4 and proposal.quota[CS].good == 4
    assert proposal.quota[INST].quota == 2 and proposal.quota[INST].good == 2
    assert proposal.can_confirm
    assert results[1].rank == 1 and results[10].rank == 10


def test_quota_share_is_a_setting():
    proposal = compute_quarter(
        quarter(*[ratee_scoring(i, 95) for i in range(1, 11)]), rules(quota_share=D("0.2"))
    )
    assert proposal.quota[CS].quota == 2


def test_affirmed_count_first_against_the_quota():
    # 5 people, quota 2: one affirmed (low score) takes a place; only one GOOD by score remains GOOD
    q = quarter(
        ratee_scoring(1, 50, overrides=frozenset({OverrideKind.AFFIRMATION})),
        ratee_scoring(2, 95),
        ratee_scoring(3, 90),
        ratee_scoring(4, 88),
        ratee_scoring(5, 70),
    )
    results = by_id(compute_quarter(q, rules()))
    assert [results[i].proposed for i in range(1, 6)] == [
        Tier.GOOD,
        Tier.GOOD,
        Tier.FAIR,
        Tier.FAIR,
        Tier.AVERAGE,
    ]


def tie_across_the_quota_line():
    """5 people, quota 2: 95, then 90 and 90 tied for the last place."""
    return quarter(
        ratee_scoring(1, 95),
        ratee_scoring(2, 90),
        ratee_scoring(3, 90),
        ratee_scoring(4, 86),
        ratee_scoring(5, 70),
    )


def test_tie_across_the_quota_line_is_flagged_and_not_decided():
    q = tie_across_the_quota_line()
    proposal = compute_quarter(q, rules())
    results = by_id(proposal)
    assert results[1].proposed is Tier.GOOD
    assert results[2].proposed is None and results[3].proposed is None
    assert Flag.QUOTA_TIE in results[2].flags and Flag.QUOTA_TIE in results[3].flags
    assert results[4].proposed is Tier.FAIR and Flag.QUOTA_CUT in results[4].flags
    assert [(c.kind, c.person_ids, c.slots) for c in proposal.conflicts] == [(Flag.QUOTA_TIE, (2, 3), 1)]
    assert not proposal.can_confirm


def test_tie_inside_the_quota_is_no_conflict():
    q = quarter(ratee_scoring(1, 90), ratee_scoring(2, 90), *[ratee_scoring(i, 70) for i in range(3, 6)])
    proposal = compute_quarter(q, rules())
    assert not proposal.conflicts
    assert by_id(proposal)[2].proposed is Tier.GOOD


def test_affirmations_alone_above_the_quota_are_flagged():
    # 4 people: quota 1, two affirmed
    affirm = frozenset({OverrideKind.AFFIRMATION})
    q = quarter(
        ratee_scoring(1, 70, overrides=affirm),
        ratee_scoring(2, 72, overrides=affirm),
        ratee_scoring(3, 95),
        ratee_scoring(4, 60),
    )
    proposal = compute_quarter(q, rules())
    results = by_id(proposal)
    assert results[1].proposed is None and results[2].proposed is None
    assert Flag.AFFIRMATIONS_OVER_QUOTA in results[1].flags
    assert results[3].proposed is Tier.FAIR and Flag.QUOTA_CUT in results[3].flags
    assert [(c.kind, c.person_ids, c.slots) for c in proposal.conflicts] == [
        (Flag.AFFIRMATIONS_OVER_QUOTA, (1, 2), 1)
    ]


def test_exempt_people_do_not_count_in_n():
    q = quarter(*[ratee_scoring(i, 90) for i in range(1, 6)], ratee_scoring(6, 90, admin_exempt=True))
    assert compute_quarter(q, rules()).quota[CS].tiered == 5


def test_final_tiers_settle_a_tie_within_the_quota():
    q = tie_across_the_quota_line()
    proposal = compute_quarter(q, rules())
    tiers, problems = final_tiers(proposal, {}, rules())
    assert {p.kind for p in problems} == {DecisionProblem.UNDECIDED}
    changes = {2: Change(2, Tier.GOOD, "班子研究：工作量更大"), 3: Change(3, Tier.FAIR, "班子研究")}
    tiers, problems = final_tiers(proposal, changes, rules())
    assert problems == []
    assert tiers == {1: Tier.GOOD, 2: Tier.GOOD, 3: Tier.FAIR, 4: Tier.FAIR, 5: Tier.AVERAGE}


def test_the_undecided_count_in_n_while_the_tie_is_settled_one_by_one():
    proposal = compute_quarter(tie_across_the_quota_line(), rules())
    tiers, problems = final_tiers(proposal, {2: Change(2, Tier.GOOD, "班子研究")}, rules())
    assert [p.kind for p in problems] == [DecisionProblem.UNDECIDED]  # 3 is open; quota is still 2 of 5
    assert tiers[2] is Tier.GOOD and tiers[3] is None


def test_final_tiers_refuse_going_over_the_quota_an_exempt_person_and_no_reason():
    q = quarter(*[ratee_scoring(i, 90 - i) for i in range(1, 6)], ratee_scoring(6, 90, admin_exempt=True))
    proposal = compute_quarter(q, rules())
    _, problems = final_tiers(proposal, {3: Change(3, Tier.GOOD, "理由")}, rules())
    assert [(p.kind, p.category, p.count, p.quota) for p in problems] == [
        (DecisionProblem.OVER_QUOTA, CS, 3, 2)
    ]
    _, problems = final_tiers(
        proposal,
        {6: Change(6, Tier.GOOD, "理由"), 4: Change(4, Tier.POOR, "  "), 99: Change(99, Tier.GOOD, "x")},
        rules(),
    )
    assert sorted((p.kind, p.person_id) for p in problems) == [
        (DecisionProblem.EXEMPT_PERSON, 6),
        (DecisionProblem.NO_REASON, 4),
        (DecisionProblem.UNKNOWN_PERSON, 99),
    ]


def _leaders_and_peers(person_id: int, peers: tuple[int, ...], **kwargs) -> RateeInput:
    """Principal 90, supervisor 80 and the given peer ballot scores."""
    return RateeInput(
        person_id,
        CS,
        (
            ballot(person_id, RaterGroup.PRINCIPAL, 90, 90),
            ballot(person_id, RaterGroup.SUPERVISOR, 80, 80),
            *[ballot(person_id, RaterGroup.PEER, s, s, 10 + i) for i, s in enumerate(peers)],
        ),
        **kwargs,
    )


def test_fewer_than_min_peer_ballots_are_left_out_of_the_composite():
    """SPEC 5: one or two peer ballots are left out like a missing group (weights re-scaled) and flagged;
    the composite then equals the leaders' alone, so it gives nothing of the peers back."""
    leaders_only = D("85.71")  # (0.4 * 90 + 0.3 * 80) / 0.7 = 85.714...
    for peers in ((0,), (0, 100)):
        result = by_id(compute_quarter(quarter(_leaders_and_peers(1, peers)), rules()))[1]
        assert result.composite == leaders_only, peers
        assert result.flags - {Flag.QUOTA_CUT} == {Flag.FEW_PEERS}, peers  # one ratee: quota 0
        assert result.group_scores[RaterGroup.PEER] is None  # not stored, not shown
        assert result.ballot_counts[RaterGroup.PEER] == len(peers)
        assert result.missing_groups == ()
    three = by_id(compute_quarter(quarter(_leaders_and_peers(1, (0, 0, 60))), rules()))[1]
    assert three.composite == D("66.00") and Flag.FEW_PEERS not in three.flags  # 36 + 24 + 0.3 * 20


def test_held_back_peer_ballots_flag_the_ratee_but_count_nothing():
    result = by_id(compute_quarter(quarter(_leaders_and_peers(1, (), held_peer_ballots=2)), rules()))[1]
    assert result.composite == D("85.71") and result.flags - {Flag.QUOTA_CUT} == {Flag.FEW_PEERS}
    assert result.ballot_counts[RaterGroup.PEER] == 0


def test_min_peer_ballots_zero_counts_every_peer_ballot():
    result = by_id(compute_quarter(quarter(_leaders_and_peers(1, (0,))), rules(min_peer_ballots=0)))[1]
    assert result.composite == D("60.00") and not result.flags  # 36 + 24 + 0
