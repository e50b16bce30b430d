"""Exactly once under concurrency: two users do the same thing at the same moment, through the real bot.

On SQLite the bot's transactions take turns (Database.session), so these pass there by construction;
on PostgreSQL (read committed) the two turns really overlap, and only the locks keep them apart.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import bot.workflow.quarter as quarter_steps
import handlers.staff as staff_handlers
from bot.cli.rehearsal import INVITE
from bot.records.ballot_file import parse_ballots
from bot.records.spreadsheets import read_table
from bot.rules.domain import AssessmentStatus, OverrideKind, Quarter, ReviewStatus, Tier
from bot.workflow import adjustments, decisions, phases
from bot.workflow.publicity import GROUP_KEY
from bot.workflow.quarter import compute_and_store, import_ballots
from bot.workflow.unit import Work
from storage.models import (
    Admin,
    Assessment,
    AuditEntry,
    BallotRecord,
    BotSetting,
    ChatState,
    Confirmation,
    Goal,
    GoalItem,
    Objection,
    Override,
    Person,
    Publicity,
    ResultRecord,
    TierDecision,
)
from storage.repository import Repository
from tests.chat import ADMIN, GROUP, Command, Press, Text, at, at_once, import_roster, running_bot
from tests.conftest import EXAMPLES

Q3 = Quarter(2026, 3)
ADMIN2 = 900_000_002
DECIDED = "领导班子研究决定"


@pytest.fixture
async def bureau(database_url, database):
    """The worked quarter computed (the tie at the quota line still open), two admins, the group bound."""
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 21)) as bureau:
        settings = bureau.services.settings
        async with database.session() as session:
            repo = Repository(session)
            outcome = await import_ballots(
                repo, settings, Q3, read_table(EXAMPLES / "ballots-2026Q3.csv"), "test"
            )
            assert not outcome.errors
            await compute_and_store(repo, settings, Q3, "test")
            (await repo.assessment(Q3)).status = AssessmentStatus.COMPUTED
            session.add(Admin(telegram_user_id=ADMIN2, granted_by=ADMIN))
            session.add(BotSetting(key=GROUP_KEY, value=str(GROUP)))
        bureau.driver.add_user(ADMIN2, "Admin2")
        bureau.driver.add_group(GROUP, "本局工作群", [ADMIN, ADMIN2])
        yield bureau


async def _count(database, model, *where) -> int:
    async with database.session() as session:
        query = select(func.count()).select_from(model)
        return int(await session.scalar(query.where(*where) if where else query))


async def _actions(database, action: str) -> int:
    return await _count(database, AuditEntry, AuditEntry.action == action)


async def _decide_the_tie(bureau) -> None:
    assert "已记录" in (await bureau.command(ADMIN, "change", f"魏红梅 好 {DECIDED}")).text
    assert "已记录" in (await bureau.command(ADMIN, "change", f"陶思琪 较好 {DECIDED}")).text


async def test_two_changes_at_once_cannot_pass_the_quota(bureau, database):
    """魏红梅 and 陶思琪 tie for the last 好 place: two admins give each 好 at the same moment. Three rounds
    (the winner set back to 较好 between them), so that the turns overlap in at least one."""
    changes = 0
    for _round in range(3):
        replies = await at_once(
            bureau,
            Command(ADMIN, "change", f"魏红梅 好 {DECIDED}"),
            Command(ADMIN2, "change", f"陶思琪 好 {DECIDED}"),
        )
        accepted = [r.text for r in replies if "已记录" in r.text]
        refused = [r.text for r in replies if "已记录" not in r.text]
        assert len(accepted) == 1 and "超过名额5人" in refused[0], [r.text for r in replies]
        changes += 1
        assert await _actions(database, "tier_changed") == changes
        winner = "魏红梅" if "魏红梅" in accepted[0] else "陶思琪"
        assert "已记录" in (await bureau.command(ADMIN, "change", f"{winner} 较好 {DECIDED}")).text
        changes += 1


async def test_two_admins_confirming_at_once_confirm_once(bureau, database):
    await _decide_the_tie(bureau)
    asks = [await bureau.command(admin, "confirm", "2026Q3") for admin in (ADMIN, ADMIN2)]
    outcomes = await at_once(bureau, *(Press(a.chat_id, a, "确认") for a in asks))
    messages = sorted((m.text or "" for _answer, m in outcomes), key=lambda t: "已审定" not in t)
    assert "考核结果已审定" in messages[0] and "已审定" not in messages[1], messages
    refused = [str(answer.text) for answer, m in outcomes if "已审定" not in (m.text or "")]
    assert "当前状态为“已审定待公示”，不能审定" in refused[0], refused
    assert await _count(database, Confirmation) == 1
    assert await _actions(database, "results_confirmed") == 1


async def test_two_admins_publishing_at_once_publish_once(bureau, database):
    await _decide_the_tie(bureau)
    ask = await bureau.command(ADMIN, "confirm", "2026Q3")
    await bureau.press(ADMIN, ask, "确认")
    asks = [await bureau.command(admin, "publish", "2026Q3") for admin in (ADMIN, ADMIN2)]
    outcomes = await at_once(bureau, *(Press(a.chat_id, a, "确认") for a in asks))
    await bureau.settle()
    published = [m for _answer, m in outcomes if "公示已发布" in (m.text or "")]
    refused = [str(answer.text) for answer, m in outcomes if "公示已发布" not in (m.text or "")]
    assert len(published) == 1 and len(refused) == 1, [m.text for _a, m in outcomes]
    assert "当前状态为“公示中”，不能公示" in refused[0], refused
    notices = [m.text for m in bureau.driver.bot_messages(GROUP) if "【公示】" in (m.text or "")]
    assert len(notices) == 1 and "更正后重新公示" not in notices[0], notices
    assert await _count(database, Publicity) == 1
    assert await _actions(database, "published") == 1
    async with database.session() as session:
        assert (await session.scalars(select(Assessment.status))).one() is AssessmentStatus.PUBLICITY


async def test_one_invite_opened_by_two_accounts_at_once_binds_one(bureau, database):
    reply = await bureau.command(ADMIN, "invite", "周明远")
    (token,) = dict(INVITE.findall(reply.text)).values()
    first, second = 500_000_101, 500_000_102
    for user_id in (first, second):
        bureau.driver.add_user(user_id, f"U{user_id}")
    replies = await at_once(bureau, Command(first, "start", token), Command(second, "start", token))
    bound = [user for user, r in zip((first, second), replies, strict=True) if "绑定成功" in r.text]
    assert len(bound) == 1, [r.text for r in replies]
    other = [r.text for r in replies if "绑定成功" not in r.text]
    assert "该邀请链接已被使用" in other[0], other
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.name == "周明远"))
        assert person.telegram_user_id == bound[0]
    assert await _actions(database, "account_bound") == 1


async def _in_publicity(database, *, ended: bool, objection: bool = False) -> int | None:
    """The computed quarter moved on to publicity (its period over when `ended`); an objection filed."""
    async with database.session() as session:
        assessment = (await session.scalars(select(Assessment))).one()
        assessment.status = AssessmentStatus.PUBLICITY
        ends = at(2026, 10, 20, 18) if ended else at(2026, 10, 23, 18)
        session.add(
            Publicity(assessment_id=assessment.id, chat_id=GROUP, starts_on=ends.date(), ends_at=ends)
        )
        if not objection:
            return None
        person = await session.scalar(select(Person).where(Person.name == "陶思琪"))
        row = Objection(assessment_id=assessment.id, author_person_id=person.id, text="请复核")
        session.add(row)
        await session.flush()
        return row.id


async def test_two_admins_resolving_one_objection_at_once_resolve_it_once(bureau, database):
    number = await _in_publicity(database, ended=False, objection=True)
    replies = await at_once(
        bureau,
        Command(ADMIN, "resolve", f"{number} dismiss 得分复核无误"),
        Command(ADMIN2, "resolve", f"{number} uphold 得分有误"),
    )
    done = [r.text for r in replies if f"异议{number}经核实" in r.text]
    again = [r.text for r in replies if "不能再次处理" in r.text]
    assert len(done) == 1 and len(again) == 1, [r.text for r in replies]
    resolved = await _actions(database, "objection_dismissed") + await _actions(database, "objection_upheld")
    assert resolved == 1


async def test_two_admins_ending_publicity_at_once_end_it_once(bureau, database):
    await _in_publicity(database, ended=True)
    asks = [await bureau.command(admin, "close", "publicity 2026Q3") for admin in (ADMIN, ADMIN2)]
    outcomes = await at_once(bureau, *(Press(a.chat_id, a, "确认") for a in asks))
    ended = [m.text for _answer, m in outcomes if "公示已结束" in (m.text or "")]
    refused = [str(answer.text) for answer, m in outcomes if "公示已结束" not in (m.text or "")]
    assert len(ended) == 1 and "当前状态为“已完成”，不能结束" in refused[0], (ended, refused)
    assert await _actions(database, "publicity_closed") == 1


async def test_an_admin_revoked_twice_at_once_is_revoked_once(bureau, database):
    """Three rounds of grant, then two revokes at the same moment (a short turn: more chances to overlap)."""
    target = 900_000_777
    for revokes in range(1, 4):
        assert "已授予" in (await bureau.command(ADMIN, "admins", f"grant {target}")).text
        replies = await at_once(
            bureau,
            Command(ADMIN, "admins", f"revoke {target}"),
            Command(ADMIN2, "admins", f"revoke {target}"),
        )
        texts = sorted((r.text for r in replies), key=lambda t: "已撤销" not in t)
        assert "已撤销" in texts[0] and "不是管理员，未作更改" in texts[1], texts
        assert await _actions(database, "admin_revoke") == revokes


async def test_an_admin_granted_twice_at_once_is_granted_once_and_both_are_answered(bureau, database):
    target = 900_000_778
    replies = await at_once(
        bureau, Command(ADMIN, "admins", f"grant {target}"), Command(ADMIN2, "admins", f"grant {target}")
    )
    texts = sorted((r.text for r in replies), key=lambda t: "已授予" not in t)
    assert "已授予" in texts[0] and ("已经是管理员" in texts[1] or "已处理过" in texts[1]), texts
    assert await _actions(database, "admin_grant") == 1
    assert await _count(database, Admin, Admin.telegram_user_id == target) == 1


@pytest.fixture
async def preparing(database_url, database):
    """The roster, nothing of the quarter yet, two admins, one ratee bound."""
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 12)) as bureau:
        async with database.session() as session:
            session.add(Admin(telegram_user_id=ADMIN2, granted_by=ADMIN))
        bureau.driver.add_user(ADMIN2, "Admin2")
        reply = await bureau.command(ADMIN, "invite", "周明远")
        (token,) = dict(INVITE.findall(reply.text)).values()
        bureau.driver.add_user(RATEE, "周明远")
        assert "绑定成功" in (await bureau.command(RATEE, "start", token)).text
        yield bureau


RATEE = 500_000_201


async def test_two_admins_opening_rating_at_once_open_it_once(preparing, database):
    replies = await at_once(
        preparing, Command(ADMIN, "open", "rating 2026Q3"), Command(ADMIN2, "open", "rating 2026Q3")
    )
    texts = sorted((r.text for r in replies), key=lambda t: "已开启" not in t)
    assert "测评打分已开启" in texts[0] and "当前状态为“测评中”，不能开启测评" in texts[1], texts
    assert await _actions(database, "phase_opened") == 1
    assert await _count(database, Assessment) == 1


async def test_goals_sent_again_by_a_double_tap_are_sent_once(preparing, database):
    """A returned goal set sent again with a double tap: the second tap finds it sent (the new items once,
    never an internal error from two turns replacing the same old items)."""
    assert "已开启" in (await preparing.command(ADMIN, "open", "goals 2026Q4")).text
    await preparing.settle()  # the ratee is asked for his goals first
    for lines, taps in (("业务办理 60\n服务质量 40", 1), ("业务办理 50\n服务质量 30\n群众满意度 20", 2)):
        ask = await preparing.command(RATEE, "goals")
        _a, custom = await preparing.press(RATEE, ask, "自定义指标")
        if taps == 2:  # a returned goal set keeps its items for editing: start again
            await preparing.press(RATEE, custom, "清空重写")
        draft = await preparing.text(RATEE, lines)
        outcomes = await at_once(preparing, *(Press(RATEE, draft, "提交") for _ in range(taps)))
        answers = sorted(str(answer.text) for answer, _m in outcomes)
        assert answers[0] == "None", answers
        # the second is told it was done, or (its draft gone with the first's submission) that the button is
        assert all(re.search("已处理过|按钮无效或已失效", a) for a in answers[1:]), answers
        assert "已提交" in preparing.driver.message(RATEE, draft.message_id).text
        async with database.session() as session:
            goal = (await session.scalars(select(Goal))).one()
            goal.status = ReviewStatus.RETURNED  # the supervisor returned it
    assert await _actions(database, "goals_submitted") == 2
    async with database.session() as session:
        assert goal.submissions == 2
        names = (await session.scalars(select(GoalItem.name).order_by(GoalItem.position))).all()
        assert names == ["业务办理", "服务质量", "群众满意度"]


async def test_two_calendar_corrections_at_once_are_both_in_force(preparing):
    """Each correction reloads the calendar every turn uses: the last reload must hold both days. Three
    rounds (a Saturday made a working day, a Monday a holiday), so that the turns overlap in one."""
    saturday, monday = dt.date(2026, 10, 24), dt.date(2026, 10, 26)
    for week in range(3):
        workday, holiday = saturday + dt.timedelta(weeks=week), monday + dt.timedelta(weeks=week)
        replies = await at_once(
            preparing,
            Command(ADMIN, "calendar", f"workday {workday} 调休"),
            Command(ADMIN2, "calendar", f"holiday {holiday} 停电"),
        )
        assert all(str(workday.year) in r.text for r in replies), [r.text for r in replies]
        calendar = preparing.services.work_calendar()
        assert calendar.is_workday(workday) and not calendar.is_workday(holiday), week


async def test_two_goal_lines_sent_at_once_are_both_kept(preparing, database):
    """The custom goals being typed live in the input mode: two lines sent as two quick messages must both
    land in it (each turn reads the draft and writes it back with its line)."""
    assert "已开启" in (await preparing.command(ADMIN, "open", "goals 2026Q4")).text
    await preparing.settle()
    ask = await preparing.command(RATEE, "goals")
    await preparing.press(RATEE, ask, "自定义指标")
    names = [("业务办理", 40), ("服务质量", 30), ("群众满意度", 20), ("学习创新", 10)]
    for pair in (names[:2], names[2:]):  # two rounds, so that the turns overlap in one
        await at_once(preparing, *(Text(RATEE, f"{name} {points}") for name, points in pair))
    async with database.session() as session:
        state = await session.get(ChatState, RATEE)
        assert sorted(tuple(i) for i in json.loads(state.payload)["items"]) == sorted(names)


async def _result(database, name: str) -> ResultRecord:
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.name == name))
        return await session.scalar(select(ResultRecord).where(ResultRecord.person_id == person.id))


async def test_two_leaves_recorded_at_once_are_both_in_the_recomputed_results(bureau, database):
    """Each /leave recomputes the computed quarter: the second computation must see the first leave. Three
    rounds of two people, so that the turns overlap in one."""
    sick = "sick 2026-07-01 2026-09-30"
    for first, second in (("周明远", "吴晓燕"), ("郑海涛", "冯雪梅"), ("陈立新", "褚文静")):
        replies = await at_once(
            bureau, Command(ADMIN, "leave", f"{first} {sick}"), Command(ADMIN2, "leave", f"{second} {sick}")
        )
        assert all(first in r.text or second in r.text for r in replies), [r.text for r in replies]
        for name in (first, second):
            assert "leave" in (await _result(database, name)).exempt_reasons, name
        async with database.session() as session:  # the stored results are those of both leaves
            again = await compute_and_store(Repository(session), bureau.services.settings, Q3, "test")
            assert again.changed == 0, (first, second, again.changed)


async def test_two_admins_vetoing_one_person_at_once_are_both_answered(bureau, database):
    """The same veto twice at once: one record, and the second admin is answered (it replaces the first,
    as it would a moment later), never left without a word."""
    replies = await at_once(
        bureau,
        Command(ADMIN, "veto", "周明远 1 违反工作纪律"),
        Command(ADMIN2, "veto", "周明远 2 违反工作纪律"),
    )
    assert all("周明远" in r.text for r in replies), [r.text for r in replies]
    assert await _count(database, Override) == 1
    assert await _actions(database, "override_veto") == 2
    assert (await _result(database, "周明远")).override is OverrideKind.VETO


# --- a step held open while another runs -------------------------------------------------------------
# Each race below needs one turn to be between its read and its commit while the other does its whole
# step. `_meanwhile` runs the other step from inside the first (a hook on one workflow function) and
# gives it HOLD seconds: unlocked, the other step commits in that time; locked, it waits for the first.

HOLD = 1.5


async def _meanwhile(step) -> asyncio.Task:
    """Start `step` (a coroutine) and give it HOLD seconds to finish; returns its task."""
    task = asyncio.ensure_future(step)
    await asyncio.wait({task}, timeout=HOLD)
    return task


@pytest.fixture
async def rating(database_url, database):
    """The roster, the quarter open for rating (no ballot yet), two admins."""
    await import_roster(database, EXAMPLES / "roster.csv")
    async with running_bot(database_url, at(2026, 10, 21)) as bureau:
        async with database.session() as session:
            (await Repository(session).assessment(Q3, create=True)).status = AssessmentStatus.RATING
            session.add(Admin(telegram_user_id=ADMIN2, granted_by=ADMIN))
        bureau.driver.add_user(ADMIN2, "Admin2")
        yield bureau


async def test_a_paper_import_overlapping_the_close_of_rating_is_counted_by_it(rating, database, monkeypatch):
    """The command line imports the paper ballots while an admin closes rating: the close waits for the
    import and counts its ballots (or the import, coming second, is refused), never ballots stored in a
    computed quarter after its computation, which /confirm would then admit unseen."""
    ask = await rating.command(ADMIN, "close", "rating 2026Q3")
    closing: list[asyncio.Task] = []
    checked = quarter_steps.ballot_context

    async def checked_then_closed(*args, **kwargs):
        found = await checked(*args, **kwargs)  # the file is checked against 测评中 ...
        closing.append(await _meanwhile(rating.press(ADMIN, ask, "确认")))  # ... and rating closes
        return found

    monkeypatch.setattr(quarter_steps, "ballot_context", checked_then_closed)
    table = read_table(EXAMPLES / "ballots-2026Q3.csv")
    async with rating.services.database.session() as session:
        outcome = await quarter_steps.import_ballots(
            Repository(session), rating.services.settings, Q3, table, "cli"
        )
    _answer, closed = await closing[0]
    assert "测评已结束" in (closed.text or ""), closed.text
    assert not outcome.errors and len(outcome.new) == 389
    monkeypatch.undo()
    async with database.session() as session:
        repo = Repository(session)
        assert (await repo.assessment(Q3)).status is AssessmentStatus.COMPUTED
        again = await compute_and_store(repo, rating.services.settings, Q3, "test")
        assert again.changed == 0, f"{again.changed} results changed: ballots stored after the close"


async def test_a_confirmation_that_would_change_the_results_confirms_nothing(bureau, database):
    """Stored results out of step with the quarter's ballots (as a paper import after the close left them):
    the confirmation's own computation changes them, so the leadership would confirm results nobody saw.
    It is refused with the new results kept, and the next confirmation (of what /results shows) goes."""
    await _decide_the_tie(bureau)
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.name == "周明远"))
        row = await session.scalar(select(ResultRecord).where(ResultRecord.person_id == person.id))
        shown, row.composite, row.peer_ballots = row.composite, Decimal("99.99"), row.peer_ballots + 1
    ask = await bureau.command(ADMIN, "confirm", "2026Q3")
    _answer, message = await bureau.press(ADMIN, ask, "确认")
    assert "本次未审定" in message.text and "/results" in message.text, message.text
    assert await _count(database, Confirmation) == 0
    assert await _actions(database, "results_confirmed") == 0
    assert (await _result(database, "周明远")).composite == shown  # computed again, and kept
    ask = await bureau.command(ADMIN, "confirm", "2026Q3")
    _answer, message = await bureau.press(ADMIN, ask, "确认")
    assert "考核结果已审定" in message.text, message.text
    assert await _count(database, Confirmation) == 1


async def test_an_objection_sent_as_publicity_ends_is_recorded_before_the_end_or_refused(
    bureau, database, monkeypatch
):
    """陶思琪 sends her objection while an admin ends the publicity: either the objection is recorded and
    the end is refused (an objection is open), or publicity ends and the objection is refused; never an
    open objection on a quarter already final, where nothing can act on it."""
    reply = await bureau.command(ADMIN, "invite", "陶思琪")
    (token,) = dict(INVITE.findall(reply.text)).values()
    bureau.driver.add_user(OBJECTOR, "陶思琪")
    assert "绑定成功" in (await bureau.command(OBJECTOR, "start", token)).text
    await _in_publicity(database, ended=True)
    assert "异议" in (await bureau.command(OBJECTOR, "objection")).text
    ask = await bureau.command(ADMIN, "close", "publicity 2026Q3")
    ending: list[asyncio.Task] = []
    filed = staff_handlers.file_objection

    async def ended_then_filed(*args, **kwargs):
        ending.append(await _meanwhile(bureau.press(ADMIN, ask, "确认")))  # publicity ends meanwhile
        return await filed(*args, **kwargs)

    monkeypatch.setattr(staff_handlers, "file_objection", ended_then_filed)
    receipt = await bureau.text(OBJECTOR, "本人得分有误，请复核")
    answer, closed = await ending[0]
    async with database.session() as session:
        status = (await session.scalars(select(Assessment.status))).one()
        objections = (await session.scalars(select(Objection))).all()
    assert not (status is AssessmentStatus.FINAL and objections), (status, receipt.text)
    assert "已收到" in receipt.text or "没有正在公示" in receipt.text, receipt.text
    if objections:  # the objection first: the end is refused
        assert "公示已结束" not in (closed.text or "") and "异议" in str(answer.text), answer.text


OBJECTOR = 500_000_301


async def test_a_leave_recorded_as_rating_closes_is_in_the_results(rating, database, monkeypatch):
    """/leave while an admin closes rating: the close's computation did not see the leave, and the leave,
    listing the computed quarters before the close committed, did not see the quarter computed. It must
    wait for the close and compute the quarter again."""
    async with database.session() as session:
        outcome = await import_ballots(
            Repository(session),
            rating.services.settings,
            Q3,
            read_table(EXAMPLES / "ballots-2026Q3.csv"),
            "test",
        )
        assert not outcome.errors
    ask = await rating.command(ADMIN, "close", "rating 2026Q3")
    leaving: list[asyncio.Task] = []
    close = phases.close_rating

    async def computed_then_leave(*args, **kwargs):
        computed = await close(*args, **kwargs)  # the close computed the quarter ...
        leave = rating.command(ADMIN2, "leave", "周明远 sick 2026-07-01 2026-09-30")
        leaving.append(await _meanwhile(leave))  # ... and the leave comes before it commits
        return computed

    monkeypatch.setattr(phases, "close_rating", computed_then_leave)
    _answer, closed = await rating.press(ADMIN, ask, "确认")
    reply = await leaving[0]
    assert "测评已结束" in (closed.text or "") and "周明远" in reply.text, (closed.text, reply.text)
    assert "leave" in (await _result(database, "周明远")).exempt_reasons
    async with database.session() as session:
        again = await compute_and_store(Repository(session), rating.services.settings, Q3, "test")
        assert again.changed == 0


async def test_a_score_tapped_as_the_rater_is_removed_is_refused_with_a_reason(
    preparing, database, monkeypatch
):
    """周明远 taps a score while an admin removes him as that ratee's rater: the removal withdraws the
    ballot the tap is waiting for. The tap is refused with the reason, not answered 内部错误."""
    assert "已开启" in (await preparing.command(ADMIN, "open", "rating 2026Q3")).text
    await preparing.settle()  # the raters are told first
    screen = await preparing.command(RATEE, "rate")
    pending = [b for row in screen.buttons for b in row if b["text"] not in ("上一页", "下一页")]
    _answer, ballot = await preparing.press(RATEE, screen, data=pending[0]["callback_data"])
    ratee = ballot.text.split("：", 1)[1].split("（", 1)[0]
    removing = adjustments.change_raters

    async def removed_slowly(*args, **kwargs):
        outcome = await removing(*args, **kwargs)
        await asyncio.sleep(HOLD)  # the ballot is deleted, the quarter locked: the tap comes now
        return outcome

    monkeypatch.setattr(adjustments, "change_raters", removed_slowly)
    preparing.driver.send_command(ADMIN, "raters", f"remove 周明远 {ratee}")
    await asyncio.sleep(HOLD / 3)
    answer, after = await preparing.press(RATEE, ballot, "3")
    removed = await preparing.driver.wait_for_bot_message(ADMIN, 1)
    assert ratee in removed.text, removed.text
    assert answer.show_alert and ("已被管理员取消" in answer.text or "按钮无效" in answer.text), answer.text
    assert after.text == ballot.text  # nothing scored
    async with database.session() as session:
        people = {p.name: p.id for p in (await session.scalars(select(Person))).all()}
    pair = (BallotRecord.rater_id == people["周明远"], BallotRecord.ratee_id == people[ratee])
    assert await _count(database, BallotRecord, *pair) == 0


async def test_a_confirmation_that_would_count_ballots_nobody_saw_confirms_nothing(rating, database):
    """What a paper import racing the close left behind before it was locked: ballots submitted in a
    computed quarter, counted by no result shown. Confirming would count them unseen: it confirms
    nothing, counts them, and the admin is sent back to /results."""
    table = read_table(EXAMPLES / "ballots-2026Q3.csv")
    rater = table.rows[0][1][RATER_COLUMN]
    mine = [(line, row) for line, row in table.rows if row[RATER_COLUMN] == rater]
    others = [(line, row) for line, row in table.rows if row[RATER_COLUMN] != rater]
    settings = rating.services.settings
    async with database.session() as session:
        repo = Repository(session)
        await import_ballots(repo, settings, Q3, dataclasses.replace(table, rows=others), "test")
        await phases.close_rating(Work(rating.services, repo, ADMIN), await repo.assessment(Q3))
    async with database.session() as session:
        repo = Repository(session)
        context = await quarter_steps.ballot_context(repo, settings, Q3)
        late = parse_ballots(
            dataclasses.replace(table, rows=mine), dataclasses.replace(context, accepting=True)
        )
        assert late.new and not late.errors
        assessment = await repo.assessment(Q3)
        await repo.store_paper_ballots(assessment.id, late.new, "test")
        people = {p.name: p.id for p in await repo.people()}
        for name, tier in (
            ("魏红梅", Tier.GOOD),
            ("陶思琪", Tier.FAIR),
        ):  # the tie of all ballots, decided
            session.add(
                TierDecision(
                    assessment_id=assessment.id,
                    person_id=people[name],
                    tier=tier,
                    reason=DECIDED,
                    decided_by=ADMIN,
                    decided_at=at(2026, 10, 21),
                )
            )
    async with database.session() as session:
        work = Work(rating.services, Repository(session), ADMIN)
        assessment = await work.repo.assessment(Q3)
        assert await decisions.confirm_results(work, Q3, assessment) is None
    async with database.session() as session:
        repo = Repository(session)
        assert (await repo.assessment(Q3)).status is AssessmentStatus.COMPUTED
        again = await compute_and_store(repo, settings, Q3, "test")  # counted now, kept, shown by /results
        assert again.changed == 0
    assert await _count(database, Confirmation) == 0
    assert await _actions(database, "confirm_refused") == 1


RATER_COLUMN = "评分人"


async def test_two_admins_setting_the_first_month_at_once_take_turns(bureau, database):
    """They take turns: each is answered (set, or refused by what the other just set) and the month
    stored is the last one set."""
    for months in (("2026-07", "2026-08"), ("2026-08", "2026-07")):
        replies = await at_once(
            bureau, Command(ADMIN, "firstmonth", months[0]), Command(ADMIN2, "firstmonth", months[1])
        )
        assert all("已设置" in r.text or "不能设为" in r.text for r in replies), [r.text for r in replies]
        async with database.session() as session:
            stored = (await session.get(BotSetting, "first_month")).value
            entries = (
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.action == "first_month_set").order_by(AuditEntry.id)
                )
            ).all()
        assert json.loads(entries[-1].details)["month"] == stored
        assert stored in months
