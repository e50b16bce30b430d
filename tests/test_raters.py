"""Who rates whom (SPEC section 4)."""

from bot.rules.domain import RaterGroup, Role
from bot.rules.raters import Member, rater_pairs

PRINCIPAL = Member(1, Role.PRINCIPAL, None, frozenset({30}))
SUP_A = Member(2, Role.SUPERVISOR, None, frozenset({10}))
SUP_B = Member(3, Role.SUPERVISOR, None, frozenset({20, 30}))
HEAD_A = Member(11, Role.SECTION_HEAD, 10)
STAFF_A = Member(12, Role.STAFF, 10)
WINDOW_B = Member(21, Role.WINDOW_STAFF, 20)
STAFF_B = Member(22, Role.STAFF, 20)
GONE_B = Member(23, Role.STAFF, 20, active=False)
EVERYONE = [PRINCIPAL, SUP_A, SUP_B, HEAD_A, STAFF_A, WINDOW_B, STAFF_B, GONE_B]


def test_default_pairs_follow_the_plan():
    pairs = rater_pairs(EVERYONE)
    assert pairs == {
        (1, 11): RaterGroup.PRINCIPAL,
        (1, 12): RaterGroup.PRINCIPAL,
        (1, 21): RaterGroup.PRINCIPAL,
        (1, 22): RaterGroup.PRINCIPAL,
        (2, 11): RaterGroup.SUPERVISOR,
        (2, 12): RaterGroup.SUPERVISOR,
        (3, 21): RaterGroup.SUPERVISOR,
        (3, 22): RaterGroup.SUPERVISOR,
        (11, 12): RaterGroup.PEER,
        (12, 11): RaterGroup.PEER,
        (21, 22): RaterGroup.PEER,
        (22, 21): RaterGroup.PEER,
    }


def test_nobody_rates_himself_and_inactive_people_take_no_part():
    pairs = rater_pairs(EVERYONE, peer_scope="bureau")
    assert all(rater != ratee for rater, ratee in pairs)
    assert not any(23 in pair for pair in pairs)


def test_peer_scope_bureau():
    pairs = rater_pairs(EVERYONE, peer_scope="bureau")
    assert pairs[(12, 21)] is RaterGroup.PEER
    assert (2, 21) not in pairs  # a supervisor still rates only his sections


def test_admins_add_and_remove_raters():
    pairs = rater_pairs(EVERYONE, added=[(2, 21), (12, 22), (12, 12), (1, 2)], removed=[(11, 12)])
    assert pairs[(2, 21)] is RaterGroup.SUPERVISOR
    assert pairs[(12, 22)] is RaterGroup.PEER
    assert (12, 12) not in pairs and (1, 2) not in pairs  # not himself, not a leader as ratee
    assert (11, 12) not in pairs


def test_a_principal_supervising_a_section_counts_in_both_groups():
    from bot.rules.raters import counting_groups

    ratee = Member(31, Role.STAFF, 30)
    assert rater_pairs([PRINCIPAL, ratee]) == {(1, 31): RaterGroup.PRINCIPAL}
    assert counting_groups(RaterGroup.PRINCIPAL, PRINCIPAL, ratee) == (
        RaterGroup.PRINCIPAL,
        RaterGroup.SUPERVISOR,
    )
    assert counting_groups(RaterGroup.PRINCIPAL, PRINCIPAL, STAFF_A) == (RaterGroup.PRINCIPAL,)
    assert counting_groups(RaterGroup.SUPERVISOR, SUP_A, STAFF_A) == (RaterGroup.SUPERVISOR,)
