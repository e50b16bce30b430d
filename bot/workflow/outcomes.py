"""What decided each ratee's final result: score, veto or affirmation, the leadership's change, comment."""

from __future__ import annotations

from dataclasses import dataclass

from bot.rules.domain import ExemptionKind, OverrideKind, ReviewStatus, Tier
from bot.workflow.unit import Work
from storage.models import Assessment, Registration


@dataclass(frozen=True)
class Grounds:
    """The reasons behind one ratee's final result, as his own notice states them."""

    override: OverrideKind | None = None
    ground: int | None = None  # the number of the plan's ground (bot/templates/labels.j2 ground)
    override_reason: str | None = None
    quota_cut: bool = False  # scored GOOD, proposed FAIR: past the GOOD quota
    changed_from: Tier | None = None  # the proposal the leadership changed
    change_reason: str | None = None
    comment: str | None = None  # the comment of an exempt ratee


async def result_grounds(work: Work, assessment: Assessment) -> dict[int, Grounds]:
    """Each ratee's grounds, from the stored results and the records the leadership and admins made."""
    overrides = {(o.person_id, o.kind): o for o in await work.repo.overrides(assessment.id)}
    changes = {d.person_id: d for d in await work.repo.tier_decisions(assessment.id)}
    exempted = {
        e.person_id: e.reason for e in await work.repo.exemptions(assessment.id, ExemptionKind.EXEMPT)
    }
    registrations = {
        r.person_id: r
        for r in await work.repo.quarter_docs(Registration, assessment.id, statuses=[ReviewStatus.APPROVED])
    }
    found = {}
    for row in await work.repo.results(assessment.id):
        if row.exempt_reasons:
            approved = registrations.get(row.person_id)
            comment = approved.opinion if approved is not None and approved.opinion else None
            found[row.person_id] = Grounds(comment=comment or exempted.get(row.person_id))
            continue
        override = overrides.get((row.person_id, row.override)) if row.override else None
        change = changes.get(row.person_id)
        changed = change is not None and row.final_tier is not None and row.final_tier != row.proposed_tier
        found[row.person_id] = Grounds(
            override=row.override if override is not None else None,
            ground=_number(override.ground) if override is not None else None,
            override_reason=override.reason if override is not None else None,
            quota_cut=row.override is None and row.score_tier is Tier.GOOD and row.proposed_tier is Tier.FAIR,
            changed_from=row.proposed_tier if changed else None,
            change_reason=change.reason if changed else None,
        )
    return found


def _number(ground: str) -> int | None:
    """The number of a stored ground ("veto:3")."""
    tail = ground.rpartition(":")[2]
    return int(tail) if tail.isdigit() else None
