"""The supervision section's commands about people: invites, admins, overrides, exemptions, leave, raters."""

from __future__ import annotations

from bot.records.adjustment_file import NOTE_MAX
from bot.rules.domain import OverrideKind, RaterAction
from bot.rules.periods import parse_month
from bot.rules.roles import Access
from bot.rules.text import typed, typed_number
from bot.rules.vocabulary import (
    ADMIN_WORDS,
    DEFAULT_WORDS,
    EVERYONE_WORDS,
    LEAVE_WORDS,
    MONTH_ONLY,
    RATER_WORDS,
    WITHDRAW_WORDS,
    ground_number,
    keyword,
)
from bot.workflow import adjustments
from bot.workflow.invites import create_invites
from bot.workflow.phases import assessed_quarter
from bot.workflow.span import set_first_month, span
from handlers.lookup import (
    args_of,
    check_year,
    find_person,
    parse_day,
    reason_of,
    spread_range,
    take_quarter,
    telling_apart,
    usage,
)
from handlers.paging import send_paged
from handlers.turn import Refusal, Turn, on

GROUNDS = range(1, 5)


@on(Access.ADMIN)
async def invite(turn: Turn) -> None:
    """/invite NAME... | all: one-time deep links for staff not yet bound (or to re-bind a named person)."""
    args = args_of(turn)
    if not args:
        raise usage("invite", "missing")
    if len(args) == 1 and keyword(EVERYONE_WORDS, args[0]):
        people = [p for p in await turn.repo.people(active_only=True) if p.telegram_user_id is None]
    else:
        people = [await find_person(turn, name) for name in args]
    links, expires = await create_invites(turn, people)
    turn.reply(
        "chat/admin/invites.j2",
        links=links,
        bot=turn.update.get_bot().username,
        expires=expires.astimezone(turn.calendar.tz),
        **await telling_apart(turn),
    )


@on(Access.ADMIN)
async def admins(turn: Turn) -> None:
    """/admins [grant|revoke NAME|USER_ID]: list, grant or revoke admins (bootstrap ones are in settings)."""
    args = args_of(turn)
    action = keyword(ADMIN_WORDS, args[0]) if args else "list"
    if action == "list" and len(args) <= 1:
        turn.reply("chat/admin/admins.j2", admins=await adjustments.admin_list(turn))
        return
    if action not in ("grant", "revoke"):
        raise usage("admins", "bad_action")
    if len(args) != 2:
        raise usage("admins", "missing")
    target = await _account(turn, args[1])
    if action == "grant":
        changed = await adjustments.grant_admin(turn, target)
    else:
        changed = await adjustments.revoke_admin(turn, target)
    turn.reply("chat/admin/admin_changed.j2", admin=changed, granted=action == "grant")


async def _account(turn: Turn, text: str) -> int:
    """The Telegram account a name (NAME, NAME(1988-03)) or a user id (123456, @123456) stands for."""
    number = typed(text).strip().removeprefix("@")
    if number[:1].isascii() and number[:1].isdigit():
        target = typed_number(number, max_digits=16)
        if target is None or not 0 < target < 2**52:
            raise usage("admins", "bad_user_id")
        return target
    person = await find_person(turn, text)
    if person.telegram_user_id is None:
        raise Refusal("chat/admin/admin_not_bound.j2", name=person.name)
    return person.telegram_user_id


async def _override(turn: Turn, kind: OverrideKind, command: str) -> None:
    given, args = take_quarter(turn)
    if args and keyword(WITHDRAW_WORDS, args[0]):
        await _withdraw_override(turn, kind, command, given, args[1:])
        return
    if len(args) < 3:
        turn.reply("chat/admin/grounds.j2", kind=kind, command=command, grounds=GROUNDS)
        return
    person = await find_person(turn, args[0])
    ground = ground_number(args[1])
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


async def _withdraw_override(turn: Turn, kind: OverrideKind, command: str, given, args: list[str]) -> None:
    """/veto withdraw NAME REASON [QUARTER]: the veto (or affirmation) taken back, the reason kept."""
    if len(args) < 2:
        raise usage(command, "missing")
    person = await find_person(turn, args[0])
    reason = reason_of(args[1:], command)
    quarter = await assessed_quarter(turn, given)
    row, recomputed = await adjustments.withdraw_override(turn, quarter, person, kind, reason)
    turn.reply(
        "chat/admin/override_withdrawn.j2",
        kind=kind,
        name=person.name,
        quarter=quarter,
        number=int(row.ground.rsplit(":", 1)[1]),
        recorded_reason=row.reason,
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
    """/exempt NAME REASON: comment only, no tier, this quarter; /exempt withdraw NAME REASON: undone."""
    given, args = take_quarter(turn)
    withdraw = bool(args) and keyword(WITHDRAW_WORDS, args[0]) is not None
    if withdraw:
        args = args[1:]
    if len(args) < 2:
        raise usage("exempt", "missing")
    person = await find_person(turn, args[0])
    reason = reason_of(args[1:], "exempt")
    quarter = await assessed_quarter(turn, given)
    step = adjustments.withdraw_exemption if withdraw else adjustments.record_exemption
    recomputed = await step(turn, quarter, person, reason)
    turn.reply(
        "chat/admin/exempt_withdrawn.j2" if withdraw else "chat/admin/exempt_recorded.j2",
        name=person.name,
        quarter=quarter,
        reason=reason,
        recomputed=recomputed,
    )


@on(Access.ADMIN)
async def leave(turn: Turn) -> None:
    """/leave NAME sick|personal START END [NOTE]; /leave [NAME] lists; /leave withdraw NAME [DAY] REASON."""
    args = args_of(turn)
    if args and keyword(WITHDRAW_WORDS, args[0]):
        await _withdraw_leave(turn, args[1:])
        return
    if len(args) <= 1:
        person = await find_person(turn, args[0], active_only=False) if args else None
        leave = await adjustments.leave_list(turn, person)
        await send_paged(turn, "chat/admin/leave_list.j2", leave=leave, name=person.name if person else None)
        return
    args = args[:2] + spread_range(turn, args[2:])
    if len(args) < 4:
        raise usage("leave", "missing")
    person = await find_person(turn, args[0])
    kind = keyword(LEAVE_WORDS, args[1])
    if kind is None:
        raise usage("leave", "bad_leave_kind")
    start, end = parse_day(turn, args[2]), parse_day(turn, args[3])
    if start is None or end is None:
        raise usage("leave", "bad_date")
    if end < start:
        raise usage("leave", "bad_order")
    note = " ".join(args[4:]) or None
    if note is not None and len(note) > NOTE_MAX:  # refused as the adjustments file refuses it: none cut
        raise Refusal("chat/admin/leave_note_too_long.j2", length=len(note), limit=NOTE_MAX)
    recomputed = await adjustments.record_leave(turn, person, kind, start, end, note)
    turn.reply(
        "chat/admin/leave_recorded.j2",
        name=person.name,
        kind=kind,
        start=start,
        end=end,
        workdays=len(turn.calendar.workdays(start, end)),
        recomputed=recomputed,
        kept=await adjustments.confirmed_touched(turn, [(start, end)]),
    )


async def _withdraw_leave(turn: Turn, args: list[str]) -> None:
    """/leave withdraw NAME [DAY] REASON: the leave record (the one containing DAY) taken back."""
    if len(args) < 2:
        raise usage("leave", "missing")
    person = await find_person(turn, args[0], active_only=False)
    day = parse_day(turn, args[1])  # a day alone, with no reason after it, is refused for the reason
    reason = reason_of(args[2:] if day else args[1:], "leave")
    withdrawn, recomputed = await adjustments.withdraw_leave(turn, person, day, reason)
    turn.reply("chat/admin/leave_withdrawn.j2", leave=withdrawn, reason=reason, recomputed=recomputed)


@on(Access.ADMIN)
async def raters(turn: Turn) -> None:
    """/raters add|remove RATER RATEE [QUARTER]."""
    given, args = take_quarter(turn)
    action = keyword(RATER_WORDS, args[0]) if args else None
    if action is None:
        raise usage("raters", "bad_action")
    if len(args) != 3:  # a rater and a ratee, no more
        raise usage("raters", "missing")
    rater, ratee = await find_person(turn, args[1]), await find_person(turn, args[2])
    quarter = await assessed_quarter(turn, given)
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
            # a month without its year: the year is the admin's to say (this year's may be past or to come)
            bare = MONTH_ONLY.match(typed(args[0]).strip())
            without_year = bare is not None and 1 <= int(bare.group(1)) <= 12
            raise usage("firstmonth", "month_without_year" if without_year else "bad_month")
        check_year(turn, chosen[0], args[0])
    shown = await set_first_month(turn, chosen)
    turn.reply("chat/admin/first_month.j2", span=shown, changed=True, by_default=chosen is None)
