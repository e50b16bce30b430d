"""The score formula, written once: ballot score, group scores and the composite (SPEC section 5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.rules.domain import RaterGroup
from bot.settings import RuleSettings

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ItemScore:
    """Points given to one indicator item of a ballot."""

    name: str
    points: int
    max_points: int

    def __post_init__(self) -> None:
        if self.max_points < 1:
            raise ValueError(f"item {self.name!r}: max_points must be at least 1")
        if isinstance(self.points, bool) or not isinstance(self.points, int):
            raise ValueError(f"item {self.name!r}: points must be a whole number")
        if not 0 <= self.points <= self.max_points:
            raise ValueError(f"item {self.name!r}: {self.points} is outside 0..{self.max_points}")


@dataclass(frozen=True)
class Ballot:
    """One rater's scores for one ratee: the common and the individual items."""

    rater_id: int
    ratee_id: int
    group: RaterGroup
    common: tuple[ItemScore, ...]
    individual: tuple[ItemScore, ...]


def part_score(items: Iterable[ItemScore]) -> Decimal:
    """Points of one part of a ballot on a scale of 100."""
    items = tuple(items)
    if not items:
        raise ValueError("a ballot part needs at least one item")
    got = sum(i.points for i in items)
    most = sum(i.max_points for i in items)
    return Decimal(got) * HUNDRED / Decimal(most)


def ballot_score(ballot: Ballot, rules: RuleSettings) -> Decimal:
    """ballot score = share x common total + (1 - share) x individual total, each on 100."""
    share = rules.common_share
    return share * part_score(ballot.common) + (1 - share) * part_score(ballot.individual)


def group_score(scores: Sequence[Decimal], *, trim: bool, trim_min: int) -> Decimal | None:
    """Mean of a group's ballot scores; with `trim` and enough ballots, without one top and one bottom."""
    if not scores:
        return None
    ordered = sorted(scores)
    if trim and len(ordered) >= trim_min:
        ordered = ordered[1:-1]
    return sum(ordered, Decimal(0)) / Decimal(len(ordered))


def group_scores(
    ballot_scores: Mapping[RaterGroup, Sequence[Decimal]], rules: RuleSettings
) -> dict[RaterGroup, Decimal | None]:
    """Each group's score; only the peers' group is ever trimmed."""
    return {
        group: group_score(
            ballot_scores.get(group, ()),
            trim=rules.trim_peers and group is RaterGroup.PEER,
            trim_min=rules.trim_min_ballots,
        )
        for group in RaterGroup
    }


def group_weights(rules: RuleSettings) -> dict[RaterGroup, Decimal]:
    return {
        RaterGroup.PRINCIPAL: rules.weight_principal,
        RaterGroup.SUPERVISOR: rules.weight_supervisor,
        RaterGroup.PEER: rules.weight_peers,
    }


def round_score(value: Decimal, places: int) -> Decimal:
    """Round half up to `places` decimals."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def shown_score(value: Decimal | None, places: int) -> Decimal | None:
    """A score as every view shows it (chat, command line, CSV, workbooks, charts): rounded once, half
    up, to `places` (rules.score_places) decimals, like the composite; None stays None."""
    return None if value is None else round_score(value, places)


def composite(scores: Mapping[RaterGroup, Decimal | None], rules: RuleSettings) -> Decimal | None:
    """Weighted composite, rounded; groups with no score are left out and the weights re-scaled."""
    weights = group_weights(rules)
    present = {g: s for g, s in scores.items() if s is not None and weights[g] > 0}
    if not present:
        return None
    total_weight = sum((weights[g] for g in present), Decimal(0))
    raw = sum((weights[g] * s for g, s in present.items()), Decimal(0)) / total_weight
    return round_score(raw, rules.score_places)


def shown_group_scores(
    scores: Mapping[RaterGroup, Decimal | None], counts: Mapping[RaterGroup, int], minimum: int = 3
) -> dict[RaterGroup, Decimal | None]:
    """Group scores as a result sheet may show them (SPEC 4: a peer's ballot is seen by nobody).

    With fewer than `minimum` peer ballots (the rules' min_peer_ballots, at least 2), a peer score is
    one ballot, or two of which a reader may have cast one; and with the leaders' scores beside the
    composite it could be worked back out. So then no group score is shown, only the composite.
    """
    if counts.get(RaterGroup.PEER, 0) < max(minimum, 2):
        return dict.fromkeys(scores)
    return dict(scores)
