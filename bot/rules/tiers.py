"""Tiers of a quarter (SPEC section 6): exemptions, veto and affirmation, thresholds and the quota."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from bot.rules.domain import Category, ExemptReason, Flag, OverrideKind, RaterGroup, Tier
from bot.rules.scoring import Ballot, ballot_score, composite, group_scores, group_weights
from bot.settings import RuleSettings


@dataclass(frozen=True)
class Period:
    """A closed range of days; `end` None means open-ended."""

    start: dt.date
    end: dt.date | None = None

    def overlaps(self, first: dt.date, last: dt.date) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)

    def days_within(self, days: Iterable[dt.date]) -> set[dt.date]:
        return {d for d in days if self.start <= d and (self.end is None or d <= self.end)}


@dataclass(frozen=True)
class RateeInput:
    """Everything the rules need to know of one ratee for one quarter."""

    person_id: int
    category: Category
    ballots: tuple[Ballot, ...] = ()
    probation_end: dt.date | None = None
    discipline: tuple[Period, ...] = ()
    leave: tuple[Period, ...] = ()
    overrides: frozenset[OverrideKind] = frozenset()
    admin_exempt: bool = False
    held_peer_ballots: int = 0  # submitted peer ballots not counted yet (too few to count: SPEC 4)


@dataclass(frozen=True)
class QuarterInput:
    """A quarter's ratees with its first and last day and its official working days."""

    first_day: dt.date
    last_day: dt.date
    working_days: frozenset[dt.date]
    ratees: tuple[RateeInput, ...]


@dataclass
class RateeResult:
    """The computed result of one ratee; `proposed` None with a blocking flag awaits the leadership."""

    person_id: int
    category: Category
    group_scores: dict[RaterGroup, Decimal | None]
    ballot_counts: dict[RaterGroup, int]
    composite: Decimal | None
    exempt_reasons: tuple[ExemptReason, ...] = ()
    override: OverrideKind | None = None
    score_tier: Tier | None = None
    proposed: Tier | None = None
    rank: int | None = None
    flags: set[Flag] = field(default_factory=set)
    missing_groups: tuple[RaterGroup, ...] = ()

    @property
    def exempt(self) -> bool:
        return bool(self.exempt_reasons)


@dataclass(frozen=True)
class Conflict:
    """A question the program does not decide: who of `person_ids` gets the `slots` left."""

    kind: Flag
    category: Category
    person_ids: tuple[int, ...]
    slots: int


@dataclass(frozen=True)
class QuotaCheck:
    """Per category: ratees with a tier, the GOOD quota and how many are proposed GOOD."""

    category: Category
    tiered: int
    quota: int
    good: int
    affirmed: int


@dataclass
class QuarterResult:
    """The proposal for a quarter: one result per ratee, the conflicts and the quota per category."""

    ratees: list[RateeResult]
    conflicts: list[Conflict]
    quota: dict[Category, QuotaCheck]

    @property
    def can_confirm(self) -> bool:
        return not any(f.blocks_confirmation for r in self.ratees for f in r.flags)

    def by_person(self) -> dict[int, RateeResult]:
        return {r.person_id: r for r in self.ratees}


def exemption_reasons(ratee: RateeInput, quarter: QuarterInput) -> tuple[ExemptReason, ...]:
    """Why the ratee gets no tier this quarter, if at all."""
    reasons = []
    if ratee.probation_end is not None and ratee.probation_end >= quarter.last_day:
        reasons.append(ExemptReason.PROBATION)
    leave_days: set[dt.date] = set()
    for period in ratee.leave:
        leave_days |= period.days_within(quarter.working_days)
    if 2 * len(leave_days) > len(quarter.working_days):
        reasons.append(ExemptReason.LEAVE)
    if any(p.overlaps(quarter.first_day, quarter.last_day) for p in ratee.discipline):
        reasons.append(ExemptReason.DISCIPLINE)
    if ratee.admin_exempt:
        reasons.append(ExemptReason.ADMIN)
    return tuple(reasons)


def tier_for_score(score: Decimal, rules: RuleSettings) -> Tier:
    """The tier a rounded composite earns by the thresholds."""
    if score >= rules.threshold_good:
        return Tier.GOOD
    if score >= rules.threshold_fair:
        return Tier.FAIR
    if score >= rules.threshold_average:
        return Tier.AVERAGE
    return Tier.POOR


def quota_for(tiered: int, rules: RuleSettings) -> int:
    """At most floor(share x N) GOOD in a category."""
    return math.floor(rules.quota_share * tiered)


def score_ratee(ratee: RateeInput, quarter: QuarterInput, rules: RuleSettings) -> RateeResult:
    """Scores, exemptions, override and threshold tier of one ratee, before the quota."""
    by_group: dict[RaterGroup, list[Decimal]] = defaultdict(list)
    for ballot in ratee.ballots:
        by_group[ballot.group].append(ballot_score(ballot, rules))
    scores = group_scores(by_group, rules)
    weights = group_weights(rules)
    peers = len(by_group.get(RaterGroup.PEER, ()))
    # SPEC 5: fewer than min_peer_ballots peer ballots are left out like a missing group, since the
    # composite and the leaders' ballots would give a one- or two-ballot peer mean back
    few_peers = peers < rules.min_peer_ballots and peers + ratee.held_peer_ballots > 0
    if few_peers:
        scores[RaterGroup.PEER] = None
    result = RateeResult(
        person_id=ratee.person_id,
        category=ratee.category,
        group_scores=scores,
        ballot_counts={g: len(by_group.get(g, ())) for g in RaterGroup},
        composite=composite(scores, rules),
        exempt_reasons=exemption_reasons(ratee, quarter),
    )
    result.missing_groups = tuple(
        g
        for g in RaterGroup
        if scores[g] is None and weights[g] > 0 and not (few_peers and g is RaterGroup.PEER)
    )
    if result.composite is None:
        result.flags.add(Flag.NO_BALLOTS)
    elif result.missing_groups:
        result.flags.add(Flag.MISSING_GROUP)
    if few_peers:
        result.flags.add(Flag.FEW_PEERS)

    if OverrideKind.VETO in ratee.overrides:
        result.override = OverrideKind.VETO
        if OverrideKind.AFFIRMATION in ratee.overrides:
            result.flags.add(Flag.VETO_AND_AFFIRMATION)
    elif OverrideKind.AFFIRMATION in ratee.overrides:
        result.override = OverrideKind.AFFIRMATION

    if result.composite is not None:
        result.score_tier = tier_for_score(result.composite, rules)
    if result.exempt:
        result.flags.discard(Flag.NO_BALLOTS)
        if result.override is not None:
            result.flags.add(Flag.OVERRIDE_ON_EXEMPT)
            result.override = None
        return result
    if result.override is OverrideKind.VETO:
        result.proposed = Tier.POOR
        result.flags.discard(Flag.NO_BALLOTS)
    elif result.override is OverrideKind.AFFIRMATION:
        result.proposed = Tier.GOOD
        result.flags.discard(Flag.NO_BALLOTS)
    else:
        result.proposed = result.score_tier
    return result


def _has_tier(result: RateeResult) -> bool:
    return not result.exempt and (result.override is not None or result.composite is not None)


def apply_quota(
    results: Sequence[RateeResult], rules: RuleSettings
) -> tuple[list[Conflict], dict[Category, QuotaCheck]]:
    """Cut GOOD to the quota per category; ties across the line and excess affirmations are flagged."""
    conflicts: list[Conflict] = []
    checks: dict[Category, QuotaCheck] = {}
    for category in Category:
        members = [r for r in results if r.category is category and _has_tier(r)]
        quota = quota_for(len(members), rules)
        affirmed = [r for r in members if r.override is OverrideKind.AFFIRMATION]
        candidates = sorted(
            (r for r in members if r.override is None and r.proposed is Tier.GOOD),
            key=lambda r: (-r.composite, r.person_id),
        )
        for position, r in enumerate(candidates, start=1):
            r.rank = position
        if len(affirmed) > quota:
            for r in affirmed:
                r.proposed = None
                r.flags.add(Flag.AFFIRMATIONS_OVER_QUOTA)
            conflicts.append(
                Conflict(Flag.AFFIRMATIONS_OVER_QUOTA, category, tuple(r.person_id for r in affirmed), quota)
            )
            _cut(candidates)
        else:
            slots = quota - len(affirmed)
            if len(candidates) > slots:
                line = candidates[slots - 1].composite if slots > 0 else None
                if line is not None and candidates[slots].composite == line:
                    tied = [r for r in candidates if r.composite == line]
                    above = [r for r in candidates if r.composite > line]
                    for r in tied:
                        r.proposed = None
                        r.flags.add(Flag.QUOTA_TIE)
                    conflicts.append(
                        Conflict(
                            Flag.QUOTA_TIE, category, tuple(r.person_id for r in tied), slots - len(above)
                        )
                    )
                    _cut([r for r in candidates if r.composite < line])
                else:
                    _cut(candidates[slots:])
        good = sum(1 for r in members if r.proposed is Tier.GOOD)
        checks[category] = QuotaCheck(category, len(members), quota, good, len(affirmed))
    return conflicts, checks


def _cut(results: Iterable[RateeResult]) -> None:
    for r in results:
        r.proposed = Tier.FAIR
        r.flags.add(Flag.QUOTA_CUT)


def compute_quarter(quarter: QuarterInput, rules: RuleSettings) -> QuarterResult:
    """The whole proposal for a quarter; the order of the input does not matter."""
    ordered = sorted(quarter.ratees, key=lambda r: r.person_id)
    ids = [r.person_id for r in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("a ratee appears twice in the quarter's input")
    results = [score_ratee(r, quarter, rules) for r in ordered]
    conflicts, checks = apply_quota(results, rules)
    return QuarterResult(results, conflicts, checks)


class DecisionProblem(StrEnum):
    """Why the leadership's decision cannot be recorded as it stands."""

    UNKNOWN_PERSON = "unknown_person"
    EXEMPT_PERSON = "exempt_person"
    NO_REASON = "no_reason"
    UNDECIDED = "undecided"
    OVER_QUOTA = "over_quota"


@dataclass(frozen=True)
class Change:
    """The leadership's change of one ratee's tier, with its reason."""

    person_id: int
    tier: Tier
    reason: str


@dataclass(frozen=True)
class Problem:
    kind: DecisionProblem
    person_id: int | None = None
    category: Category | None = None
    count: int = 0
    quota: int = 0


def final_tiers(
    proposal: QuarterResult, changes: Mapping[int, Change], rules: RuleSettings
) -> tuple[dict[int, Tier | None], list[Problem]]:
    """Apply the leadership's changes; problems say why they cannot be confirmed yet."""
    by_person = proposal.by_person()
    problems: list[Problem] = []
    tiers: dict[int, Tier | None] = {r.person_id: r.proposed for r in proposal.ratees}
    for person_id, change in sorted(changes.items()):
        result = by_person.get(person_id)
        if result is None:
            problems.append(Problem(DecisionProblem.UNKNOWN_PERSON, person_id))
        elif result.exempt:
            problems.append(Problem(DecisionProblem.EXEMPT_PERSON, person_id))
        elif not change.reason.strip():
            problems.append(Problem(DecisionProblem.NO_REASON, person_id))
        else:
            tiers[person_id] = change.tier
    for r in proposal.ratees:
        if not r.exempt and tiers[r.person_id] is None:
            problems.append(Problem(DecisionProblem.UNDECIDED, r.person_id, r.category))
    for category in Category:
        # N: everyone of the category who gets a tier, the ones still undecided included
        members = [
            r
            for r in proposal.ratees
            if r.category is category and not r.exempt and (tiers[r.person_id] is not None or _has_tier(r))
        ]
        quota = quota_for(len(members), rules)
        good = sum(1 for r in members if tiers[r.person_id] is Tier.GOOD)
        if good > quota:
            problems.append(Problem(DecisionProblem.OVER_QUOTA, None, category, good, quota))
    return tiers, problems
