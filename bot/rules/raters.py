"""Who rates whom: those who know the ratee, one level rating the next (SPEC section 4)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.rules.domain import RaterGroup, Role


@dataclass(frozen=True)
class Member:
    """A person as the rater rules see them."""

    person_id: int
    role: Role
    section_id: int | None
    supervises: frozenset[int] = frozenset()
    active: bool = True

    @property
    def is_ratee(self) -> bool:
        return self.active and not self.role.is_bureau_leader


def group_of(rater: Member, ratee: Member) -> RaterGroup:
    """The weighted group a rater's ballot on a ratee counts in."""
    if rater.role is Role.PRINCIPAL:
        return RaterGroup.PRINCIPAL
    if rater.role is Role.SUPERVISOR or (ratee.section_id in rater.supervises):
        return RaterGroup.SUPERVISOR
    return RaterGroup.PEER


def counting_groups(group: RaterGroup, rater: Member, ratee: Member) -> tuple[RaterGroup, ...]:
    """The groups a ballot counts in: a principal who also supervises the ratee's section fills both
    the principal's and the supervisor's place (he is that section's supervisor)."""
    if group is RaterGroup.PRINCIPAL and ratee.section_id in rater.supervises:
        return (RaterGroup.PRINCIPAL, RaterGroup.SUPERVISOR)
    return (group,)


def default_pairs(
    members: Iterable[Member], peer_scope: str = "section"
) -> dict[tuple[int, int], RaterGroup]:
    """Every (rater, ratee) pair the plan calls for, with the group the ballot counts in."""
    people = [m for m in members if m.active]
    ratees = [m for m in people if m.is_ratee]
    pairs: dict[tuple[int, int], RaterGroup] = {}
    for ratee in ratees:
        for rater in people:
            if rater.person_id == ratee.person_id:
                continue
            if rater.role is Role.PRINCIPAL:
                pairs[(rater.person_id, ratee.person_id)] = RaterGroup.PRINCIPAL
            elif rater.role is Role.SUPERVISOR:
                if ratee.section_id in rater.supervises:
                    pairs[(rater.person_id, ratee.person_id)] = RaterGroup.SUPERVISOR
            elif peer_scope == "bureau" or rater.section_id == ratee.section_id:
                pairs[(rater.person_id, ratee.person_id)] = RaterGroup.PEER
    return pairs


def rater_pairs(
    members: Iterable[Member],
    *,
    peer_scope: str = "section",
    added: Iterable[tuple[int, int]] = (),
    removed: Iterable[tuple[int, int]] = (),
) -> dict[tuple[int, int], RaterGroup]:
    """The quarter's pairs: the plan's, plus those admins added, less those they removed."""
    people = {m.person_id: m for m in members}
    pairs = default_pairs(people.values(), peer_scope)
    for rater_id, ratee_id in added:
        rater, ratee = people.get(rater_id), people.get(ratee_id)
        if rater is None or ratee is None or rater_id == ratee_id or not ratee.is_ratee or not rater.active:
            continue
        pairs[(rater_id, ratee_id)] = group_of(rater, ratee)
    for pair in removed:
        pairs.pop(pair, None)
    return pairs
