"""The supervision section's commands about people: invites, admins, overrides, exemptions, leave, raters."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select

from bot.rules.domain import AssessmentStatus, ExemptionKind, OverrideKind, Quarter, RaterAction
from bot.rules.roles import Access
from bot.rules.vocabulary import LEAVE_WORDS
from bot.workflow.quarter import compute_and_store
from handlers.lookup import args_of, assessed_quarter, find_person, parse_day, take_quarter, usage
from handlers.start import token_hash
from handlers.turn import Refusal, Turn, on
from storage.models import Admin, Exemption, Invite, LeaveRecord, Override, Person, RaterChange

GROUNDS = range(1, 5)
REASON_MAX = 500
# Changes to the inputs of results are allowed until the results are confirmed.
EDITABLE = (AssessmentStatus.PREPARING, AssessmentStatus.RATING, AssessmentStatus.COMPUTED)


def reason_of(words: list[str], command: str) -> str:
    reason = " ".join(words).strip()
    if not reason:
        raise usage(command, "no_reason")
    if len(reason) > REASON_MAX:
        raise usage(command, "too_long")
    return reason


@on(Access.ADMIN)
async def invite(turn: Turn) -> None:
    """/invite NAME... | all: one-time deep links for staff not yet bound (or to re-bind a named person)."""
    args = args_of(turn)
    if not args:
        raise usage("invite", "missing")
    if args == ["all"]:
        people = [p for p in await turn.repo.people(active_only=True) if p.telegram_user_id is None]
    else:
        people = [await find_person(turn, name) for name in args]
    expires = turn.now + dt.timedelta(days=turn.settings.admins.invite_valid_days)
    links = []
    for person in people:
        token = secrets.token_urlsafe(16)
        turn.repo.session.add(
            Invite(
                token_hash=token_hash(token), person_id=person.id, created_by=turn.user_id, expires_at=expires
            )
        )
        links.append((person, token))
    await turn.repo.audit(
        turn.actor, "invites_created", count=len(links), person_ids=[p.id for p, _ in links]
    )
    turn.reply(
        "chat/admin/invites.j2",
        links=links,
        bot=turn.update.get_bot().username,
        expires=expires.astimezone(turn.services.work_calendar().tz),
    )


@on(Access.ADMIN)
async def admins(turn: Turn) -> None:
    """/admins [grant|revoke USER_ID]: list, grant or revoke admins (bootstrap ones are in settings)."""
    args = args_of(turn)
    session = turn.repo.session
    if not args or args[0] == "list":
        rows = (
            await session.scalars(select(Admin).where(Admin.revoked_at.is_(None)).order_by(Admin.id))
        ).all()
        turn.reply("chat/admin/admins.j2", admins=rows, bootstrap=turn.settings.admins.ids)
        return
    if len(args) != 2 or args[0] not in ("grant", "revoke"):
        raise usage("admins", "bad_action")
    if not (args[1].isascii() and args[1].isdecimal()) or not 0 < int(args[1]) < 2**52:
        raise usage("admins", "bad_user_id")
    target = int(args[1])
    row = await session.scalar(select(Admin).where(Admin.telegram_user_id == target))
    if args[0] == "grant":
        if row is None:
            person = await session.scalar(select(Person).where(Person.telegram_user_id == target))
            session.add(
                Admin(
                    telegram_user_id=target, person_id=person.id if person else None, granted_by=turn.user_id
                )
            )
        elif row.revoked_at is not None:
            row.revoked_at, row.granted_by, row.granted_at = None, turn.user_id, turn.now
        else:
            raise Refusal("chat/admin/admin_unchanged.j2", user_id=target, granted=True)
    else:
        if target in turn.settings.admins.ids:
            raise Refusal("chat/admin/admin_bootstrap.j2", user_id=target)
        if row is None or row.revoked_at is not None:
            raise Refusal("chat/admin/admin_unchanged.j2", user_id=target, granted=False)
        row.revoked_at = turn.now
    await turn.repo.audit(turn.actor, f"admin_{args[0]}", target=target)
    turn.reply("chat/admin/admin_changed.j2", user_id=target, granted=args[0] == "grant")


async def _editable_assessment(turn: Turn, quarter):
    assessment = await turn.repo.assessment(quarter, create=True)
    if assessment.status not in EDITABLE:
        raise Refusal("chat/admin/results_locked.j2", quarter=quarter, status=assessment.status)
    return assessment


async def _override(turn: Turn, kind: OverrideKind, command: str) -> None:
    quarter, args = take_quarter(args_of(turn))
    if len(args) < 3:
        turn.reply("chat/admin/grounds.j2", kind=kind, command=command, grounds=GROUNDS)
        return
    person = await find_person(turn, args[0])
    if not args[1].isdigit() or int(args[1]) not in GROUNDS:
        raise usage(command, "bad_ground")
    if person.role.is_leader:
        raise Refusal("chat/admin/not_a_ratee.j2", name=person.name)
    reason = reason_of(args[2:], command)
    quarter = await assessed_quarter(turn, quarter)
    assessment = await _editable_assessment(turn, quarter)
    ground = f"{kind.value}:{args[1]}"
    await turn.repo.put(
        Override,
        {"assessment_id": assessment.id, "person_id": person.id, "kind": kind},
        ground=ground,
        reason=reason,
        recorded_by=turn.user_id,
        recorded_at=turn.now,
        revoked_at=None,
    )
    await turn.repo.audit(
        turn.actor,
        f"override_{kind.value}",
        assessment_id=assessment.id,
        person_id=person.id,
        ground=ground,
        reason=reason,
    )
    recomputed = await recompute_if_computed(turn, assessment, quarter)
    turn.reply(
        "chat/admin/override_recorded.j2",
        kind=kind,
        name=person.name,
        quarter=quarter,
        number=int(args[1]),
        reason=reason,
        recomputed=recomputed,
    )


@on(Access.ADMIN)
async def affirm(turn: Turn) -> None:
    await _override(turn, OverrideKind.AFFIRMATION, "affirm")


@on(Access.ADMIN)
async def veto(turn: Turn) -> None:
    await _override(turn, OverrideKind.VETO, "veto")


@on(Access.ADMIN)
async def exempt(turn: Turn) -> None:
    """/exempt NAME REASON: comment only, no tier, this quarter."""
    quarter, args = take_quarter(args_of(turn))
    if len(args) < 2:
        raise usage("exempt", "missing")
    person = await find_person(turn, args[0])
    if person.role.is_leader:
        raise Refusal("chat/admin/not_a_ratee.j2", name=person.name)
    reason = reason_of(args[1:], "exempt")
    quarter = await assessed_quarter(turn, quarter)
    assessment = await _editable_assessment(turn, quarter)
    await turn.repo.put(
        Exemption,
        {"assessment_id": assessment.id, "person_id": person.id, "kind": ExemptionKind.EXEMPT},
        reason=reason,
        recorded_by=turn.user_id,
        recorded_at=turn.now,
        revoked_at=None,
    )
    await turn.repo.audit(
        turn.actor, "exemption", assessment_id=assessment.id, person_id=person.id, reason=reason
    )
    recomputed = await recompute_if_computed(turn, assessment, quarter)
    turn.reply(
        "chat/admin/exempt_recorded.j2",
        name=person.name,
        quarter=quarter,
        reason=reason,
        recomputed=recomputed,
    )


@on(Access.ADMIN)
async def leave(turn: Turn) -> None:
    """/leave NAME sick|personal START END [NOTE]."""
    args = args_of(turn)
    if len(args) < 4:
        raise usage("leave", "missing")
    person = await find_person(turn, args[0])
    kind = LEAVE_WORDS.get(args[1])
    if kind is None:
        raise usage("leave", "bad_leave_kind")
    start, end = parse_day(args[2]), parse_day(args[3])
    if start is None or end is None:
        raise usage("leave", "bad_date")
    if end < start:
        raise usage("leave", "bad_order")
    note = " ".join(args[4:])[:200] or None
    turn.repo.session.add(
        LeaveRecord(
            person_id=person.id,
            kind=kind,
            start_date=start,
            end_date=end,
            note=note,
            recorded_by=turn.user_id,
        )
    )
    await turn.repo.audit(turn.actor, "leave", person_id=person.id, kind=kind.value, start=start, end=end)
    await turn.repo.session.flush()
    recomputed = []
    for assessment in await turn.repo.assessments(AssessmentStatus.COMPUTED):
        quarter = Quarter(assessment.year, assessment.quarter)
        if quarter.first_day <= end and start <= quarter.last_day:
            recomputed.append(quarter)
            await recompute_if_computed(turn, assessment, quarter)
    calendar = turn.services.work_calendar()
    turn.reply(
        "chat/admin/leave_recorded.j2",
        name=person.name,
        kind=kind,
        start=start,
        end=end,
        workdays=len(calendar.workdays(start, end)),
        recomputed=recomputed,
    )


@on(Access.ADMIN)
async def raters(turn: Turn) -> None:
    """/raters add|remove RATER RATEE [QUARTER]."""
    quarter, args = take_quarter(args_of(turn))
    if len(args) != 3 or args[0] not in ("add", "remove"):
        raise usage("raters", "bad_action")
    rater, ratee = await find_person(turn, args[1]), await find_person(turn, args[2])
    if ratee.role.is_leader:
        raise Refusal("chat/admin/not_a_ratee.j2", name=ratee.name)
    if rater.id == ratee.id:
        raise Refusal("chat/admin/self_rating.j2")
    quarter = await assessed_quarter(turn, quarter)
    assessment = await _editable_assessment(turn, quarter)
    action = RaterAction.ADD if args[0] == "add" else RaterAction.REMOVE
    await turn.repo.put(
        RaterChange,
        {"assessment_id": assessment.id, "rater_id": rater.id, "ratee_id": ratee.id},
        action=action,
        changed_by=turn.user_id,
        changed_at=turn.now,
    )
    await turn.repo.audit(
        turn.actor,
        f"rater_{action.value}",
        assessment_id=assessment.id,
        person_id=ratee.id,
        rater_id=rater.id,
    )
    turn.reply(
        "chat/admin/raters_changed.j2",
        added=action is RaterAction.ADD,
        rater=rater.name,
        ratee=ratee.name,
        quarter=quarter,
    )


async def recompute_if_computed(turn: Turn, assessment, quarter) -> bool:
    """Results already computed are computed again when an input changes before confirmation."""
    if assessment.status is not AssessmentStatus.COMPUTED:
        return False
    await compute_and_store(turn.repo, turn.settings, quarter, turn.actor)
    return True
