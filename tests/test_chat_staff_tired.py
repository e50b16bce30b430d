"""A tired user's review of issue 13, the staff side, through the real bot: the first month reached
without a loop, months typed without a year, /me listing what is owed (late months, reviews) and never a
month before the bot takes part, closed months skipped, summary texts on their own lines, instructions
typed as items obeyed, and the feedback and objection prompts cancelled."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.rules.domain import AssessmentStatus, Quarter
from storage.models import Feedback, Objection
from storage.repository import Repository
from tests.chat import ADMIN, at, example_bureau

AUTHOR, HEAD, PRINCIPAL = "吴晓燕", "周明远", "赵建国"  # 综合科: its head reviews


def labels(message) -> list[str]:
    return [b["text"] for row in message.buttons for b in row]


async def test_the_first_month_is_reached_without_a_loop(database_url, database):
    # The roster loaded on 14 July: the bot takes part from August by default.
    async with example_bureau(database_url, database, at(2026, 7, 14, 10), start={}) as bureau:
        author = bureau.user(AUTHOR)
        early = await bureau.command(author, "summary")
        assert "自2026年8月起收集月工作小结" in early.text, early.text
        assert "填写当前月份" not in early.text and "8月底将提醒" in early.text, early.text
        assert "目前没有待办事项" in (await bureau.command(author, "me")).text
        ahead = await bureau.command(author, "summary", "8月")  # this August, not last
        assert "2026年8月尚未开始" in ahead.text, ahead.text
        before = await bureau.command(author, "summary", "6月份")
        assert "2026年6月的小结无需在此填写" in before.text, before.text

        bureau.clock.set(at(2026, 8, 3, 10))  # July's deadline not passed: July is the month at hand
        opened = await bureau.command(author, "summary")
        assert opened.text.startswith("2026年8月工作小结"), opened.text
        again = await bureau.command(author, "summary")
        assert again.text.startswith("2026年8月工作小结"), again.text
        me = await bureau.command(author, "me")
        assert "《2026年8月工作小结》" in me.text and "2026年7月" not in me.text, me.text


async def test_me_lists_a_late_month_and_the_reviews_awaiting(database_url, database):
    start = {"first_month": "2026-09"}
    async with example_bureau(database_url, database, at(2026, 10, 14, 10), start=start) as bureau:
        author, head, principal = bureau.user(AUTHOR), bureau.user(HEAD), bureau.user(PRINCIPAL)
        me = await bureau.command(author, "me")
        assert "《2026年9月工作小结》：未填写，已逾期" in me.text, me.text
        assert "《2026年10月工作小结》" in me.text, me.text
        await bureau.command(author, "summary", "9月")
        preview = await bureau.text(author, "完成九月档案整理")
        await bureau.press(author, preview, "提交")
        await bureau.expect(head, "完成九月档案整理")
        reviewer = await bureau.command(head, "me")
        assert "待您审核1份" in reviewer.text, reviewer.text
        assert "【待办】" in reviewer.text.split("待您审核")[0], reviewer.text
        await bureau.command(ADMIN, "open", "测评")
        await bureau.settle()
        leader = await bureau.command(principal, "me")  # the quarter's rating is open: his ballots
        lines = leader.text.splitlines()
        assert lines[1] == "【待办】" and "测评" in lines[2], leader.text


async def test_a_closed_month_does_not_hide_an_earlier_open_one(database_url, database):
    start = {"first_month": "2026-08"}
    async with example_bureau(database_url, database, at(2026, 10, 14, 10), start=start) as bureau:
        author = bureau.user(AUTHOR)
        closed = await bureau.command(ADMIN, "close", "小结 2026年9月")
        assert "已停止补交" in closed.text, closed.text
        screen = await bureau.command(author, "summary")
        assert "补交2026年8月小结" in labels(screen), labels(screen)
        me = await bureau.command(author, "me")
        assert "《2026年8月工作小结》：未填写，已逾期" in me.text and "《2026年9月" not in me.text, me.text


async def test_the_summary_screen_keeps_its_sentences_apart(database_url, database):
    async with example_bureau(database_url, database, at(2026, 8, 10, 10)) as bureau:
        author = bureau.user(AUTHOR)
        late = await bureau.command(author, "summary", "7月")  # July's deadline (5 August) has passed
        lines = late.text.splitlines()
        assert lines[0].startswith("2026年7月工作小结") and lines[0].endswith("“逾期提交”"), late.text
        assert lines[1].startswith("请逐条发送该月主要工作"), late.text
        current = await bureau.command(author, "summary")
        assert current.text.splitlines()[1].startswith("请逐条发送本月主要工作"), current.text


async def test_instructions_typed_as_items_are_obeyed(database_url, database):
    async with example_bureau(database_url, database, at(2026, 7, 31, 22)) as bureau:
        author = bureau.user(AUTHOR)
        await bureau.command(author, "summary")
        for line in ("1. 起草文件", "2. 整理档案", "3. 接待来访"):  # one numbered line per message
            listed = await bureau.text(author, line)
        assert "当前共3条" in listed.text, listed.text
        beyond = await bureau.text(author, "9. 第九条")
        assert "没有第9条" in beyond.text and "不带序号" in beyond.text, beyond.text
        empty = await bureau.text(author, "2.")
        assert "没有内容" in empty.text, empty.text
        replaced = await bureau.text(author, "第2条改为：整理文书")
        assert "已修改第2条" in replaced.text and "2. 整理文书\n" in replaced.text, replaced.text
        replaced = await bureau.text(author, "第二条 整理文书档案")
        assert "2. 整理文书档案" in replaced.text, replaced.text
        replaced = await bureau.text(author, "第3条：接待来访三次")
        assert "3. 接待来访三次" in replaced.text and "当前共3条" in replaced.text, replaced.text
        dropped = await bureau.text(author, "删除最后一条")
        assert "已删除最后一条" in dropped.text and "当前共2条" in dropped.text, dropped.text
        deleted = await bureau.text(author, "删掉第1条")
        assert "已删除第1条" in deleted.text and "当前共1条" in deleted.text, deleted.text
        await bureau.text(author, "完成七月档案整理")
        deleted = await bureau.text(author, "删去第1条")
        assert "已删除第1条" in deleted.text and "1. 完成七月档案整理" in deleted.text, deleted.text
        cleared = await bureau.text(author, "清空重写")
        assert "已清空" in cleared.text and "当前没有条目" in cleared.text, cleared.text


async def _quarter_is(bureau, status: AssessmentStatus) -> None:
    async with bureau.services.database.session() as session:
        (await Repository(session).assessment(Quarter(2026, 3))).status = status


async def _count(bureau, model) -> int:
    async with bureau.services.database.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_the_feedback_and_objection_prompts_can_be_cancelled(database_url, database):
    async with example_bureau(database_url, database, at(2026, 10, 14, 10)) as bureau:
        author = bureau.user(AUTHOR)
        await bureau.command(ADMIN, "open", "测评")
        await bureau.settle()
        for status, command, model in (
            (AssessmentStatus.FINAL, "feedback", Feedback),
            (AssessmentStatus.PUBLICITY, "objection", Objection),
        ):
            await _quarter_is(bureau, status)
            ask = await bureau.command(author, command)
            assert "取消" in labels(ask), (command, ask.text)
            _answer, cancelled = await bureau.press(author, ask, "取消")
            assert "已取消" in cancelled.text, cancelled.text
            after = await bureau.text(author, "好的")
            assert "已记录" not in after.text and "已收到" not in after.text, after.text
            assert await _count(bureau, model) == 0, command
