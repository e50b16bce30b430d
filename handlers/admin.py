"""The supervision section's commands about people: invites, admins, overrides, exemptions, leave, raters."""

from __future__ import annotations

from bot.rules.domain import OverrideKind, RaterAction
from bot.rules.periods import parse_month
from bot.rules.roles import Access
from bot.rules.text import typed_number
from bot.rules.vocabulary import DEFAULT_WORDS, LEAVE_WORDS
from bot.workflow import adjustments
from bot.workflow.invites import create_invites
from bot.workflow.phases import assessed_quarter
from bot.workflow.span import set_first_month, span
from handlers.lookup import args_of, check_year, find_person, parse_day, reason_of, take_quarter, usage
from handlers.turn import Turn, on

GROUNDS = range(1, 5)


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
    links, expires = await create_invites(turn, people)
    turn.reply(
        "chat/admin/invites.j2",
        links=links,
        bot=turn.update.get_bot().username,
        expires=expires.astimezone(turn.calendar.tz),
    )


@on(Access.ADMIN)
async def admins(turn: Turn) -> None:
    """/admins [grant|revoke USER_ID]: list, grant or revoke admins (bootstrap ones are in settings)."""
    args = args_of(turn)
    if not args or args[0] == "list":
        rows = await turn.repo.active_admins()
        turn.reply("chat/admin/admins.j2", admins=rows, bootstrap=turn.settings.admins.ids)
        return
    if len(args) != 2 or args[0] not in ("grant", "revoke"):
        raise usage("admins", "bad_action")
    target = typed_number(args[1], max_digits=16)
    if target is None or not 0 < target < 2**52:
        raise usage("admins", "bad_user_id")
    if args[0] == "grant":
        await adjustments.grant_admin(turn, target)
    else:
        await adjustments.revoke_admin(turn, target)
    turn.reply("chat/admin/admin_changed.j2", user_id=target, granted=args[0] == "grant")


async def _override(turn: Turn, kind: OverrideKind, command: str) -> None:
    given, args = take_quarter(turn)
    if len(args) < 3:
        turn.reply("chat/admin/grounds.j2", kind=kind, command=command, grounds=GROUNDS)
        return
    person = await find_person(turn, args[0])
    ground = typed_number(args[1], max_digits=3)
    if ground not in GROUNDS:
        raise usage(command, "bad_ground")
    adjustments.require_ratee(person)
    reason = reason_of(args[2:], command)
    quarter = await assessed_quarter(turn, given)
    recomputed = await adjustments.record_override(turn, quarter, person, kind, ground, reason)
    turn.reply(
        "chat/admin/override_recorded.j2",
        kind=kind,
        name=person.name,
        quarter=quarter,
        number=ground,
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
    given, args = take_quarter(turn)
    if len(args) < 2:
        raise usage("exempt", "missing")
    person = await find_person(turn, args[0])
    adjustments.require_ratee(person)
    reason = reason_of(args[1:], "exempt")
    quarter = await assessed_quarter(turn, given)
    recomputed = await adjustments.record_exemption(turn, quarter, person, reason)
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
    start, end = parse_day(turn, args[2]), parse_day(turn, args[3])
    if start is None or end is None:
        raise usage("leave", "bad_date")
    if end < start:
        raise usage("leave", "bad_order")
    note = " ".join(args[4:])[:200] or None
    recomputed = await adjustments.record_leave(turn, person, kind, start, end, note)
    turn.reply(
        "chat/admin/leave_recorded.j2",
        name=person.name,
        kind=kind,
        start=start,
        end=end,
        workdays=len(turn.calendar.workdays(start, end)),
        recomputed=recomputed,
    )


@on(Access.ADMIN)
async def raters(turn: Turn) -> None:
    """/raters add|remove RATER RATEE [QUARTER]."""
    given, args = take_quarter(turn)
    if not args or args[0] not in ("add", "remove"):
        raise usage("raters", "bad_action")
    if len(args) != 3:  # a rater and a ratee, no more
        raise usage("raters", "missing")
    rater, ratee = await find_person(turn, args[1]), await find_person(turn, args[2])
    quarter = await assessed_quarter(turn, given)
    action = RaterAction.ADD if args[0] == "add" else RaterAction.REMOVE
    outcome = await adjustments.change_raters(turn, quarter, rater, ratee, action)
    if outcome is adjustments.RatersChanged.KEPT_COUNTED:
        turn.reply("chat/admin/raters_ballot_counted.j2", rater=rater.name, ratee=ratee.name)
        return
    turn.reply(
        "chat/admin/raters_changed.j2",
        added=action is RaterAction.ADD,
        withdrawn=outcome is adjustments.RatersChanged.WITHDRAWN,
        rater=rater.name,
        ratee=ratee.name,
        quarter=quarter,
    )


@on(Access.ADMIN)
async def first_month(turn: Turn) -> None:
    """/firstmonth [MONTH | default]: from which month the bot takes part (show, set, back to default)."""
    args = args_of(turn)
    if not args:
        turn.reply("chat/admin/first_month.j2", span=await span(turn), changed=False, by_default=False)
        return
    if len(args) != 1:
        raise usage("firstmonth", "bad_month")
    if args[0] in DEFAULT_WORDS:
        chosen = None
    else:
        chosen = parse_month(args[0])
        if chosen is None:
            raise usage("firstmonth", "bad_month")
        check_year(turn, chosen[0], args[0])
    shown = await set_first_month(turn, chosen)
    turn.reply("chat/admin/first_month.j2", span=shown, changed=True, by_default=chosen is None)
