"""The leadership's decisions on a computed quarter: changes of tier within the quota, and confirmation."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.rules.cycle import Event
from bot.rules.domain import AssessmentStatus, Quarter, RaterGroup, Tier
from bot.rules.scoring import group_weights
from bot.rules.tiers import Change, DecisionProblem, QuarterResult, compute_quarter, final_tiers
from bot.workflow.phases import assessment_in, transition
from bot.workflow.quarter import ACCEPTING_BALLOTS, compute_and_store, quarter_input
from bot.workflow.unit import Refusal, Work
from storage.models import Assessment, Confirmation, Person, TierDecision


@dataclass
class Decided:
    """A quarter's proposal with the leadership's changes: the tiers they give and what is still open."""

    proposal: QuarterResult
    changes: dict[int, Change]
    tiers: dict[int, Tier | None]
    problems: list
    held_back: int = 0  # submitted peer ballots not counted yet (bot.workflow.quarter.admit_ballots)


async def results_view(work: Work, quarter: Quarter) -> tuple[Assessment, Decided]:
    """What /results shows: the proposal with the leadership's changes, from the counted ballots;
    refused before rating and while the quarter accepts ballots (SPEC 4)."""
    assessment = await work.repo.assessment(quarter)
    if assessment is None or assessment.status is AssessmentStatus.PREPARING:
        raise Refusal("chat/admin/no_results.j2", quarter=quarter)
    if assessment.status in ACCEPTING_BALLOTS:
        raise Refusal("chat/admin/results_hidden.j2", quarter=quarter)
    decided = await proposal_with_decisions(work, quarter, assessment)
    decided.held_back = sum(
        1 for b in await work.repo.pending_ballots(assessment.id) if b.rater_group is RaterGroup.PEER
    )
    return assessment, decided


async def results_page(work: Work, quarter: Quarter, *, sections: frozenset[int] | None = None) -> dict:
    """The context chat/admin/results.j2 is drawn from: what /results shows, refused like results_view.

    With `sections` it is a leader's read-only view: the ratees of those sections only (all of them for the
    principal, who passes None with `read_only`), no commands to change or confirm, nothing of the ballots
    held back."""
    assessment, decided = await results_view(work, quarter)
    people = await work.repo.people_by_id()
    proposal, problems = decided.proposal, decided.problems
    if sections is not None:
        proposal = replace(
            proposal, ratees=[r for r in proposal.ratees if people[r.person_id].section_id in sections]
        )
        shown = {r.person_id for r in proposal.ratees}
        problems = [p for p in problems if p.person_id in shown]
    return {
        "quarter": quarter,
        "status": assessment.status,
        "proposal": proposal,
        "changes": decided.changes,
        "tiers": decided.tiers,
        "problems": problems,
        "people": people,
        "sections": await work.repo.section_names(),
        "held_back": decided.held_back if sections is None else 0,
        "minimum": work.settings.rules.min_peer_ballots,
    }


async def leaders_page(
    work: Work, quarter: Quarter, *, viewer: int, principal: bool, supervises: frozenset[int]
) -> dict:
    """What /results shows a bureau leader: the principal the whole proposal, a supervisor that of his
    sections; composites and tiers only, read only (SPEC 3.5: the leadership decides on it).

    A composite is a weighted sum of the groups' scores. A leader knows his own ballot, so a composite
    of two groups one of which is his (or of three, two of which are his) gives him the other group's
    score, and with it another leader's ballot: such a composite is not shown to him (README *Secrecy*).
    The group scores and counts are left out of every row."""
    page = await results_page(work, quarter, sections=None if principal else supervises)
    assessment = await work.repo.assessment(quarter)
    his = {
        (b.ratee_id, b.rater_group)
        for b in await work.repo.ballots(assessment.id)
        if b.rater_id == viewer and b.counted
    }
    weights = group_weights(work.settings.rules)
    rows = []
    for r in page["proposal"].ratees:
        summed = {g for g, value in r.group_scores.items() if value is not None and weights[g] > 0}
        unknown = {g for g in summed if (r.person_id, g) not in his}
        shown = r.composite if len(unknown) >= 2 else None
        rows.append(replace(r, group_scores={}, ballot_counts={}, composite=shown))
    page["proposal"] = replace(page["proposal"], ratees=rows)
    page["held_back"] = 0
    page["read_only"] = True
    return page


async def proposal_with_decisions(work: Work, quarter: Quarter, assessment: Assessment) -> Decided:
    data = await quarter_input(work.repo, work.settings, quarter)
    proposal = compute_quarter(data, work.settings.rules)
    changes = {
        d.person_id: Change(d.person_id, d.tier, d.reason)
        for d in await work.repo.tier_decisions(assessment.id)
    }
    tiers, problems = final_tiers(proposal, changes, work.settings.rules)
    return Decided(proposal, changes, tiers, problems)


@dataclass(frozen=True)
class Changed:
    before: Tier | None
    undecided: int


async def change_tier(work: Work, quarter: Quarter, person: Person, tier: Tier, reason: str) -> Changed:
    """Record the leadership's tier for one ratee, refused when it would break the quota."""
    assessment = await assessment_in(work, quarter, AssessmentStatus.COMPUTED, "change")
    decided = await proposal_with_decisions(work, quarter, assessment)
    result = decided.proposal.by_person().get(person.id)
    if result is None or result.exempt:
        raise Refusal("chat/admin/change_not_possible.j2", name=person.name, exempt=result is not None)
    changes = {**decided.changes, person.id: Change(person.id, tier, reason)}
    _tiers, problems = final_tiers(decided.proposal, changes, work.settings.rules)
    over = [p for p in problems if p.kind is DecisionProblem.OVER_QUOTA and p.category is result.category]
    if over:
        raise Refusal(
            "chat/admin/change_over_quota.j2",
            name=person.name,
            category=result.category,
            count=over[0].count,
            quota=over[0].quota,
        )
    row = await work.repo.tier_decision(assessment.id, person.id)
    before = row.tier if row else result.proposed
    if row is None:
        work.repo.add(
            TierDecision(
                assessment_id=assessment.id,
                person_id=person.id,
                tier=tier,
                reason=reason,
                decided_by=work.user_id,
                decided_at=work.now,
            )
        )
    else:
        row.tier, row.reason, row.decided_by, row.decided_at = tier, reason, work.user_id, work.now
    await work.repo.audit(
        work.actor,
        "tier_changed",
        assessment_id=assessment.id,
        person_id=person.id,
        before=before,
        after=tier,
        reason=reason,
    )
    return Changed(before, sum(1 for p in problems if p.kind is DecisionProblem.UNDECIDED))


async def confirmable(work: Work, quarter: Quarter) -> Decided:
    """The decided tiers of a computed quarter, refused while anything is still open."""
    assessment = await assessment_in(work, quarter, AssessmentStatus.COMPUTED, "confirm")
    decided = await proposal_with_decisions(work, quarter, assessment)
    if decided.problems:
        raise Refusal(
            "chat/admin/confirm_blocked.j2", problems=decided.problems, people=await work.repo.people_by_id()
        )
    return decided


async def confirm_results(work: Work, quarter: Quarter, assessment: Assessment) -> int | None:
    """Record the leadership's confirmation: final tiers stored, ready to publish; returns the round.

    The results are computed once more first. When that computation changes them (ballots counted now
    that /results did not show, stored rows out of date), what the leadership decided on is not what
    would be confirmed: nothing is confirmed, the new results are kept and None is returned, for the
    admin to look at /results again and confirm those.
    """
    await work.repo.lock(assessment)  # a second confirmation at the same moment waits, then is refused
    if assessment.status is not AssessmentStatus.COMPUTED:
        raise Refusal(
            "chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="confirm"
        )
    computed = await compute_and_store(work.repo, work.settings, quarter, work.actor)
    if computed.changed:
        await work.repo.audit(
            work.actor, "confirm_refused", assessment_id=assessment.id, changed=computed.changed
        )
        return None
    decided = await confirmable(work, quarter)
    for row in await work.repo.results(assessment.id):
        row.final_tier = decided.tiers.get(row.person_id)
    number = await work.repo.confirmation_rounds(assessment.id) + 1
    work.repo.add(
        Confirmation(
            assessment_id=assessment.id, round=number, confirmed_by=work.user_id, confirmed_at=work.now
        )
    )
    transition(work, assessment, Event.CONFIRM)
    await work.repo.audit(
        work.actor,
        "results_confirmed",
        assessment_id=assessment.id,
        round=number,
        tiers={str(k): (v.value if v else None) for k, v in decided.tiers.items()},
    )
    return number
