"""What admins change in a quarter's inputs before confirmation: overrides, exemptions, leave, raters."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from bot.rules.domain import (
    AssessmentStatus,
    BallotStatus,
    ExemptionKind,
    LeaveKind,
    OverrideKind,
    Quarter,
    RaterAction,
)
from bot.workflow.quarter import compute_and_store
from bot.workflow.unit import Refusal, Work
from storage.models import Admin, Assessment, Exemption, LeaveRecord, Override, Person, RaterChange

# Changes to the inputs of results are allowed until the results are confirmed.
EDITABLE = (AssessmentStatus.PREPARING, AssessmentStatus.RATING, AssessmentStatus.COMPUTED)


def require_ratee(person: Person) -> None:
    if person.role.is_bureau_leader:
        raise Refusal("chat/admin/not_a_ratee.j2", name=person.name)


async def editable_assessment(work: Work, quarter: Quarter) -> Assessment:
    assessment = await work.repo.assessment(quarter, create=True, lock=True)  # see phases.assessment_in
    if assessment.status not in EDITABLE:
        raise Refusal("chat/admin/results_locked.j2", quarter=quarter, status=assessment.status)
    return assessment


async def recompute_if_computed(work: Work, assessment: Assessment) -> bool:
    """Results already computed are computed again when an input changes before confirmation."""
    if assessment.status is not AssessmentStatus.COMPUTED:
        return False
    await compute_and_store(work.repo, work.settings, assessment.period, work.actor)
    return True


async def record_override(
    work: Work, quarter: Quarter, person: Person, kind: OverrideKind, number: int, reason: str
) -> bool:
    """A veto or an affirmation on one of the plan's grounds; returns whether results were recomputed."""
    require_ratee(person)
    assessment = await editable_assessment(work, quarter)
    ground = f"{kind.value}:{number}"
    await work.repo.put(
        Override,
        {"assessment_id": assessment.id, "person_id": person.id, "kind": kind},
        ground=ground,
        reason=reason,
        recorded_by=work.user_id,
        recorded_at=work.now,
        revoked_at=None,
    )
    await work.repo.audit(
        work.actor,
        f"override_{kind.value}",
        assessment_id=assessment.id,
        person_id=person.id,
        ground=ground,
        reason=reason,
    )
    return await recompute_if_computed(work, assessment)


async def record_exemption(work: Work, quarter: Quarter, person: Person, reason: str) -> bool:
    """Comment only, no tier, this quarter; returns whether results were recomputed."""
    require_ratee(person)
    assessment = await editable_assessment(work, quarter)
    await work.repo.put(
        Exemption,
        {"assessment_id": assessment.id, "person_id": person.id, "kind": ExemptionKind.EXEMPT},
        reason=reason,
        recorded_by=work.user_id,
        recorded_at=work.now,
        revoked_at=None,
    )
    await work.repo.audit(
        work.actor, "exemption", assessment_id=assessment.id, person_id=person.id, reason=reason
    )
    return await recompute_if_computed(work, assessment)


async def record_leave(
    work: Work, person: Person, kind: LeaveKind, start: dt.date, end: dt.date, note: str | None
) -> list[Quarter]:
    """Sick or personal leave; returns the computed quarters it touches, which are computed again."""
    work.repo.add(
        LeaveRecord(
            person_id=person.id,
            kind=kind,
            start_date=start,
            end_date=end,
            note=note,
            recorded_by=work.user_id,
            recorded_at=work.now,
        )
    )
    await work.repo.audit(work.actor, "leave", person_id=person.id, kind=kind.value, start=start, end=end)
    await work.repo.flush()
    recomputed = []
    # Every quarter the leave touches is locked before its status is looked at, whatever it was when
    # listed: one closing at this moment (rating to computed) is waited for and then recomputed, one
    # confirmed meanwhile keeps its results as confirmed. Locked in id order, as every turn would.
    for assessment in sorted(await work.repo.assessments(), key=lambda a: a.id):
        quarter = assessment.period
        if quarter.first_day <= end and start <= quarter.last_day:
            await work.repo.lock(assessment)
            if await recompute_if_computed(work, assessment):
                recomputed.append(quarter)
    return recomputed


class RatersChanged(Enum):
    """What `/raters` did: the pair changed, a ballot withdrawn with it, or a counted ballot kept."""

    CHANGED = "changed"
    WITHDRAWN = "withdrawn"
    KEPT_COUNTED = "kept_counted"


async def change_raters(
    work: Work, quarter: Quarter, rater: Person, ratee: Person, action: RaterAction
) -> RatersChanged:
    """Add a rater to a ratee, or take one away, for this quarter.

    Taking away a rater who has a ballot withdraws it, unless a result shown already counted it: then
    removing that one ballot would give it back by the difference of two results (SPEC 4), so nothing
    changes and the audit log records the refused removal.
    """
    require_ratee(ratee)
    if rater.id == ratee.id:
        raise Refusal("chat/admin/self_rating.j2")
    assessment = await editable_assessment(work, quarter)
    outcome = RatersChanged.CHANGED
    if action is RaterAction.REMOVE:
        ballot = await work.repo.ballot_of(assessment.id, rater.id, ratee.id)
        if ballot is not None and ballot.counted:
            await work.repo.audit(
                work.actor,
                "rater_remove_refused",
                assessment_id=assessment.id,
                person_id=ratee.id,
                rater_id=rater.id,
                reason="ballot_counted",
            )
            return RatersChanged.KEPT_COUNTED
        if ballot is not None:
            await work.repo.audit(
                work.actor,
                "ballot_withdrawn",
                assessment_id=assessment.id,
                person_id=ratee.id,
                rater_id=rater.id,
                ballot_id=ballot.id,
                status=ballot.status.value,
            )
            await work.repo.withdraw_ballot(ballot)
            if ballot.status is BallotStatus.SUBMITTED:
                outcome = RatersChanged.WITHDRAWN
    await work.repo.put(
        RaterChange,
        {"assessment_id": assessment.id, "rater_id": rater.id, "ratee_id": ratee.id},
        action=action,
        changed_by=work.user_id,
        changed_at=work.now,
    )
    await work.repo.audit(
        work.actor,
        f"rater_{action.value}",
        assessment_id=assessment.id,
        person_id=ratee.id,
        rater_id=rater.id,
    )
    return outcome


async def grant_admin(work: Work, target: int) -> None:
    row = await work.repo.admin_of(target, lock=True)
    if row is None:
        person = await work.repo.person_bound_to(target)
        work.repo.add(
            Admin(telegram_user_id=target, person_id=person.id if person else None, granted_by=work.user_id)
        )
    elif row.revoked_at is not None:
        row.revoked_at, row.granted_by, row.granted_at = None, work.user_id, work.now
    else:
        raise Refusal("chat/admin/admin_unchanged.j2", user_id=target, granted=True)
    await work.repo.audit(work.actor, "admin_grant", target=target)


async def revoke_admin(work: Work, target: int) -> None:
    if target in work.settings.admins.ids:
        raise Refusal("chat/admin/admin_bootstrap.j2", user_id=target)
    row = await work.repo.admin_of(target, lock=True)
    if row is None or row.revoked_at is not None:
        raise Refusal("chat/admin/admin_unchanged.j2", user_id=target, granted=False)
    row.revoked_at = work.now
    await work.repo.audit(work.actor, "admin_revoke", target=target)
