"""Staff who are late and make mistakes (issue 13, items 2, 3, 5 and 6), through the real bot: a late
summary handed in for a chosen month, items edited and deleted by their number, the registration
following the approved summaries, and approved goals that change only through the supervisor."""

from __future__ import annotations

import io

import pytest
from docx import Document

from bot.records.contents import monthly_forms
from bot.records.documents import form1
from bot.rules.domain import Quarter
from storage.repository import Repository
from tests.chat import ADMIN, TZ, at, example_bureau

AUTHOR, HEAD, SUPERVISOR = "吴晓燕", "周明远", "钱卫东"  # 综合科: its head reviews, 钱卫东 supervises


@pytest.fixture
async def july(database_url, database):
    """The example bureau on the last day of July: July's summary is due."""
    async with example_bureau(database_url, database, at(2026, 7, 31)) as bureau:
        yield bureau


async def _hand_in(bureau, text: str, month: str = ""):
    """The author writes a summary (this month's, or the month given) and submits it; the head approves."""
    author, head = bureau.user(AUTHOR), bureau.user(HEAD)
    await bureau.command(author, "summary", month)
    preview = await bureau.text(author, text)
    await bureau.press(author, preview, "提交")
    request = await bureau.expect(head, text.splitlines()[0])
    await bureau.press(head, request, "通过")
    await bureau.settle()


async def test_a_late_summary_is_handed_in_for_the_month_chosen_and_marked_late(july):
    author, head = july.user(AUTHOR), july.user(HEAD)
    july.clock.set(at(2026, 8, 10))  # July's deadline (5 August, 18:00) has passed
    screen = await july.command(author, "summary")
    assert "2026年8月工作小结" in screen.text, screen.text
    assert "补交2026年7月小结" in [b["text"] for row in screen.buttons for b in row], screen.buttons
    for typed in ("2026-07", "7月", "2026年7月", "２０２６年７月"):
        reply = await july.command(author, "summary", typed)
        assert reply.text.startswith("2026年7月工作小结"), (typed, reply.text)
        assert "已逾期" in reply.text, reply.text
    _a, opened = await july.press(author, screen, "补交2026年7月小结")
    opened = july.last(author)
    assert opened.text.startswith("2026年7月工作小结"), opened.text
    preview = await july.text(author, "完成七月档案整理")
    assert "2026年7月工作小结" in preview.text and "逾期" in preview.text, preview.text
    _a, done = await july.press(author, preview, "提交")
    assert "《2026年7月工作小结（逾期提交）》已提交" in done.text, done.text
    request = await july.expect(head, "请审核")
    assert "《2026年7月工作小结（逾期提交）》" in request.text, request.text
    await july.press(head, request, "通过")
    await july.settle()
    async with july.services.database.session() as session:
        (form,) = await monthly_forms(Repository(session), 2026, 7, TZ)
    assert form.late
    document = Document(io.BytesIO(form1(form, "市行政审批服务局")))
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    assert "逾期提交。" in cells, cells
    # a month not begun, a closed month and a word that is no month are answered and open nothing
    assert "尚未开始" in (await july.command(author, "summary", "2026-12")).text
    # the admins close April
    assert (
        "已停止补交" in (await july.command(ADMIN, "close", "小结 2026年4月")).text
    )  # the admins close April
    closed = await july.command(author, "summary", "2026年4月")
    assert "已停止补交" in closed.text and "督查指导科" in closed.text, closed.text
    assert "月份应写成" in (await july.command(author, "summary", "十三月")).text


async def test_items_are_edited_and_deleted_by_their_number(july):
    author = july.user(AUTHOR)
    await july.command(author, "summary")
    await july.text(author, "起草文件\n整理档案\n接待来访")
    replaced = await july.text(author, "2. 起草通知")
    assert "已修改第2条" in replaced.text and "当前共3条" in replaced.text, replaced.text
    assert "2. 起草通知" in replaced.text and "整理档案" not in replaced.text, replaced.text
    replaced = await july.text(author, "３、整理会议纪要")
    assert "3. 整理会议纪要" in replaced.text and "接待来访" not in replaced.text, replaced.text
    added = await july.text(author, "1.5亿元项目审批")  # a figure of the item's own, not item 1
    assert "当前共4条" in added.text and "4. 1.5亿元项目审批" in added.text, added.text
    deleted = await july.text(author, "删除第1条")
    assert "已删除第1条" in deleted.text and "当前共3条" in deleted.text, deleted.text
    assert "1. 起草通知" in deleted.text and "起草文件" not in deleted.text, deleted.text
    missing = await july.text(author, "删除第9条")
    assert "没有第9条" in missing.text, missing.text
    _a, dropped = await july.press(author, deleted, "删除最后一条")
    assert "2026年7月工作小结" in dropped.text and "当前共2条" in dropped.text, dropped.text


async def _custom_goals_sent(july):
    """Goals opened; the author sends custom goals (60 + 40) for review; returns him, his supervisor and
    the supervisor's request."""
    author, supervisor = july.user(AUTHOR), july.user(SUPERVISOR)
    assert "个性指标设定已开启" in (await july.command(ADMIN, "open", "goals")).text
    await july.settle()
    screen = await july.command(author, "goals")
    _a, screen = await july.press(author, screen, "自定义指标")
    preview = await july.text(author, "窗口业务办理 60\n群众满意度 40")
    await july.press(author, preview, "提交")
    return author, supervisor, await july.expect(supervisor, "请审核")


async def test_returned_goals_keep_their_items_for_editing(july):
    author, supervisor, request = await _custom_goals_sent(july)
    await july.press(supervisor, request, "退回")
    await july.text(supervisor, "请细化业务指标")
    await july.settle()
    screen = await july.command(author, "goals")
    assert "已退回" in screen.text and "请细化业务指标" in screen.text, screen.text
    _a, draft = await july.press(author, screen, "自定义指标")
    assert "1. 窗口业务办理（60分）" in draft.text and "合计100分" in draft.text, draft.text
    edited = await july.text(author, "1. 窗口受理办结 50")
    assert "已修改第1条" in edited.text and "1. 窗口受理办结（50分）" in edited.text, edited.text
    edited = await july.text(author, "删除第2条")
    assert "已删除第2条" in edited.text and "2. 群众满意度" not in edited.text, edited.text
    edited = await july.text(author, "群众满意度 50")
    assert "合计100分" in edited.text, edited.text
    _a, done = await july.press(author, edited, "提交")
    assert "已提交" in done.text, done.text


async def test_the_registration_follows_the_approved_summaries_until_the_ratee_edits_it(july):
    author = july.user(AUTHOR)
    await _hand_in(july, "七月完成档案整理")
    july.clock.set(at(2026, 9, 30, 10))
    assert "季度登记表填写已开启" in (await july.command(ADMIN, "open", "registration")).text
    await july.settle()
    form = await july.command(author, "registration")
    assert "七月完成档案整理" in form.text and "预填1条" in form.text, form.text
    assert "2026年第三季度已审核通过" in form.text, form.text
    await _hand_in(july, "九月完成会议筹备")  # approved after the registration was first opened
    form = await july.command(author, "registration")
    assert "预填2条" in form.text and "九月完成会议筹备" in form.text, form.text
    edited = await july.text(author, "2. 九月完成三次会议筹备")
    assert "已修改第2条" in edited.text, edited.text
    # his own edit stands; a refill asks first, then takes the summaries again
    form = await july.command(author, "registration")
    assert "九月完成三次会议筹备" in form.text and "已根据" not in form.text, form.text
    _a, asked = await july.press(author, form, "按小结重新预填")
    assert "您已修改过登记表" in asked.text, asked.text
    _a, kept = await july.press(author, asked, "保持原样")
    assert "九月完成三次会议筹备" in kept.text, kept.text
    form = await july.command(author, "registration")
    _a, asked = await july.press(author, form, "按小结重新预填")
    _a, refilled = await july.press(author, asked, "确定重新预填")
    assert "预填2条" in refilled.text and "九月完成三次会议筹备" not in refilled.text, refilled.text


async def test_approved_goals_change_only_through_the_supervisor(july):
    author, supervisor, request = await _custom_goals_sent(july)
    await july.press(supervisor, request, "通过")
    await july.settle()
    screen = await july.command(author, "goals")
    assert "（已确定）" in screen.text and "重新报主管领导审核" in screen.text, screen.text
    before = len(july.driver.bot_messages(supervisor))
    _a, done = await july.press(author, screen, "采用模板指标")
    assert "已提交" in done.text and "已采用模板指标" not in done.text, done.text
    await july.settle()
    request = await july.expect(supervisor, "调整已确定的指标")
    assert len(july.driver.bot_messages(supervisor)) == before + 1
    assert "请审核：吴晓燕的《2026年第三季度个性指标（调整已确定的指标）》" in request.text, request.text
    screen = await july.command(author, "goals")
    assert "待主管领导审核" in screen.text and "仍按主管领导已确定的原指标考核" in screen.text, screen.text
    async with july.services.database.session() as session:  # the approved goals stay in force meanwhile
        in_force = await Repository(session).approved_goal_items((await _q3(session)).id)
    assert in_force[await _person_id(july, AUTHOR)] == [("窗口业务办理", 60), ("群众满意度", 40)]
    await july.press(supervisor, request, "通过")
    await july.settle()
    screen = await july.command(author, "goals")
    assert "（已确定）" in screen.text and "岗位职责与任务完成" in screen.text, screen.text
    async with july.services.database.session() as session:
        in_force = await Repository(session).approved_goal_items((await _q3(session)).id)
    assert in_force[await _person_id(july, AUTHOR)][0] == ("岗位职责与任务完成", 20)


async def _q3(session):
    return await Repository(session).assessment(Quarter(2026, 3))


async def _person_id(bureau, name: str) -> int:
    async with bureau.services.database.session() as session:
        return (await Repository(session).person_bound_to(bureau.user(name))).id
