"""What admins change in a quarter's inputs before confirmation: overrides, exemptions, leave, raters,
each one withdrawn again with a reason; and who the admins are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
from bot.rules.periods import touches
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
    work: Work,
    quarter: Quarter,
    person: Person,
    kind: OverrideKind,
    number: int,
    reason: str,
    *,
    recompute: bool = True,
) -> bool:
    """A veto or an affirmation on one of the plan's grounds; returns whether results were recomputed (never
    without `recompute`: an import recomputes each quarter it touched once, at its end)."""
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
    return recompute and await recompute_if_computed(work, assessment)


async def withdraw_override(
    work: Work, quarter: Quarter, person: Person, kind: OverrideKind, reason: str
) -> tuple[Override, bool]:
    """Take back a veto or an affirmation, as it may be recorded: until the results are confirmed. The
    audit log keeps the original and the withdrawal; returns the row and whether results were recomputed."""
    require_ratee(person)
    assessment = await editable_assessment(work, quarter)
    row = next(
        (r for r in await work.repo.overrides(assessment.id) if r.person_id == person.id and r.kind is kind),
        None,
    )
    if row is None:
        raise Refusal("chat/admin/withdraw_nothing.j2", what=kind.value, name=person.name, quarter=quarter)
    row.revoked_at = work.now
    await work.repo.audit(
        work.actor,
        f"override_{kind.value}_withdrawn",
        assessment_id=assessment.id,
        person_id=person.id,
        ground=row.ground,
        recorded_reason=row.reason,
        reason=reason,
    )
    return row, await recompute_if_computed(work, assessment)


async def record_exemption(
    work: Work, quarter: Quarter, person: Person, reason: str, *, recompute: bool = True
) -> bool:
    """Comment only, no tier, this quarter; returns whether results were recomputed (see record_override)."""
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
    return recompute and await recompute_if_computed(work, assessment)


async def withdraw_exemption(work: Work, quarter: Quarter, person: Person, reason: str) -> bool:
    """Take back an exemption, until the results are confirmed; returns whether results were recomputed."""
    require_ratee(person)
    assessment = await editable_assessment(work, quarter)
    exemptions = await work.repo.exemptions(assessment.id, ExemptionKind.EXEMPT)
    row = next((r for r in exemptions if r.person_id == person.id), None)
    if row is None:
        raise Refusal("chat/admin/withdraw_nothing.j2", what="exemption", name=person.name, quarter=quarter)
    row.revoked_at = work.now
    await work.repo.audit(
        work.actor,
        "exemption_withdrawn",
        assessment_id=assessment.id,
        person_id=person.id,
        recorded_reason=row.reason,
        reason=reason,
    )
    return await recompute_if_computed(work, assessment)


@dataclass(frozen=True)
class LeaveLine:
    """A leave record as the admins read it."""

    name: str
    kind: LeaveKind
    start: dt.date
    end: dt.date
    workdays: int
    note: str | None


async def leave_list(work: Work, person: Person | None) -> list[LeaveLine]:
    """The leave recorded, everyone's or one person's, by start date."""
    people = await work.repo.people_by_id()
    return [
        _leave_line(work, people[r.person_id].name, r)
        for r in await work.repo.leave_records(person.id if person else None)
    ]


def _leave_line(work: Work, name: str, row: LeaveRecord) -> LeaveLine:
    workdays = len(work.calendar.workdays(row.start_date, row.end_date))
    return LeaveLine(name, row.kind, row.start_date, row.end_date, workdays, row.note)


async def withdraw_leave(
    work: Work, person: Person, day: dt.date | None, reason: str
) -> tuple[LeaveLine, list[Quarter]]:
    """Take back a leave record: the one containing `day`, or the person's only one. Like recording leave,
    the quarters it touches whose results are computed are computed again; returns it and those.

    Two withdrawals (or a withdrawal and a record) of a person's leave take turns: the second reads what
    the first left."""
    await work.repo.serialize(f"leave:{person.id}")
    rows = await work.repo.leave_records(person.id)
    if day is not None:
        rows = [r for r in rows if r.start_date <= day <= r.end_date]
    if not rows:
        raise Refusal("chat/admin/withdraw_nothing.j2", what="leave", name=person.name, quarter=None)
    if len(rows) > 1:
        lines = [_leave_line(work, person.name, r) for r in rows]
        raise Refusal("chat/admin/leave_which.j2", name=person.name, leave=lines)
    (row,) = rows
    line = _leave_line(work, person.name, row)
    await work.repo.audit(
        work.actor,
        "leave_withdrawn",
        person_id=person.id,
        kind=row.kind.value,
        start=row.start_date,
        end=row.end_date,
        note=row.note,
        recorded_at=row.recorded_at,
        reason=reason,
    )
    await work.repo.delete(row)
    await work.repo.flush()
    return line, await recompute_touched(work, [(row.start_date, row.end_date)])


async def record_leave(
    work: Work,
    person: Person,
    kind: LeaveKind,
    start: dt.date,
    end: dt.date,
    note: str | None,
    *,
    recompute: bool = True,
) -> list[Quarter]:
    """Sick or personal leave of a ratee; returns the computed quarters it touches, which are computed again
    (none without `recompute`: see record_override). Leave overlapping a recorded leave of the person is
    refused (the adjustments file refuses it too): the days would count twice; withdraw the old one first.
    Quarters whose results are confirmed keep them (confirmed_touched names them for the answer)."""
    require_ratee(person)
    await work.repo.serialize(f"leave:{person.id}")  # two records of a person's leave take turns
    clash = next(
        (r for r in await work.repo.leave_records(person.id) if r.start_date <= end and start <= r.end_date),
        None,
    )
    if clash is not None:
        raise Refusal("chat/admin/leave_overlap.j2", leave=_leave_line(work, person.name, clash))
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
    return await recompute_touched(work, [(start, end)]) if recompute else []


async def confirmed_touched(work: Work, spans: list[tuple[dt.date, dt.date]]) -> list[Quarter]:
    """The quarters touched by leave between these days whose results are confirmed (or published): the
    leave is recorded, their results stay as confirmed (SPEC 7: changed only when an upheld objection
    sends them back to confirmation)."""
    return [
        a.period
        for a in await work.repo.assessments()
        if a.status not in EDITABLE and touches(a.period, spans)
    ]


async def recompute_touched(
    work: Work, spans: list[tuple[dt.date, dt.date]], quarters: frozenset[Quarter] = frozenset()
) -> list[Quarter]:
    """The computed quarters touched by leave between these days, or named, computed again, each once."""
    recomputed = []
    # Every quarter the leave touches is locked before its status is looked at, whatever it was when
    # listed: one closing at this moment (rating to computed) is waited for and then recomputed, one
    # confirmed meanwhile keeps its results as confirmed. Locked in id order, as every turn would.
    for assessment in sorted(await work.repo.assessments(), key=lambda a: a.id):
        quarter = assessment.period
        if quarter in quarters or touches(quarter, spans):
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


@dataclass(frozen=True)
class AdminLine:
    """An admin as the others read him: his name and section when his account is bound to the roster."""

    user_id: int
    name: str | None
    section: str | None
    configured: bool = False


async def admin_line(work: Work, user_id: int, *, configured: bool = False) -> AdminLine:
    person = await work.repo.person_bound_to(user_id)
    if person is None:
        return AdminLine(user_id, None, None, configured)
    sections = await work.repo.section_names()
    return AdminLine(user_id, person.name, sections.get(person.section_id), configured)


async def admin_list(work: Work) -> list[AdminLine]:
    """The configured admins, then those granted in chat, by name where the roster knows them."""
    configured = list(work.settings.admins.ids)
    granted = [a.telegram_user_id for a in await work.repo.active_admins()]
    ids = configured + [i for i in granted if i not in configured]
    return [await admin_line(work, i, configured=i in configured) for i in ids]


async def grant_admin(work: Work, target: int) -> AdminLine:
    row = await work.repo.admin_of(target, lock=True)
    if row is None:
        person = await work.repo.person_bound_to(target)
        work.repo.add(
            Admin(telegram_user_id=target, person_id=person.id if person else None, granted_by=work.user_id)
        )
    elif row.revoked_at is not None:
        row.revoked_at, row.granted_by, row.granted_at = None, work.user_id, work.now
    else:
        raise Refusal("chat/admin/admin_unchanged.j2", admin=await admin_line(work, target), granted=True)
    await work.repo.audit(work.actor, "admin_grant", target=target)
    return await admin_line(work, target)


async def revoke_admin(work: Work, target: int) -> AdminLine:
    if target in work.settings.admins.ids:
        raise Refusal("chat/admin/admin_bootstrap.j2", admin=await admin_line(work, target))
    row = await work.repo.admin_of(target, lock=True)
    if row is None or row.revoked_at is not None:
        raise Refusal("chat/admin/admin_unchanged.j2", admin=await admin_line(work, target), granted=False)
    row.revoked_at = work.now
    await work.repo.audit(work.actor, "admin_revoke", target=target)
    return await admin_line(work, target)
