"""The supervision section's commands that drive a quarter: phases, results, confirmation, publicity."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select

from bot.rendering import render
from bot.rules.cycle import CycleError, Event, WindowOverride, advance, default_window, effective_window
from bot.rules.domain import AssessmentStatus, ObjectionStatus, Phase, Quarter, RaterAction, RaterGroup, Tier
from bot.rules.periods import goals_quarter, registration_quarter
from bot.rules.publicity import build_notice
from bot.rules.raters import Member, rater_pairs
from bot.rules.roles import Access
from bot.rules.tiers import Change, DecisionProblem, compute_quarter, final_tiers
from bot.rules.vocabulary import TIER_WORDS
from bot.workflow.quarter import compute_and_store, quarter_input
from handlers.admin import reason_of
from handlers.buttons import button, consume, data
from handlers.lookup import (
    args_of,
    assessed_quarter,
    find_person,
    local_today,
    parse_day,
    take_quarter,
    usage,
)
from handlers.paging import page_keyboard, paginate
from handlers.progress import progress_report
from handlers.turn import Button, Refusal, Turn, on
from storage.models import (
    Assessment,
    BotSetting,
    Confirmation,
    Objection,
    Person,
    PhaseWindow,
    Publicity,
    RaterChange,
    SectionSupervisor,
    TierDecision,
)

PHASES = {
    "goals": Phase.GOALS,
    "registration": Phase.REGISTRATION,
    "rating": Phase.RATING,
    "publicity": Phase.PUBLICITY,
}
GROUP_KEY = "group_chat_id"


# --- helpers ------------------------------------------------------------------------------------


async def group_chat_id(turn: Turn) -> int | None:
    row = await turn.repo.session.get(BotSetting, GROUP_KEY)
    return int(row.value) if row is not None else turn.settings.telegram.group_chat_id


async def phase_override(turn: Turn, assessment: Assessment, phase: Phase) -> PhaseWindow | None:
    return await turn.repo.session.scalar(
        select(PhaseWindow).where(PhaseWindow.assessment_id == assessment.id, PhaseWindow.phase == phase)
    )


async def window_of(turn: Turn, assessment: Assessment, phase: Phase):
    quarter = Quarter(assessment.year, assessment.quarter)
    default = default_window(phase, quarter, turn.services.work_calendar(), turn.settings.schedule)
    row = await phase_override(turn, assessment, phase)
    override = WindowOverride(row.opens_at, row.closes_at, row.closed_at) if row else None
    return effective_window(default, override)


async def is_open(turn: Turn, assessment: Assessment, phase: Phase) -> bool:
    return (await window_of(turn, assessment, phase)).contains(turn.now)


def _deadline(turn: Turn, day: dt.date) -> dt.datetime:
    calendar = turn.services.work_calendar()
    return dt.datetime.combine(day, turn.settings.schedule.deadline_time, tzinfo=calendar.tz)


async def assessment_in(turn: Turn, quarter: Quarter, status: AssessmentStatus, event: str) -> Assessment:
    """The quarter's assessment if it is in `status`; else the admin is told what state it is in."""
    assessment = await turn.repo.assessment(quarter)
    if assessment is None or assessment.status is not status:
        found = assessment.status if assessment else AssessmentStatus.PREPARING
        raise Refusal("chat/admin/wrong_status.j2", quarter=quarter, status=found, event=event)
    return assessment


def _until(turn: Turn, command: str, text: str) -> dt.datetime:
    """A phase's new end: the day given, at the deadline time, and not in the past."""
    day = parse_day(text)
    if day is None:
        raise usage(command, "bad_date")
    until = _deadline(turn, day)
    if until <= turn.now:
        raise usage(command, "date_past")
    return until


def _transition(assessment: Assessment, event: Event, turn: Turn, quarter: Quarter) -> None:
    try:
        assessment.status = advance(assessment.status, event)
    except CycleError as exc:
        raise Refusal(
            "chat/admin/wrong_status.j2", quarter=quarter, status=exc.status, event=event.value
        ) from None
    assessment.updated_at = turn.now


async def _quarter_for(turn: Turn, phase: Phase, given: Quarter | None) -> Quarter:
    if given is not None:
        return given
    calendar = turn.services.work_calendar()
    if phase is Phase.GOALS:
        return goals_quarter(turn.now, calendar)
    if phase is Phase.REGISTRATION:
        return registration_quarter(turn.now, calendar, turn.settings.schedule)
    if phase is Phase.RATING:  # rating is for the quarter that ended, unless that one is already final
        current = Quarter.containing(local_today(turn))
        ended = await turn.repo.assessment(current.previous())
        return current if ended is not None and ended.status is AssessmentStatus.FINAL else current.previous()
    return await assessed_quarter(turn)


async def ratees(turn: Turn):
    return [p for p in await turn.repo.people(active_only=True) if not p.role.is_leader]


async def pairs_for(turn: Turn, assessment: Assessment):
    added, removed = await turn.repo.rater_changes(assessment.id)
    return rater_pairs(
        await turn.repo.members(), peer_scope=turn.settings.rules.peer_scope, added=added, removed=removed
    )


async def outstanding_ballots(turn: Turn, assessment: Assessment) -> dict[int, int]:
    """Rater id -> how many of his ballots are not submitted yet."""
    submitted = {(b.rater_id, b.ratee_id) for b in await turn.repo.ballots(assessment.id)}
    missing: dict[int, int] = defaultdict(int)
    for pair in await pairs_for(turn, assessment):
        if pair not in submitted:
            missing[pair[0]] += 1
    return dict(missing)


async def pair_group(turn: Turn, assessment: Assessment, rater_id: int, ratee_id: int) -> RaterGroup | None:
    """The group a rater's ballot on a ratee counts in this quarter, or None: one pair, few queries."""
    session = turn.repo.session
    change = await session.scalar(
        select(RaterChange).where(
            RaterChange.assessment_id == assessment.id,
            RaterChange.rater_id == rater_id,
            RaterChange.ratee_id == ratee_id,
        )
    )
    if change is not None and change.action is RaterAction.REMOVE:
        return None
    people = []
    for person_id in (rater_id, ratee_id):
        person = await session.get(Person, person_id)
        if person is None:
            return None
        supervises = frozenset(
            await session.scalars(
                select(SectionSupervisor.section_id).where(SectionSupervisor.person_id == person_id)
            )
        )
        people.append(Member(person.id, person.role, person.section_id, supervises, person.active))
    added = [(rater_id, ratee_id)] if change is not None and change.action is RaterAction.ADD else []
    return rater_pairs(people, peer_scope=turn.settings.rules.peer_scope, added=added).get(
        (rater_id, ratee_id)
    )


# --- phases ---------------------------------------------------------------------------------------


@on(Access.ADMIN)
async def open_phase(turn: Turn) -> None:
    """/open goals|registration|rating [QUARTER] [UNTIL]."""
    given, args = take_quarter(args_of(turn))
    if not args or args[0] not in PHASES or PHASES[args[0]] is Phase.PUBLICITY:
        raise usage("open", "bad_phase")
    phase = PHASES[args[0]]
    until = _until(turn, "open", args[1]) if len(args) > 1 else None
    quarter = await _quarter_for(turn, phase, given)
    assessment = await turn.repo.assessment(quarter, create=True)
    if phase is Phase.RATING:
        _transition(assessment, Event.OPEN_RATING, turn, quarter)
    row = await phase_override(turn, assessment, phase)
    if row is None:
        row = PhaseWindow(assessment_id=assessment.id, phase=phase)
        turn.repo.session.add(row)
    row.opens_at, row.closes_at, row.closed_at = turn.now, until, None
    await turn.repo.audit(
        turn.actor, "phase_opened", assessment_id=assessment.id, phase=phase.value, until=until
    )
    sent = await announce_phase(turn, assessment, quarter, phase, until)
    turn.reply("chat/admin/phase_opened.j2", quarter=quarter, phase=phase, until=until, notified=sent)


async def announce_phase(
    turn: Turn, assessment: Assessment, quarter: Quarter, phase: Phase, until: dt.datetime | None
) -> int:
    """Tell everyone concerned that a phase opened (once per person and phase)."""
    sent = 0
    if phase is Phase.RATING:
        pairs = await pairs_for(turn, assessment)
        per_rater: dict[int, int] = defaultdict(int)
        for rater_id, _ratee in pairs:
            per_rater[rater_id] += 1
        people = {p.id: p for p in await turn.repo.people(active_only=True)}
        for rater_id, count in sorted(per_rater.items()):
            person = people[rater_id]
            sent += await turn.notify(
                f"rating:{quarter}:{rater_id}",
                person.telegram_user_id,
                "chat/leaders/rating_request.j2",
                person_id=rater_id,
                kind="rating_request",
                name=person.name,
                quarter=quarter,
                count=count,
                until=until,
            )
        return sent
    template = "chat/staff/goals_request.j2" if phase is Phase.GOALS else "chat/staff/registration_request.j2"
    for person in await ratees(turn):
        sent += await turn.notify(
            f"{phase.value}:{quarter}:{person.id}",
            person.telegram_user_id,
            template,
            person_id=person.id,
            kind=f"{phase.value}_request",
            name=person.name,
            quarter=quarter,
            until=until,
        )
    return sent


@on(Access.ADMIN)
async def extend_phase(turn: Turn) -> None:
    """/extend goals|registration|rating UNTIL [QUARTER]."""
    given, args = take_quarter(args_of(turn))
    if len(args) != 2 or args[0] not in PHASES or PHASES[args[0]] is Phase.PUBLICITY:
        raise usage("extend", "bad_phase" if not args or args[0] not in PHASES else "missing")
    phase = PHASES[args[0]]
    until = _until(turn, "extend", args[1])
    quarter = await _quarter_for(turn, phase, given)
    assessment = await turn.repo.assessment(quarter, create=True)
    if phase is Phase.RATING and assessment.status is not AssessmentStatus.RATING:
        raise Refusal("chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="extend")
    row = await phase_override(turn, assessment, phase)
    if row is None:
        row = PhaseWindow(assessment_id=assessment.id, phase=phase)
        turn.repo.session.add(row)
    row.closes_at, row.closed_at = until, None
    await turn.repo.audit(
        turn.actor, "phase_extended", assessment_id=assessment.id, phase=phase.value, until=until
    )
    turn.reply("chat/admin/phase_extended.j2", quarter=quarter, phase=phase, until=until)


@on(Access.ADMIN)
async def close_phase(turn: Turn) -> None:
    """/close goals|registration|rating|publicity [QUARTER]: rating and publicity ask for confirmation."""
    given, args = take_quarter(args_of(turn))
    if len(args) != 1 or args[0] not in PHASES:
        raise usage("close", "bad_phase")
    phase = PHASES[args[0]]
    quarter = await _quarter_for(turn, phase, given)
    assessment = await turn.repo.assessment(quarter)
    if assessment is None:
        raise Refusal("chat/admin/no_assessment.j2", quarter=quarter)
    if phase is Phase.RATING:
        if assessment.status is not AssessmentStatus.RATING:
            raise Refusal(
                "chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="close"
            )
        progress = await rating_progress(turn, assessment)
        token = await turn.button("close_rating", {"quarter": str(quarter)})
        turn.reply(
            "chat/admin/close_rating_confirm.j2",
            [[_confirm(turn, token), _cancel(turn, token)]],
            quarter=quarter,
            done=progress[0],
            expected=progress[1],
        )
        return
    if phase is Phase.PUBLICITY:
        await _check_publicity_can_close(turn, assessment, quarter)
        token = await turn.button("close_publicity", {"quarter": str(quarter)})
        turn.reply(
            "chat/admin/close_publicity_confirm.j2",
            [[_confirm(turn, token), _cancel(turn, token)]],
            quarter=quarter,
        )
        return
    row = await phase_override(turn, assessment, phase)
    if row is None:
        row = PhaseWindow(assessment_id=assessment.id, phase=phase)
        turn.repo.session.add(row)
    row.closed_at = turn.now
    await turn.repo.audit(turn.actor, "phase_closed", assessment_id=assessment.id, phase=phase.value)
    turn.reply("chat/admin/phase_closed.j2", quarter=quarter, phase=phase)


def _confirm(turn: Turn, token: str) -> Button:
    return Button(turn.label("button", "confirm"), data(token, "yes"))


def _cancel(turn: Turn, token: str) -> Button:
    return Button(turn.label("button", "cancel"), data(token, "no"))


async def rating_progress(turn: Turn, assessment: Assessment) -> tuple[int, int]:
    pairs = await pairs_for(turn, assessment)
    done = {(b.rater_id, b.ratee_id) for b in await turn.repo.ballots(assessment.id)}
    return len(done & set(pairs)), len(pairs)


async def _assessment_from(turn: Turn, payload: dict) -> tuple[Quarter, Assessment]:
    quarter = Quarter.parse(payload["quarter"])
    assessment = await turn.repo.assessment(quarter)
    if assessment is None:
        raise Refusal("chat/admin/no_assessment.j2", quarter=quarter)
    return quarter, assessment


async def _confirmed(turn: Turn, payload: dict, arg: str, record) -> tuple[Quarter, Assessment] | None:
    """A confirm/cancel press, once only: None (shown as cancelled) unless confirmed, else its quarter."""
    await consume(turn, record)
    if arg != "yes":
        turn.edit("chat/admin/cancelled.j2")
        return None
    return await _assessment_from(turn, payload)


@button("close_rating", Access.ADMIN)
async def close_rating_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    confirmed = await _confirmed(turn, payload, arg, record)
    if confirmed is None:
        return
    quarter, assessment = confirmed
    computed = await close_rating(turn, assessment, quarter)
    turn.edit(
        "chat/admin/rating_closed.j2",
        quarter=quarter,
        proposal=computed.proposal,
        conflicts=len(computed.proposal.conflicts),
    )


async def close_rating(turn: Turn, assessment: Assessment, quarter: Quarter):
    """End rating: ballots locked, scores and proposed tiers computed (by an admin or the scheduler)."""
    await turn.repo.session.refresh(assessment, with_for_update=True)  # waits for taps in flight
    _transition(assessment, Event.CLOSE_RATING, turn, quarter)
    row = await phase_override(turn, assessment, Phase.RATING)
    if row is None:
        row = PhaseWindow(assessment_id=assessment.id, phase=Phase.RATING)
        turn.repo.session.add(row)
    row.closed_at = turn.now
    await turn.repo.audit(turn.actor, "phase_closed", assessment_id=assessment.id, phase=Phase.RATING.value)
    return await compute_and_store(turn.repo, turn.settings, quarter, turn.actor)


# --- results, changes, confirmation ---------------------------------------------------------------


async def proposal_with_decisions(turn: Turn, quarter: Quarter, assessment: Assessment):
    data_ = await quarter_input(turn.repo, turn.settings, quarter)
    proposal = compute_quarter(data_, turn.settings.rules)
    decisions = (
        await turn.repo.session.scalars(
            select(TierDecision).where(TierDecision.assessment_id == assessment.id)
        )
    ).all()
    changes = {d.person_id: Change(d.person_id, d.tier, d.reason) for d in decisions}
    tiers, problems = final_tiers(proposal, changes, turn.settings.rules)
    return proposal, changes, tiers, problems


@on(Access.ADMIN)
async def results(turn: Turn) -> None:
    """/results [QUARTER]: the proposal with every flag, the leadership's changes and what is still open."""
    given, _args = take_quarter(args_of(turn))
    quarter = await assessed_quarter(turn, given)
    assessment = await turn.repo.assessment(quarter)
    if assessment is None or assessment.status in (AssessmentStatus.PREPARING, AssessmentStatus.RATING):
        raise Refusal("chat/admin/no_results.j2", quarter=quarter)
    proposal, changes, tiers, problems = await proposal_with_decisions(turn, quarter, assessment)
    people = {p.id: p for p in await turn.repo.people()}
    sections = {s.id: s.name for s in await turn.repo.sections()}
    await send_paged(
        turn,
        "chat/admin/results.j2",
        quarter=quarter,
        status=assessment.status,
        proposal=proposal,
        changes=changes,
        tiers=tiers,
        problems=problems,
        people=people,
        sections=sections,
    )


async def send_paged(turn: Turn, template: str, **context) -> None:
    """Render, and split into pages with buttons when longer than a Telegram message."""
    pages = paginate(render(template, **context))
    if len(pages) == 1:
        turn.effects.replies.append((pages[0], None))
        return
    expires = turn.now + dt.timedelta(days=1)
    token = await turn.button("page", {"pages": pages, "admin": turn.identity.is_admin}, expires_at=expires)
    turn.effects.replies.append((pages[0], page_keyboard(turn, token, 0, len(pages))))


@on(Access.ADMIN)
async def change(turn: Turn) -> None:
    """/change NAME TIER REASON [QUARTER]: the leadership's change, kept within the quota."""
    given, args = take_quarter(args_of(turn))
    if len(args) < 3:
        raise usage("change", "missing")
    person = await find_person(turn, args[0])
    tier = TIER_WORDS.get(args[1])
    if tier is None:
        raise usage("change", "bad_tier")
    reason = reason_of(args[2:], "change")
    quarter = await assessed_quarter(turn, given)
    assessment = await assessment_in(turn, quarter, AssessmentStatus.COMPUTED, "change")
    proposal, changes, _tiers, _problems = await proposal_with_decisions(turn, quarter, assessment)
    result = proposal.by_person().get(person.id)
    if result is None or result.exempt:
        raise Refusal("chat/admin/change_not_possible.j2", name=person.name, exempt=result is not None)
    changes[person.id] = Change(person.id, tier, reason)
    _tiers, problems = final_tiers(proposal, changes, turn.settings.rules)
    over = [p for p in problems if p.kind is DecisionProblem.OVER_QUOTA and p.category is result.category]
    if over:
        raise Refusal(
            "chat/admin/change_over_quota.j2",
            name=person.name,
            category=result.category,
            count=over[0].count,
            quota=over[0].quota,
        )
    session = turn.repo.session
    row = await session.scalar(
        select(TierDecision).where(
            TierDecision.assessment_id == assessment.id, TierDecision.person_id == person.id
        )
    )
    before = row.tier if row else result.proposed
    if row is None:
        session.add(
            TierDecision(
                assessment_id=assessment.id,
                person_id=person.id,
                tier=tier,
                reason=reason,
                decided_by=turn.user_id,
            )
        )
    else:
        row.tier, row.reason, row.decided_by, row.decided_at = tier, reason, turn.user_id, turn.now
    await turn.repo.audit(
        turn.actor,
        "tier_changed",
        assessment_id=assessment.id,
        person_id=person.id,
        before=before,
        after=tier,
        reason=reason,
    )
    remaining = [p for p in problems if p.kind is DecisionProblem.UNDECIDED]
    turn.reply(
        "chat/admin/changed.j2",
        name=person.name,
        before=before,
        after=tier,
        reason=reason,
        undecided=len(remaining),
    )


@on(Access.ADMIN)
async def confirm(turn: Turn) -> None:
    """/confirm [QUARTER]: record the leadership's decision; asks for a button press first."""
    given, _args = take_quarter(args_of(turn))
    quarter = await assessed_quarter(turn, given)
    assessment = await assessment_in(turn, quarter, AssessmentStatus.COMPUTED, "confirm")
    proposal, changes, tiers, problems = await proposal_with_decisions(turn, quarter, assessment)
    people = {p.id: p for p in await turn.repo.people()}
    if problems:
        raise Refusal("chat/admin/confirm_blocked.j2", problems=problems, people=people)
    counts = {t: sum(1 for x in tiers.values() if x is t) for t in Tier}
    token = await turn.button("confirm_results", {"quarter": str(quarter)})
    turn.reply(
        "chat/admin/confirm_ask.j2",
        [[_confirm(turn, token), _cancel(turn, token)]],
        quarter=quarter,
        counts=counts,
        changes=len(changes),
        quota=proposal.quota,
    )


@button("confirm_results", Access.ADMIN)
async def confirm_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    confirmed = await _confirmed(turn, payload, arg, record)
    if confirmed is None:
        return
    quarter, assessment = confirmed
    if assessment.status is not AssessmentStatus.COMPUTED:
        raise Refusal(
            "chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="confirm"
        )
    await compute_and_store(turn.repo, turn.settings, quarter, turn.actor)
    _proposal, _changes, tiers, problems = await proposal_with_decisions(turn, quarter, assessment)
    if problems:
        people = {p.id: p for p in await turn.repo.people()}
        raise Refusal("chat/admin/confirm_blocked.j2", problems=problems, people=people)
    for row in await turn.repo.results(assessment.id):
        row.final_tier = tiers.get(row.person_id)
    rounds = await turn.repo.session.scalar(
        select(func.count()).select_from(Confirmation).where(Confirmation.assessment_id == assessment.id)
    )
    turn.repo.session.add(
        Confirmation(
            assessment_id=assessment.id,
            round=(rounds or 0) + 1,
            confirmed_by=turn.user_id,
            confirmed_at=turn.now,
        )
    )
    _transition(assessment, Event.CONFIRM, turn, quarter)
    await turn.repo.audit(
        turn.actor,
        "results_confirmed",
        assessment_id=assessment.id,
        round=(rounds or 0) + 1,
        tiers={str(k): (v.value if v else None) for k, v in tiers.items()},
    )
    turn.edit("chat/admin/confirmed.j2", quarter=quarter)


# --- publicity ------------------------------------------------------------------------------------


@on(Access.ADMIN)
async def publish(turn: Turn) -> None:
    """/publish [QUARTER]: post the GOOD tier to the bureau's group; asks for a button press first."""
    given, _args = take_quarter(args_of(turn))
    quarter = await assessed_quarter(turn, given)
    assessment = await assessment_in(turn, quarter, AssessmentStatus.CONFIRMED, "publish")
    if await group_chat_id(turn) is None:
        raise Refusal("chat/admin/no_group.j2")
    notice = await notice_of(turn, assessment)
    period = turn.services.work_calendar().publicity_period(
        turn.now,
        turn.settings.schedule.publicity_workdays,
        turn.settings.schedule.publicity_same_day_before,
        turn.settings.schedule.publicity_end_time,
    )
    token = await turn.button("publish", {"quarter": str(quarter)})
    turn.reply(
        "chat/admin/publish_ask.j2",
        [[_confirm(turn, token), _cancel(turn, token)]],
        quarter=quarter,
        notice=notice,
        period=period,
    )


async def notice_of(turn: Turn, assessment: Assessment):
    people = {p.id: p for p in await turn.repo.people()}
    sections = {s.id: s.name for s in await turn.repo.sections()}
    rows = []
    for r in await turn.repo.results(assessment.id):
        p = people[r.person_id]
        rows.append((p.name, sections.get(p.section_id, ""), r.final_tier, bool(r.exempt_reasons)))
    return build_notice(rows)


@button("publish", Access.ADMIN)
async def publish_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    confirmed = await _confirmed(turn, payload, arg, record)
    if confirmed is None:
        return
    quarter, assessment = confirmed
    chat_id = await group_chat_id(turn)
    if chat_id is None:
        raise Refusal("chat/admin/no_group.j2")
    _transition(assessment, Event.PUBLISH, turn, quarter)
    schedule = turn.settings.schedule
    period = turn.services.work_calendar().publicity_period(
        turn.now, schedule.publicity_workdays, schedule.publicity_same_day_before, schedule.publicity_end_time
    )
    rounds = await turn.repo.session.scalar(
        select(func.count()).select_from(Publicity).where(Publicity.assessment_id == assessment.id)
    )
    number = (rounds or 0) + 1
    turn.repo.session.add(
        Publicity(
            assessment_id=assessment.id,
            round=number,
            chat_id=chat_id,
            starts_on=period.starts_on,
            ends_at=period.ends_at,
        )
    )
    notice = await notice_of(turn, assessment)
    await turn.notify(
        f"publicity:{quarter}:{number}",
        chat_id,
        "chat/group/publicity_notice.j2",
        kind="publicity_notice",
        quarter=quarter,
        notice=notice,
        period=period,
        bureau=turn.settings.bureau_name,
        bot=turn.update.get_bot().username,
        round=number,
    )
    await turn.repo.audit(
        turn.actor,
        "published",
        assessment_id=assessment.id,
        round=number,
        starts_on=period.starts_on,
        ends_at=period.ends_at,
    )
    turn.edit("chat/admin/published.j2", quarter=quarter, period=period)


async def current_publicity(turn: Turn, assessment: Assessment) -> Publicity | None:
    return await turn.repo.session.scalar(
        select(Publicity)
        .where(Publicity.assessment_id == assessment.id, Publicity.closed_at.is_(None))
        .order_by(Publicity.round.desc())
    )


async def _check_publicity_can_close(turn: Turn, assessment: Assessment, quarter: Quarter) -> Publicity:
    if assessment.status is not AssessmentStatus.PUBLICITY:
        raise Refusal("chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="close")
    publicity = await current_publicity(turn, assessment)
    if publicity is None:
        raise Refusal("chat/admin/wrong_status.j2", quarter=quarter, status=assessment.status, event="close")
    if turn.now < publicity.ends_at:
        raise Refusal(
            "chat/admin/publicity_not_over.j2",
            ends_at=publicity.ends_at.astimezone(turn.services.work_calendar().tz),
        )
    open_objections = await turn.repo.session.scalar(
        select(func.count())
        .select_from(Objection)
        .where(Objection.assessment_id == assessment.id, Objection.status == ObjectionStatus.OPEN)
    )
    if open_objections:
        raise Refusal("chat/admin/objections_open.j2", count=open_objections)
    return publicity


@button("close_publicity", Access.ADMIN)
async def close_publicity_pressed(turn: Turn, payload: dict, arg: str, record) -> None:
    confirmed = await _confirmed(turn, payload, arg, record)
    if confirmed is None:
        return
    quarter, assessment = confirmed
    await finish_publicity(turn, assessment, quarter)
    turn.edit("chat/admin/publicity_closed.j2", quarter=quarter)


async def finish_publicity(turn: Turn, assessment: Assessment, quarter: Quarter) -> None:
    """End publicity: closing notice in the group, results final, each ratee told his own result."""
    publicity = await _check_publicity_can_close(turn, assessment, quarter)
    publicity.closed_at = turn.now
    _transition(assessment, Event.CLOSE_PUBLICITY, turn, quarter)
    await turn.notify(
        f"publicity_closed:{quarter}:{publicity.round}",
        publicity.chat_id,
        "chat/group/publicity_closed.j2",
        kind="publicity_closed",
        quarter=quarter,
        bureau=turn.settings.bureau_name,
    )
    people = {p.id: p for p in await turn.repo.people()}
    for row in await turn.repo.results(assessment.id):
        person = people[row.person_id]
        token = await turn.button(
            "feedback", {"quarter": str(quarter)}, owner_id=person.telegram_user_id or 0
        )
        from handlers.turn import Button

        keyboard = [[Button(turn.label("button", "feedback"), data(token))]]
        await turn.notify(
            f"result:{quarter}:{person.id}",
            person.telegram_user_id,
            "chat/staff/own_result.j2",
            keyboard,
            person_id=person.id,
            kind="own_result",
            name=person.name,
            quarter=quarter,
            result=row,
        )
    await turn.repo.audit(turn.actor, "publicity_closed", assessment_id=assessment.id, round=publicity.round)


# --- objections ---------------------------------------------------------------------------------


@on(Access.ADMIN)
async def objections(turn: Turn) -> None:
    """/objections [QUARTER]: every objection with its author (admins only)."""
    given, _args = take_quarter(args_of(turn))
    quarter = await assessed_quarter(turn, given)
    assessment = await turn.repo.assessment(quarter)
    rows = []
    if assessment is not None:
        rows = (
            await turn.repo.session.scalars(
                select(Objection).where(Objection.assessment_id == assessment.id).order_by(Objection.id)
            )
        ).all()
    people = {p.id: p for p in await turn.repo.people()}
    await send_paged(turn, "chat/admin/objections.j2", quarter=quarter, objections=rows, people=people)


@on(Access.ADMIN)
async def resolve(turn: Turn) -> None:
    """/resolve NUMBER dismiss|uphold REASON."""
    args = args_of(turn)
    if len(args) < 3 or args[1] not in ("dismiss", "uphold"):
        raise usage("resolve", "missing" if len(args) < 3 else "bad_action")
    if not (args[0].isascii() and args[0].isdecimal()) or len(args[0]) > 9:
        raise usage("resolve", "bad_number")
    reason = reason_of(args[2:], "resolve")
    objection = await turn.repo.session.get(Objection, int(args[0]))
    if objection is None:
        raise Refusal("chat/admin/objection_unknown.j2", number=args[0])
    if objection.status is not ObjectionStatus.OPEN:
        raise Refusal("chat/admin/objection_resolved.j2", number=objection.id, status=objection.status)
    assessment = await turn.repo.session.get(Assessment, objection.assessment_id)
    quarter = Quarter(assessment.year, assessment.quarter)
    upheld = args[1] == "uphold"
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.resolution, objection.resolved_by, objection.resolved_at = reason, turn.user_id, turn.now
    if upheld:
        publicity = await current_publicity(turn, assessment)
        if publicity is not None:
            publicity.closed_at = turn.now
        if assessment.status is AssessmentStatus.PUBLICITY:  # a second upheld objection finds it back already
            _transition(assessment, Event.UPHOLD_OBJECTION, turn, quarter)
    await turn.repo.audit(
        turn.actor,
        f"objection_{objection.status.value}",
        assessment_id=assessment.id,
        objection_id=objection.id,
        reason=reason,
    )
    await turn.notify(
        f"objection_resolved:{objection.id}",
        objection.author_telegram_id,
        "chat/staff/objection_resolved.j2",
        person_id=objection.author_person_id,
        kind="objection_resolved",
        quarter=quarter,
        upheld=upheld,
        reason=reason,
        number=objection.id,
    )
    turn.reply("chat/admin/objection_done.j2", number=objection.id, upheld=upheld, quarter=quarter)


# --- the group ------------------------------------------------------------------------------------


@on(Access.ADMIN)
async def bind_group(turn: Turn) -> None:
    """/bindgroup, sent in the bureau's group by an admin: publicity goes there."""
    chat = turn.update.effective_chat
    if chat is None or chat.type not in ("group", "supergroup"):
        raise Refusal("chat/admin/bindgroup_in_group.j2")
    session = turn.repo.session
    row = await session.get(BotSetting, GROUP_KEY)
    if row is None:
        session.add(BotSetting(key=GROUP_KEY, value=str(chat.id), updated_by=turn.user_id))
    else:
        row.value, row.updated_by, row.updated_at = str(chat.id), turn.user_id, turn.now
    await turn.repo.audit(turn.actor, "group_bound", chat_id=chat.id, title=chat.title)
    turn.reply("chat/group/bound.j2", title=chat.title or "")


# --- status ---------------------------------------------------------------------------------------


@on(Access.ADMIN)
async def status(turn: Turn) -> None:
    """/status [QUARTER]: progress of what is open, by section, as text bars."""
    given, _args = take_quarter(args_of(turn))
    quarter = await assessed_quarter(turn, given)
    report = await progress_report(turn, quarter)
    await send_paged(turn, "chat/admin/status.j2", report=report)
    year, month = report.month
    token = await turn.button(
        "status_chart", {"year": year, "month": month}, expires_at=turn.now + dt.timedelta(days=1)
    )
    chart = [Button(turn.label("button", "progress_chart"), data(token))]
    text, keyboard = turn.effects.replies[-1]
    turn.effects.replies[-1] = (text, [*(keyboard or []), chart])
